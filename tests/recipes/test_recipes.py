"""The memory recipes, run against the provider emulator (exact, offline) and the
real local llama-server (``local_llm``).

The emulator enforces cotomi's rules (Bearer key, no native tools) and records
every request, so the tests can check what history each turn replayed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from langchain_compat.memory.summary import SUMMARY_PREFIX
from langchain_compat.testing import emulate

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def contents(request) -> list[tuple[str, str]]:
    return [(m["role"], m["content"] if isinstance(m["content"], str) else str(m["content"]))
            for m in request.body["messages"]]


@pytest.fixture
def cotomi(monkeypatch):
    with emulate("cotomi") as emu:
        for key, value in emu.env.items():
            monkeypatch.setenv(key, value)
        yield emu


@pytest.mark.parametrize("name", ["memory_chain", "agent_memory", "summary_memory"])
def test_recipe_has_docstring_and_main(name: str) -> None:
    module = load(name)
    assert module.__doc__ and "What it shows" in module.__doc__
    assert callable(module.main)
    out = subprocess.run(check=False, args=[sys.executable, str(RECIPES / f"{name}.py"), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--provider" in out.stdout and "--session" in out.stdout


# ---------------------------------------------------------------- memory_chain


def test_memory_chain_replays_history_across_runs(cotomi, tmp_path: Path, capsys) -> None:
    recipe = load("memory_chain")
    db = str(tmp_path / "m.sqlite")
    assert recipe.main(["--provider", "cotomi", "--db", db, "My name is Ada."]) == 0
    # a new connection
    assert recipe.main(["--provider", "cotomi", "--db", db, "What is my name?"]) == 0
    out = capsys.readouterr().out
    assert "assistant: Echo: What is my name?" in out
    assert contents(cotomi.last_request) == [
        ("system", "You are a helpful assistant. Be brief."),
        ("user", "My name is Ada."),
        ("assistant", "Echo: My name is Ada."),
        ("user", "What is my name?"),
    ]


def test_memory_chain_trims_to_the_window(cotomi, tmp_path: Path) -> None:
    recipe = load("memory_chain")
    turns = [f"turn {i}: " + "lorem ipsum dolor sit amet " * 60 for i in range(15)]
    assert recipe.main(["--provider", "cotomi", "--db", str(tmp_path / "m.sqlite"), *turns]) == 0
    sent = contents(cotomi.last_request)
    assert sent[0][0] == "system" and sent[1][0] == "user"
    assert sent[-1] == ("user", turns[-1])
    assert len(sent) < 2 * len(turns)  # old turns were dropped ...
    assert not any(text.startswith("turn 0:") for _, text in sent)  # ... oldest first


# ---------------------------------------------------------------- agent_memory

TOOL_CALL = '<tool_call>{"name": "get_weather", "arguments": {"city": "Lisbon"}}</tool_call>'


def test_agent_memory_uses_emulated_tools_and_survives_a_restart(cotomi, tmp_path: Path) -> None:
    db = str(tmp_path / "agent.sqlite")
    cotomi.script(["Noted: your favourite city is Lisbon.", TOOL_CALL,
                   "It is sunny, 24 °C in Lisbon."])
    env = {**os.environ, **cotomi.env}
    cmd = [sys.executable, str(RECIPES / "agent_memory.py"), "--provider", "cotomi", "--db", db]
    first = subprocess.run(check=False, args=[*cmd, "My favourite city is Lisbon."],
                           capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    assert "assistant: Noted: your favourite city is Lisbon." in first.stdout
    second = subprocess.run(check=False, args=[*cmd, "What's the weather in my favourite city?"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert second.returncode == 0, second.stderr
    assert "[calls get_weather({'city': 'Lisbon'})]" in second.stdout
    assert "[get_weather -> sunny, 24 °C]" in second.stdout
    assert "assistant: It is sunny, 24 °C in Lisbon." in second.stdout
    # The second process replayed the first one's turn, tools went in the prompt (emulated).
    request = cotomi.requests[1]
    assert "tools" not in request.body
    texts = " ".join(text for _, text in contents(request))
    assert "My favourite city is Lisbon." in texts and "get_weather" in texts
    # The last request carries the tool result back as text (cotomi has no tool role).
    assert all(role in ("system", "user", "assistant") for role, _ in contents(cotomi.last_request))
    assert "sunny, 24 °C" in " ".join(text for _, text in contents(cotomi.last_request))


def test_agent_memory_cotomi_profile_on_another_provider(tmp_path: Path, monkeypatch) -> None:
    """The default: cotomi's tool flags applied to a model with native tools (here an emulated
    generic server)."""
    with emulate("openai-compatible") as emu:
        monkeypatch.setenv("LANGCHAIN_COMPAT_LOCAL_BASE_URL", emu.base_url)
        emu.script([TOOL_CALL, "Sunny in Lisbon."])
        recipe = load("agent_memory")
        assert recipe.main(["--db", str(tmp_path / "a.sqlite"), "--model", "emulator-model",
                            "Weather in Lisbon?"]) == 0
        chat = [r for r in emu.requests if r.method == "POST"]  # ChatLocal GETs /models first
        assert "tools" not in chat[0].body  # emulated, as on cotomi


# -------------------------------------------------------------- summary_memory


def summarizer(request) -> str:
    """Emulator script item: a fixed summary for summarization prompts, echo otherwise."""
    first = request.messages[0]
    if first["role"] == "system" and "memory of a chat assistant" in str(first["content"]):
        return "The user is Ada from Lisbon; she has two cats."
    return "Echo: " + request.last_user_text[:40]


@pytest.mark.parametrize("mode", [[], ["--async"]])
def test_summary_memory_folds_and_persists(cotomi, tmp_path: Path, capsys, mode: list[str]) -> None:
    cotomi.script([summarizer] * 40)
    recipe = load("summary_memory")
    db = str(tmp_path / "s.sqlite")
    opts = ["--provider", "cotomi", "--db", db, "--trigger-tokens", "250", "--keep-tokens", "100",
            *mode]
    turns = [f"Fact {i}: " + "I like long sentences about many things. " * 3 for i in range(6)]
    assert recipe.main([*opts, "--show-summary", *turns]) == 0
    out = capsys.readouterr().out
    assert "[older turns folded into the summary]" in out
    assert "summary: " + SUMMARY_PREFIX + "The user is Ada from Lisbon" in out
    # restart: the stored summary is replayed as a system message
    assert recipe.main([*opts, "Where do I live?"]) == 0
    sent = contents(cotomi.last_request)
    assert sent[-1] == ("user", "Where do I live?")
    assert any(SUMMARY_PREFIX + "The user is Ada" in text for _, text in sent)
    assert not any(text.startswith("Fact 0:") for _, text in sent)


# ------------------------------------------------------------- real local model


@pytest.mark.local_llm
def test_memory_chain_on_the_real_local_model(local_llm, tmp_path: Path, capsys,
                                              monkeypatch) -> None:
    monkeypatch.setenv("LANGCHAIN_COMPAT_LOCAL_BASE_URL", local_llm.base_url)
    recipe = load("memory_chain")
    db = str(tmp_path / "m.sqlite")
    assert recipe.main(["--db", db, "--max-tokens", "16", "Hi, I am Ada."]) == 0
    assert recipe.main(["--db", db, "--max-tokens", "16", "Say my name."]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("assistant: ")]
    assert len(lines) == 2 and all(len(line) > len("assistant: ") for line in lines)


@pytest.mark.local_llm
@pytest.mark.slow
def test_agent_memory_on_the_real_local_model(local_llm, tmp_path: Path, capsys,
                                              monkeypatch) -> None:
    monkeypatch.setenv("LANGCHAIN_COMPAT_LOCAL_BASE_URL", local_llm.base_url)
    recipe = load("agent_memory")
    db = str(tmp_path / "a.sqlite")
    assert recipe.main(["--db", db, "--max-tokens", "64", "What is the weather in Paris?"]) == 0
    assert recipe.main(["--db", db, "--max-tokens", "64", "And what did I ask you before?"]) == 0
    out = capsys.readouterr().out
    assert out.count("you: ") == 2
