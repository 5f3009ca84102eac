"""docs/migrating-from-chatopenai.md stays true: its "after" example runs (against the
emulator), every ChatOpenAI name in its alias table is accepted, and every exception it
tells you to catch exists in ``langchain_compat.errors``."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from langchain_compat import ChatOpenAICompatible, OpenAICompatibleEmbeddings, errors
from langchain_compat.connection.aliases import ALIASES, IGNORED

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")

PAGE = (Path(__file__).resolve().parents[2] / "docs"
        / "migrating-from-chatopenai.md").read_text("utf-8")


def _section(title: str) -> str:
    return PAGE.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_after_example_runs() -> None:
    from langchain_compat.testing import emulate

    with emulate("openai-compatible") as emu:
        _run_after_example(emu)


def _run_after_example(emu) -> None:
    after = _section("Before and after").split("After:", 1)[1]
    code = after.split("```python", 1)[1].split("```", 1)[0]
    code = code.replace("http://127.0.0.1:8089/v1", emu.base_url)
    code = code.replace('openai_proxy="http://127.0.0.1:3128",', "")  # no proxy listens here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(code, "migrating-from-chatopenai.md", "exec"), {})  # noqa: S102 - our own doc
    assert emu.last_request.body["max_tokens"] == 256
    assert emu.last_request.query == "api-version=2024-06-01"


def test_every_name_in_the_alias_table_is_accepted() -> None:
    chat = set(ChatOpenAICompatible.model_fields) | {"model"}
    emb = set(OpenAICompatibleEmbeddings.model_fields)
    rows = [line.split("|")[1:3] for line in _section("Argument names").splitlines()
            if line.startswith("| `")]
    assert len(rows) > 15
    for theirs, ours in rows:
        for name in _names(theirs):
            known = (name in chat or name in emb or name in IGNORED
                     or ALIASES.get(name) in chat | emb)
            assert known, name
            if "ignored" in ours:
                assert name in IGNORED, name


def test_every_exception_to_catch_exists() -> None:
    rows = [line.split("|")[2] for line in _section("Errors are ours, not `openai.*`").splitlines()
            if line.startswith("| ") and "langchain_compat" not in line and "---" not in line]
    names = [n for cell in rows for n in re.findall(r"`([A-Za-z]+)`", cell)]
    assert len(names) >= 15
    for name in names:
        assert issubclass(getattr(errors, name), errors.CompatError), name
