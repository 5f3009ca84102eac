"""The agent benchmark (``python -m bench.agent``): its scorer, and a trimmed run on the real
server.

The run against the local llama-server (18 agent runs, about 5 minutes on 2
idle cores; the timeout leaves room for a busy machine) gates only on the harness working
(exit status 0, one scored run per task and client, a table); scores are
printed to the terminal, never asserted, since they measure the model.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import langchain_compat

ROOT = Path(__file__).resolve().parents[2]


def _load_repo_bench(alias: str = "_repo_bench") -> None:
    """Import the repository's ``bench`` package as ``alias``: this test directory is also
    a package named ``bench`` and shadows it (``bench.agent`` uses relative imports)."""
    if alias not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            alias, ROOT / "bench" / "__init__.py", submodule_search_locations=[str(ROOT / "bench")])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[alias] = module
        spec.loader.exec_module(module)


_load_repo_bench()
DEFAULT_CLIENTS = importlib.import_module("_repo_bench.agent.clients").DEFAULT_CLIENTS
_scoring = importlib.import_module("_repo_bench.agent.scoring")
_tasks = importlib.import_module("_repo_bench.agent.tasks")
TOOLS = importlib.import_module("_repo_bench.agent.tools").TOOLS
answer_right, calls_right = _scoring.answer_right, _scoring.calls_right
extract_numbers, redundant_calls = _scoring.extract_numbers, _scoring.redundant_calls
KINDS, TASKS, quick_tasks = _tasks.KINDS, _tasks.TASKS, _tasks.quick_tasks
TASK = {t.id: t for t in TASKS}


def test_task_set_covers_every_kind_with_at_least_30_tasks() -> None:
    assert len(TASKS) >= 30 and len(TASK) == len(TASKS)
    assert {t.kind for t in TASKS} == set(KINDS)
    assert sorted(t.kind for t in quick_tasks()) == sorted(KINDS)
    for t in TASKS:
        assert set(t.tools) <= set(TOOLS), t.id
        assert {c.name for c in t.calls} <= set(t.tools), t.id
        assert (t.kind == "no_tool") == (not t.calls), t.id


def test_fake_tools_are_deterministic() -> None:
    assert TOOLS["add"].invoke({"a": 2, "b": 3.5}) == "5.5"
    assert TOOLS["convert_units"].invoke({"value": 100, "from_unit": "C",
                                          "to_unit": "F"}) == "212 F"
    assert TOOLS["get_weather"].invoke({"city": "Paris, France"}) == "Paris: 18 C, sunny"
    assert TOOLS["get_weather"].invoke({"city": "Atlantis"}).startswith("error:")
    assert "Herbert" in TOOLS["search"].invoke({"query": "author of Dune"})


def test_answers_are_checked_robustly_to_formatting() -> None:
    assert extract_numbers("1,234.5 or -3, six days") == [1234.5, -3.0, 6.0]
    assert answer_right(TASK["convert-km-mi"], "10 km is about **6.21** miles.")
    assert not answer_right(TASK["convert-km-mi"], "10 km is 16.09 miles")
    assert answer_right(TASK["no-tool-week"], "There are seven days in a week.")
    assert answer_right(TASK["no-tool-upper"], "BANANA")
    assert not answer_right(TASK["no-tool-upper"], "banana")
    assert answer_right(TASK["weather-paris"], "Paris is Sunny, 18°C")


def test_calls_are_matched_order_free_with_loose_arguments() -> None:
    task = TASK["add-then-multiply"]
    assert calls_right(task, [("add", {"a": 30, "b": 12}), ("multiply", '{"a": "42", "b": 3}')])
    assert not calls_right(task, [("add", {"a": 12, "b": 30})])  # the second step is missing
    assert not calls_right(task, [("add", {"a": 12, "b": 30}), ("multiply", {"a": 42, "b": 3}),
                                  ("search", {"query": "x"})])  # an unwanted call
    assert calls_right(TASK["no-tool-week"], [])
    assert not calls_right(TASK["no-tool-week"], [("add", {})])
    assert calls_right(TASK["search-dune"], [("search", {"query": "Who wrote DUNE"})])
    assert redundant_calls([("add", {"a": 1, "b": 2}), ("add", '{"b": 2, "a": 1}')]) == 1


@pytest.mark.local_llm
@pytest.mark.timeout(960)
def test_trimmed_benchmark_runs_on_the_local_server(local_llm, tmp_path: Path, request) -> None:
    out = tmp_path / "agent.json"
    plugin = Path(langchain_compat.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(plugin)])}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.agent", "--base-url", local_llm.base_url,
         "--model", local_llm.model, "--quick", "--max-tokens", "128", "--json", str(out),
         "--label", "pytest trimmed run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    runs = {(r["client"], r["task"]) for r in data["runs"]}
    assert runs == {(c, t.id) for c in DEFAULT_CLIENTS for t in quick_tasks()}
    assert data["complete"] and set(data["totals"]) == set(DEFAULT_CLIENTS)
    for run in data["runs"]:  # a failed request is a result; it must still say why
        assert run["failed"] == bool(run["error"])
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None:
        with capture.global_and_fixture_disabled() if capture else _nothing():
            reporter.write_line("")
            for line in data["table"].splitlines():
                reporter.write_line(line)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
