"""Configuration edges of issue #23: a socks proxy without socksio (item 13), ``local
down``/``status`` trusting a stale or edited state file (item 14), and the Low items
``.localhost`` names, URL warnings and the unbounded downgrade memory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from langchain_compat import BackendMemory, ChatOpenAICompatible, OpenAICompatibleEmbeddings
from langchain_compat.connection.resolve import InsecureBaseURLWarning
from langchain_compat.errors import (
    ConfigurationError,
    InvalidCredentialError,
    RealRequestBlockedError,
)
from langchain_compat.local.cache import CACHE_ENV
from langchain_compat.local.cli import main as local_main
from langchain_compat.local.net import free_port
from langchain_compat.local.process import pid_alive
from langchain_compat.local.state import write_state
from langchain_compat.testing import block_real_requests, emulate

pytestmark = pytest.mark.timeout(60)


# -- item 13 ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [ChatOpenAICompatible, OpenAICompatibleEmbeddings])
def test_a_socks_proxy_without_socksio_is_a_configuration_error(cls, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)  # as when it is not installed
    with pytest.raises(ConfigurationError, match=r"httpx\[socks\]") as caught:
        model = cls(base_url="http://127.0.0.1:9/v1", model="m", api_key="k",
                    proxy="socks5://127.0.0.1:1080")
        model.invoke("x") if hasattr(model, "invoke") else model.embed_query("x")
    assert isinstance(caught.value.__cause__, ImportError)


# -- item 14 ----------------------------------------------------------------------------
@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start processes whose program is named ``llama-server`` (a link to ``sleep``)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    program = tmp_path / "llama-server"
    program.symlink_to(shutil.which("sleep") or "/bin/sleep")
    procs: list[subprocess.Popen[bytes]] = []

    def start(seconds: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([str(program), seconds])
        procs.append(proc)
        deadline = time.monotonic() + 5
        while not Path(f"/proc/{proc.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)
        return proc

    start.program = str(program)  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def _state(port: int, pid: int, cmd: list[str], host: str = "127.0.0.1") -> dict[str, object]:
    return {"pid": pid, "port": port, "host": host, "model": "smollm2-135m-instruct",
            "base_url": f"http://{host}:{port}/v1", "log_path": "", "started_at": time.time(),
            "cmd": cmd, "started_by": "local up"}


def test_down_leaves_a_llama_server_it_did_not_start(stand_in, capsys) -> None:
    ours = [stand_in.program, "60"]  # what the state file says we started
    theirs = stand_in("61")  # a llama-server the user started by hand, on a recycled PID
    port = free_port()
    write_state(port, _state(port, theirs.pid, ours))
    assert local_main(["down", "--port", str(port), "--any"]) == 0
    assert "no server running" in capsys.readouterr().out
    time.sleep(0.2)
    assert theirs.poll() is None and pid_alive(theirs.pid)


def test_status_never_connects_to_a_host_from_a_state_file(stand_in, capsys) -> None:
    proc = stand_in("60")
    port = free_port()
    write_state(port, _state(port, proc.pid, [stand_in.program, "60"], host="203.0.113.5"))
    with block_real_requests():
        code = local_main(["status", "--port", str(port)])
    out = capsys.readouterr()
    assert code == 3, out
    assert "203.0.113.5" not in out.out + out.err and "running:      no" in out.out
    assert proc.poll() is None


# -- low: .localhost names, URL warnings -----------------------------------------------------
def test_localhost_subdomains_are_not_loopback() -> None:
    with block_real_requests(), pytest.raises(RealRequestBlockedError, match="app.localhost"):
        socket.getaddrinfo("app.localhost", 80)  # no DNS query leaves the machine
    with pytest.warns(InsecureBaseURLWarning):
        ChatOpenAICompatible(base_url="http://app.localhost:8080/v1", model="m", api_key="k")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ChatOpenAICompatible(base_url="http://localhost:8080/v1", model="m", api_key="k")


def test_url_messages_keep_ipv6_brackets_and_the_url_scheme() -> None:
    with pytest.warns(InsecureBaseURLWarning, match=r"'http://\[fd00::1\]:8080/v1'"):
        ChatOpenAICompatible(base_url="http://[fd00::1]:8080/v1", model="m", api_key="k")
    with pytest.raises(InvalidCredentialError) as caught:
        ChatOpenAICompatible(base_url="http://user:pw-9931@h.example/v1", model="m")
    assert "http://...@h.example/v1" in str(caught.value) and "https" not in str(caught.value)
    assert "pw-9931" not in str(caught.value)


# -- low: the downgrade memory has a bound ---------------------------------------------------
def test_the_downgrade_memory_keeps_a_bounded_number_of_backends() -> None:
    memory = BackendMemory(max_backends=3)
    with emulate(refuse=["stream_options"]) as emu:
        for i in range(8):  # 8 backends (model names) that each refuse stream_options once
            llm = ChatOpenAICompatible(**emu.client_kwargs, model=f"tenant-{i}",
                                       backend_memory=memory)
            assert "".join(c.text for c in llm.stream("hi")) == "Echo: hi"
        assert len(memory) == 3
        before = len(emu.requests)  # the most recent one is still remembered: one request
        "".join(c.text for c in ChatOpenAICompatible(**emu.client_kwargs, model="tenant-7",
                                                     backend_memory=memory).stream("hi"))
        assert len(emu.requests) - before == 1
