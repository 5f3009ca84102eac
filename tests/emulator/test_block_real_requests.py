"""block_real_requests(): a test that reaches a host that is not loopback fails, naming it.

No request here leaves the machine: the guard raises before the name lookup
(a host name) or before ``connect`` (an address), and the hosts used are
reserved ones (``.invalid``, TEST-NET-3) that no network would answer anyway.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import CompatError, RealRequestBlockedError
from langchain_compat.testing import block_real_requests, emulate
from langchain_compat.testing.guard import is_loopback

REMOTE = "https://api.example.invalid/v1"


def test_sync_client_is_blocked_with_the_host_named():
    llm = ChatOpenAICompatible(base_url=REMOTE, model="m", api_key="sk-test", max_retries=0)
    with block_real_requests(), pytest.raises(RealRequestBlockedError) as info:
        llm.invoke("hi")
    assert info.value.host == "api.example.invalid" and info.value.port == 443
    assert "api.example.invalid:443" in str(info.value)
    assert isinstance(info.value, CompatError)


def test_async_client_and_stream_are_blocked():
    llm = ChatOpenAICompatible(base_url="https://203.0.113.7:8000/v1", model="m", max_retries=0)

    async def run() -> None:
        with pytest.raises(RealRequestBlockedError, match=r"203\.0\.113\.7"):
            await llm.ainvoke("hi")
        with pytest.raises(RealRequestBlockedError, match=r"203\.0\.113\.7"):
            async for _ in llm.astream("hi"):
                pass
        with pytest.raises(RealRequestBlockedError, match=r"203\.0\.113\.8:80"):
            await asyncio.open_connection("203.0.113.8", 80)  # plain asyncio, no httpx

    with block_real_requests():
        asyncio.run(run())


def test_other_clients_and_raw_sockets_are_blocked():
    with block_real_requests():
        with pytest.raises(RealRequestBlockedError, match="example.invalid"):
            httpx.get("http://example.invalid/")
        sock = socket.socket()
        try:
            with pytest.raises(RealRequestBlockedError, match=r"203\.0\.113\.9"):
                sock.connect(("203.0.113.9", 80))
        finally:
            sock.close()


def test_loopback_and_allowed_hosts_pass_and_the_guard_is_restored():
    original = socket.getaddrinfo
    with block_real_requests(allow=["gateway.internal"]), emulate() as emu:
        with block_real_requests():  # re-entrant
            llm = ChatOpenAICompatible(base_url=emu.base_url, model="m")
            assert llm.invoke("hi").content == "Echo: hi"
            local = emu.base_url.replace("127.0.0.1", "localhost")
            by_name = ChatOpenAICompatible(base_url=local, model="m")
            assert by_name.invoke("yo").content == "Echo: yo"
        with pytest.raises(socket.gaierror):  # allowed: the lookup itself runs (and fails)
            socket.getaddrinfo("gateway.internal", 80)
    assert socket.getaddrinfo is original


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.8.0.1", True),
                                           ("::1", True), ("[::1]", True), ("localhost", True),
                                           ("LOCALHOST.", True), ("10.0.0.1", False),
                                           ("0.0.0.0", False), ("example.com", False),
                                           (b"127.0.0.1", True)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_pytest_option_and_marker(tmp_path):
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["langchain_compat.testing.pytest_plugin"]\n')
    (tmp_path / "test_app.py").write_text(textwrap.dedent("""
        import httpx
        import pytest
        from langchain_compat.errors import RealRequestBlockedError

        def test_unmarked():
            with pytest.raises(RealRequestBlockedError, match="unmarked.invalid"):
                httpx.get("http://unmarked.invalid/")

        @pytest.mark.block_real_requests
        def test_marked():
            with pytest.raises(RealRequestBlockedError, match="marked.invalid"):
                httpx.get("http://marked.invalid/")
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "--strict-markers", *args, str(tmp_path)],
                              check=False, capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env=env)

    flagged = run("--block-real-requests")
    assert flagged.returncode == 0, flagged.stdout + flagged.stderr
    assert "2 passed" in flagged.stdout
    unflagged = run()  # only the marked test is guarded: the unmarked one does a real lookup
    assert "1 passed" in unflagged.stdout and "test_unmarked" in unflagged.stdout
