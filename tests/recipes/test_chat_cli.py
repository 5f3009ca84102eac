"""``langchain-compat chat`` end to end: a subprocess fed through stdin.

Three backends: the hidden ``--fake-replies`` scripted model (fast, exact),
the provider emulator (real HTTP; the recorded requests prove the history is
replayed), and the real local llama-server (``local_llm``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_compat.testing import emulate, server_error


def run_chat(args: list[str], stdin: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "langchain_compat.cli", "chat", *args], check=False,
        input=stdin, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


@pytest.fixture
def replies(tmp_path: Path):
    def write(*texts: str) -> str:
        path = tmp_path / f"replies{len(list(tmp_path.glob('replies*')))}.json"
        path.write_text(json.dumps(list(texts)))
        return str(path)

    return write


def test_session_resumes_after_restart(tmp_path: Path, replies) -> None:
    db = str(tmp_path / "chat.sqlite")
    first = run_chat(["--db", db, "--session", "s", "--fake-replies", replies("saw {n}: {last}")],
                     "hello\nsecond line\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["saw 1: hello", "saw 3: second line"]
    second = run_chat(["--db", db, "--session", "s", "--fake-replies", replies("saw {n}: {last}")],
                      "third\n/history\n")
    assert second.returncode == 0, second.stderr
    assert "resumed session 's': 4 messages" in second.stderr
    lines = second.stdout.splitlines()
    assert lines[0] == "saw 5: third"  # the four stored messages were replayed
    assert lines[1:] == [
        "you: hello", "assistant: saw 1: hello",
        "you: second line", "assistant: saw 3: second line",
        "you: third", "assistant: saw 5: third",
    ]
    # another session in the same file is independent
    other = run_chat(["--db", db, "--session", "other", "--fake-replies", replies("saw {n}")],
                     "hi\n")
    assert other.stdout.strip() == "saw 1"


def test_reset_history_help_exit(tmp_path: Path, replies) -> None:
    db = str(tmp_path / "chat.sqlite")
    out = run_chat(
        ["--db", db, "--fake-replies", replies("r{n}")],
        "one\n/reset\n/history\n/help\n/bogus\ntwo\n/exit\nnever read\n",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "r1", "[session 'default' reset]", "(no messages in this session)",
        "commands: /history  /reset  /help  /exit",
        "unknown command '/bogus'; commands: /history  /reset  /help  /exit",
        "r1",
    ]


def test_history_is_trimmed_to_the_window(tmp_path: Path, replies) -> None:
    # cotomi's profile: a 4096-token window, 1024 reserved for the reply.
    db = str(tmp_path / "chat.sqlite")
    lines = "".join(f"turn {i} " + "lorem ipsum dolor " * 120 + "\n" for i in range(12))
    out = run_chat(["--db", db, "--provider", "cotomi", "--system", "Be brief.",
                    "--fake-replies", replies("{n}")], lines)
    assert out.returncode == 0, out.stderr
    counts = [int(x) for x in out.stdout.split()]
    assert counts[:2] == [2, 4]  # system + whole history while it fits
    assert max(counts) < 12  # then trimmed: far fewer than the 24 stored messages
    # system + whole (human, ai) turns, ending on the new human
    assert all(c % 2 == 0 for c in counts)


def test_emulator_sees_the_replayed_history_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "chat.sqlite")
    with emulate("cotomi") as emu:
        emu.script(["Nice to meet you, Ada.", "Your name is Ada."])
        first = run_chat(["--db", db, "--provider", "cotomi", "--session", "ada"],
                         "My name is Ada.\n", env=emu.env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == "Nice to meet you, Ada."
        second = run_chat(["--db", db, "--provider", "cotomi", "--session", "ada"],
                          "What is my name?\n", env=emu.env)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "Your name is Ada."
        sent = emu.last_request.body["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
        assert sent[0]["content"] == "My name is Ada."
        assert sent[1]["content"] == "Nice to meet you, Ada."


def test_failed_turn_is_not_stored(tmp_path: Path) -> None:
    db = str(tmp_path / "chat.sqlite")
    with emulate("cotomi") as emu:
        emu.inject(server_error(500), times=10)
        out = run_chat(["--db", db, "--provider", "cotomi"], "hello?\n/history\n", env=emu.env)
        assert out.returncode == 1  # a turn failed; a 500 does not end the chat: /history ran
        assert "error:" in out.stderr
        assert "(no messages in this session)" in out.stdout
        assert emu.api_key not in out.stderr  # errors never carry the key


def test_unknown_provider_is_a_clean_error(tmp_path: Path) -> None:
    out = run_chat(["--db", str(tmp_path / "x.sqlite"), "--provider", "nope"], "")
    assert out.returncode == 2
    assert "Unknown provider 'nope'" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.local_llm
def test_real_local_server_resumes_session(tmp_path: Path, local_llm) -> None:
    db = str(tmp_path / "chat.sqlite")
    env = {"LANGCHAIN_COMPAT_LOCAL_BASE_URL": local_llm.base_url}
    first = run_chat(["--db", db, "--max-tokens", "24"], "My name is Ada. Say hello to me.\n",
                     env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip()
    second = run_chat(
        ["--db", db, "--max-tokens", "16", "--system", "Answer with one word."],
        "What is my name?\n/history\n", env=env, timeout=300,
    )
    assert second.returncode == 0, second.stderr
    assert "resumed session 'default': 2 messages" in second.stderr
    history = [line for line in second.stdout.splitlines()
               if line.startswith(("you: ", "assistant: "))]
    assert history[0] == "you: My name is Ada. Say hello to me."
    assert history[2] == "you: What is my name?"
    assert history[3].startswith("assistant: ") and len(history[3]) > len("assistant: ")
    # Whether a 0.5B model answers "Ada" is not asserted (flaky); the emulator test
    # above proves the stored history is what gets replayed.


def test_no_stream_mode(tmp_path: Path, replies) -> None:
    out = run_chat(["--db", str(tmp_path / "c.sqlite"), "--no-stream",
                    "--fake-replies", replies("whole {n}")], "a\nb\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["whole 1", "whole 3"]
