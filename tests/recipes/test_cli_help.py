"""The ``langchain-compat`` CLI reads well: help everywhere, plain text, 100 columns."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from langchain_compat.cli import SUBCOMMANDS, build_parser


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "langchain_compat.cli", *args], check=False,
                          capture_output=True, text=True, timeout=60, env=env)


def _parsers(
    parser: argparse.ArgumentParser, path: str = "langchain-compat",
) -> Iterator[tuple[str, argparse.ArgumentParser, list[argparse.Action]]]:
    """(command path, parser, its sub-parser choice actions) for every parser in the tree."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    yield path, parser, subs
    for action in subs:
        for name, child in action.choices.items():
            yield from _parsers(child, f"{path} {name}")


def test_every_subcommand_and_option_has_help() -> None:
    missing = []
    for path, parser, subs in _parsers(build_parser(every_command=True)):
        for action in subs:
            helped = {c.dest for c in action._choices_actions if c.help}
            missing += [f"{path} {name}" for name in action.choices if name not in helped]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
                continue
            if action.option_strings and not action.help:
                missing.append(f"{path} {action.option_strings[0]}")
    assert not missing, missing


@pytest.mark.parametrize("command", [[], *([name] for name in SUBCOMMANDS), ["local", "down"],
                                     ["local", "status"]])
def test_help_is_plain_text(command: list[str]) -> None:
    out = _cli(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "`" not in out.stdout, out.stdout  # no reST/Markdown markup on a terminal


def test_providers_fits_100_columns_and_wide_shows_everything() -> None:
    out = _cli("providers")
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 100, out.stdout
    assert "--wide" in out.stdout
    wide = _cli("providers", "--wide")
    assert "default model" in wide.stdout and "auth" in wide.stdout
