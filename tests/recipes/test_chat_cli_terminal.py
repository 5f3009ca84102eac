"""``langchain-compat chat`` in a real terminal (a pty driven by pexpect).

The reply comes from the provider emulator dripping one chunk every 0.3 s, so
a Ctrl-C lands mid-reply; the test then checks the prompt is back within 2 s
and that the SQLite session holds nothing of the interrupted turn.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from langchain_compat.chat_cli import build_chat_graph, open_checkpointer
from langchain_compat.testing import emulate, latency

pexpect = pytest.importorskip("pexpect")
psutil = pytest.importorskip("psutil")

PROMPT = "> "


def _spawn(tmp_path: Path, base_url: str, *extra: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "LANGCHAIN_COMPAT_NO_LOCAL": "1",
           "COLUMNS": "100", "TERM": "dumb"}
    args = ["-m", "langchain_compat.cli", "chat", "--provider", "openai-compatible", "--model", "m",
            "--base-url", base_url, "--db", str(tmp_path / "chat.sqlite"), "--session", "s", *extra]
    child = pexpect.spawn(sys.executable, args, env=env, encoding="utf-8", timeout=20,
                          dimensions=(40, 100))
    child.expect_exact(PROMPT)
    return child


def _connections_to(pid: int, port: int, *, expect: bool) -> bool:
    """Whether the child has an open TCP connection to ``port`` (waits up to 1 s for ``expect``)."""
    deadline = time.monotonic() + 1.0
    while True:
        is_open = any(c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
                      for c in psutil.Process(pid).net_connections(kind="tcp"))
        if is_open == expect or time.monotonic() > deadline:
            return is_open
        time.sleep(0.05)


def _stored(tmp_path: Path) -> list[str]:
    with open_checkpointer(tmp_path / "chat.sqlite") as saver:
        graph = build_chat_graph(None, saver)  # type: ignore[arg-type]  # only the state is read
        state = graph.get_state({"configurable": {"thread_id": "s"}})
        return [m.text for m in state.values.get("messages", [])]


def test_ctrl_c_mid_reply_cancels_and_stores_nothing(tmp_path: Path) -> None:
    with emulate("openai-compatible") as emu:
        emu.schedule(lambda n: latency(0.0, per_chunk=0.3))
        child = _spawn(tmp_path, emu.base_url)
        child.sendline("first question")
        child.expect_exact("Echo: first question")
        child.expect_exact(PROMPT)
        words = " ".join(f"word{i}" for i in range(60))  # ~60 chunks: 18 s of reply
        child.sendline(f"slow {words}")
        child.expect_exact("Echo: slow word0")  # the reply is streaming
        assert _connections_to(child.pid, emu.port, expect=True)
        sent = time.monotonic()
        child.sendintr()
        child.expect_exact(PROMPT, timeout=2)
        assert time.monotonic() - sent < 2
        assert "Traceback" not in child.before
        assert "cancel" in child.before.lower()
        assert not _connections_to(child.pid, emu.port, expect=False), (
            "the HTTP stream is still open")
        child.sendeof()
        child.expect(pexpect.EOF, timeout=10)
    stored = _stored(tmp_path)
    assert stored == ["first question", "Echo: first question"], stored


def test_ctrl_c_at_the_prompt_exits_cleanly(tmp_path: Path) -> None:
    with emulate("openai-compatible") as emu:
        child = _spawn(tmp_path, emu.base_url)
        child.sendintr()
        child.expect(pexpect.EOF, timeout=10)
        assert "Traceback" not in child.before
        child.close()
        assert child.exitstatus == 0


def test_ctrl_d_ends_the_line(tmp_path: Path) -> None:
    with emulate("openai-compatible") as emu:
        child = _spawn(tmp_path, emu.base_url)
        child.sendeof()
        child.expect(pexpect.EOF, timeout=10)
        # the shell's prompt must start on its own line: the output ends with a newline
        assert child.before.endswith("\n"), repr(child.before)
        assert "Traceback" not in child.before
