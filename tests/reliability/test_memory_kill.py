"""Chat CLI memory in SQLite: nothing lost on SIGKILL between turns; concurrent
sessions in one DB never see each other's messages.

Real subprocesses of ``langchain-compat chat`` against the emulator
(``--provider openai-compatible --base-url <emulator>``); every wait bounded.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from langchain_compat.chat_cli import build_chat_graph, open_checkpointer
from langchain_compat.testing import Emulator, emulate, latency

pytestmark = pytest.mark.timeout(90)


class ChatProc:
    """A ``langchain-compat chat`` subprocess fed line by line; replies read with a deadline."""

    def __init__(self, base_url: str, db: Path, session: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "langchain_compat.cli", "chat",
             "--provider", "openai-compatible", "--base-url", base_url, "--model", "emulator-model",
             "--db", str(db), "--session", session, "--no-stream"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def say(self, text: str, timeout: float = 30.0) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.lines.get(timeout=timeout)

    def send_only(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> int:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.returncode:
            assert self.proc.stderr is not None
            sys.stderr.write(f"chat process exited {self.proc.returncode}; its stderr:\n"
                             f"{self.proc.stderr.read()}\n")
        return self.proc.returncode


def stored(db: Path, session: str) -> list[tuple[str, str]]:
    """(type, text) of every message stored for ``session``, read in-process."""
    with open_checkpointer(db) as saver:
        graph = build_chat_graph(None, saver)  # the model is never called here
        msgs = graph.get_state({"configurable": {"thread_id": session}}).values.get("messages", [])
    return [(m.type, m.text) for m in msgs]


def test_sigkill_between_turns_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite"
    with emulate("openai-compatible", rate_limit=None) as emu:
        chat = ChatProc(emu.base_url, db, "s1")
        try:
            assert chat.say("first turn") == "Echo: first turn"
            assert chat.say("second turn") == "Echo: second turn"
        finally:
            chat.kill()
        assert chat.proc.returncode == -signal.SIGKILL
        assert stored(db, "s1") == [("human", "first turn"), ("ai", "Echo: first turn"),
                                    ("human", "second turn"), ("ai", "Echo: second turn")]
        # A new process resumes with the whole history replayed to the provider.
        again = ChatProc(emu.base_url, db, "s1")
        try:
            assert again.say("third turn") == "Echo: third turn"
        finally:
            assert again.close() == 0
        sent = emu.last_request.body["messages"]
        assert [m["content"] for m in sent] == ["first turn", "Echo: first turn", "second turn",
                                                "Echo: second turn", "third turn"]
    assert len(stored(db, "s1")) == 6


def test_sigkill_during_a_turn_keeps_every_finished_turn(tmp_path: Path) -> None:
    """Killed while the provider is still answering: the finished turns are intact and
    the unanswered question, if stored, is the last message (nothing half-written)."""
    db = tmp_path / "chat.sqlite"
    with emulate("openai-compatible", rate_limit=None) as emu:
        chat = ChatProc(emu.base_url, db, "s")
        try:
            assert chat.say("done turn") == "Echo: done turn"
            emu.inject(latency(5.0))
            chat.send_only("pending turn")
            deadline = time.monotonic() + 20
            while len(_chat(emu)) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(_chat(emu)) == 2  # the request is in flight
        finally:
            chat.kill()
    msgs = stored(db, "s")
    assert msgs[:2] == [("human", "done turn"), ("ai", "Echo: done turn")]
    assert msgs[2:] in ([], [("human", "pending turn")])


def test_concurrent_sessions_never_mix(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite"
    turns = 6
    with emulate("openai-compatible", rate_limit=None) as emu:
        a, b = ChatProc(emu.base_url, db, "alice"), ChatProc(emu.base_url, db, "bob")
        errors: list[BaseException] = []

        def talk(proc: ChatProc, who: str) -> None:
            try:
                for i in range(turns):
                    assert proc.say(f"{who} {i}") == f"Echo: {who} {i}"
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=talk, args=(p, w))
                   for p, w in ((a, "alice"), (b, "bob"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert a.close() == 0 and b.close() == 0
        assert errors == []
        log = _chat(emu)
    for who, other in (("alice", "bob"), ("bob", "alice")):
        expected: list[tuple[str, str]] = []
        for i in range(turns):
            expected += [("human", f"{who} {i}"), ("ai", f"Echo: {who} {i}")]
        assert stored(db, who) == expected
    # What each process replayed to the provider held only its own session.
    assert len(log) == 2 * turns
    for req in log:
        texts = " ".join(m["content"] for m in req.body["messages"])
        assert not ("alice" in texts and "bob" in texts), texts


def test_resume_after_kill_mid_turn_keeps_roles_alternating(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite"
    with emulate("openai-compatible", rate_limit=None) as emu:
        chat = ChatProc(emu.base_url, db, "s")
        try:
            assert chat.say("done turn") == "Echo: done turn"
            emu.inject(latency(5.0))
            chat.send_only("pending turn")
            deadline = time.monotonic() + 20
            while len(_chat(emu)) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            chat.kill()
        again = ChatProc(emu.base_url, db, "s")
        try:
            assert again.say("next turn") == "Echo: next turn"
        finally:
            again.close()
        roles = [m["role"] for m in emu.last_request.body["messages"]]
    assert all(a != b for a, b in zip(roles, roles[1:])), roles


def _chat(emu: Emulator) -> list:
    """The chat requests (memory trimming may ask the server for its window too)."""
    return [r for r in emu.requests if r.path.endswith("/chat/completions")]
