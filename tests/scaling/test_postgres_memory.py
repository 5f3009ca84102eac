"""Conversation memory on a real PostgreSQL (issue #15, part 2).

Two ``langchain-compat chat`` processes take turns in one session: each turn
is answered by the process that did not see the previous one, so the history
the emulator receives can only come from the database. The recipes run
unchanged on a SQLite path and on a PostgreSQL URL.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from langchain_compat.memory.summary import SUMMARY_PREFIX
from langchain_compat.testing import emulate

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
pytestmark = pytest.mark.timeout(120)


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def contents(request) -> list[tuple[str, str]]:
    return [(m["role"], str(m["content"])) for m in request.body["messages"]]


@pytest.fixture
def cotomi(monkeypatch):
    """cotomi's emulator (its profile: a 4096-token window), its env set for the recipes."""
    with emulate("cotomi") as emu:
        for key, value in emu.env.items():
            monkeypatch.setenv(key, value)
        yield emu


def _chat(db: str, session: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "langchain_compat.cli", "chat", "--provider", "cotomi", "--db", db,
         "--session", session, "--no-stream"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_processes_alternate_turns_through_postgres(cotomi, postgres) -> None:
    session = f"alt-{uuid.uuid4().hex[:8]}"
    workers = [_chat(postgres.url, session), _chat(postgres.url, session)]
    turns = [f"turn {i} " + "lorem ipsum dolor " * 120 + "end" for i in range(10)]
    try:
        for i, text in enumerate(turns):
            proc = workers[i % 2]
            proc.stdin.write(text + "\n")
            proc.stdin.flush()
            reply = proc.stdout.readline()
            assert reply.startswith(f"Echo: turn {i} "), proc.stderr.read() if not reply else reply
            sent = contents(cotomi.last_request)
            assert sent[-1] == ("user", text)
            if i in (1, 2):  # the other process's turn was replayed from the database
                assert ("user", turns[i - 1]) in sent
        for proc in workers:
            proc.stdin.close()
            assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
    last = contents(cotomi.last_request)
    assert len(last) < 2 * len(turns) - 1  # trimmed to cotomi's window ...
    assert not any(text.startswith("turn 0 ") for _, text in last)  # ... oldest first
    assert ("user", turns[-2]) in last
    # ... while the database keeps every message
    shown = subprocess.run(
        [sys.executable, "-m", "langchain_compat.cli", "chat", "--provider", "cotomi", "--db",
         postgres.url, "--session", session], input="/history\n", capture_output=True, text=True,
        timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "resumed session" in shown.stderr and "20 messages" in shown.stderr
    assert shown.stdout.count("you: turn ") == 10


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "memory.sqlite")
    server = request.getfixturevalue("postgres")
    return server.url


def test_memory_chain_runs_unchanged_on_both(cotomi, db: str, capsys) -> None:
    recipe = load("memory_chain")
    session = uuid.uuid4().hex
    opts = ["--provider", "cotomi", "--db", db, "--session", session]
    assert recipe.main([*opts, "My name is Ada."]) == 0
    assert recipe.main([*opts, "What is my name?"]) == 0  # a new connection
    assert "assistant: Echo: What is my name?" in capsys.readouterr().out
    assert contents(cotomi.last_request) == [
        ("system", "You are a helpful assistant. Be brief."),
        ("user", "My name is Ada."),
        ("assistant", "Echo: My name is Ada."),
        ("user", "What is my name?"),
    ]


def _summarizer(request) -> str:
    first = request.messages[0]
    if first["role"] == "system" and "memory of a chat assistant" in str(first["content"]):
        return "The user is Ada from Lisbon; she has two cats."
    return "Echo: " + request.last_user_text[:40]


@pytest.mark.parametrize("mode", [[], ["--async"]])
def test_summary_memory_on_both(cotomi, db: str, capsys, mode: list[str]) -> None:
    cotomi.script([_summarizer] * 40)
    recipe = load("summary_memory")
    opts = ["--provider", "cotomi", "--db", db, "--session", uuid.uuid4().hex,
            "--trigger-tokens", "250", "--keep-tokens", "100", *mode]
    turns = [f"Fact {i}: " + "I like long sentences about many things. " * 3 for i in range(6)]
    assert recipe.main([*opts, *turns]) == 0
    assert "[older turns folded into the summary]" in capsys.readouterr().out
    assert recipe.main([*opts, "Where do I live?"]) == 0  # the summary came back from the store
    sent = contents(cotomi.last_request)
    assert any(SUMMARY_PREFIX + "The user is Ada" in text for _, text in sent)
    assert not any(text.startswith("Fact 0:") for _, text in sent)
