"""``local status`` / ``local down`` read the recorded servers (no llama-server needed).

A stand-in process whose program is named ``llama-server`` (a link to ``sleep``)
is recorded in the state files the way ``start_server`` records a real one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from langchain_compat.local.cache import CACHE_ENV
from langchain_compat.local.cli import STARTED_BY_UP, main
from langchain_compat.local.net import free_port
from langchain_compat.local.process import is_our_server
from langchain_compat.local.state import write_state


@pytest.fixture
def fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    program = tmp_path / "llama-server"
    program.symlink_to(shutil.which("sleep") or "/bin/sleep")
    procs: list[subprocess.Popen[bytes]] = []

    def start(*, started_by: str | None = None) -> tuple[int, int]:
        cmd = [str(program), "60"]
        proc = subprocess.Popen(cmd)
        procs.append(proc)
        port = free_port()
        state: dict[str, object] = {"pid": proc.pid, "port": port, "host": "127.0.0.1",
                                    "model": "smollm2-135m-instruct",
                                    "base_url": f"http://127.0.0.1:{port}/v1", "log_path": "",
                                    "started_at": time.time(), "cmd": cmd}
        if started_by:
            state["started_by"] = started_by
        write_state(port, state)
        deadline = time.monotonic() + 5
        while not is_our_server(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return port, proc.pid

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_status_lists_servers_on_every_port(fake_server,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = fake_server()
    second, _ = fake_server(started_by=STARTED_BY_UP)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{first}/v1" in out and f"http://127.0.0.1:{second}/v1" in out
    assert main(["status", "--json"]) == 0
    servers = json.loads(capsys.readouterr().out)["servers"]
    assert sorted(s["port"] for s in servers) == sorted([first, second])
    assert main(["status", "--port", str(second)]) == 0
    assert f":{first}/" not in capsys.readouterr().out


def test_down_stops_only_what_up_started(fake_server, capsys: pytest.CaptureFixture[str]) -> None:
    other, other_pid = fake_server()  # started by another program (chat, ensure_server())
    ours, our_pid = fake_server(started_by=STARTED_BY_UP)
    assert main(["down", "--port", str(other)]) == 1
    assert "not started by" in capsys.readouterr().err
    assert is_our_server(other_pid)
    assert main(["down", "--port", str(ours)]) == 0
    assert "stopped" in capsys.readouterr().out and not is_our_server(our_pid)
    assert main(["down", "--port", str(other), "--any"]) == 0
    assert not is_our_server(other_pid)
