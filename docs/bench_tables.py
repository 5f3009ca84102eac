"""Benchmark tables of the docs, rendered from the data files in ``docs/data/`` (see generate.py).

The pages and the figures (``docs/figures/make.py``) are built from the same files:

- ``benchmarks.json``: ``python -m bench --json FILE`` (its ``rows``, ``targets`` and ``env``);
- ``agent-benchmark.json``: the ``summary`` of ``python -m bench.agent --json FILE``;
- ``retrieval.json``: ``python -m bench.retrieval --json FILE``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _bench_run() -> Any:
    """``bench/run.py`` loaded by path (a test directory named ``bench`` may shadow the package)."""
    spec = importlib.util.spec_from_file_location("_docs_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fmt = _bench_run()._fmt  # a value as `python -m bench` prints it

__all__ = ["DATA", "RENDERERS", "load"]

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> dict[str, Any]:
    """One data file of ``docs/data`` (``name`` without ``.json``)."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def _ratio(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}x"


def bench_run(_: str = "") -> str:
    """The sentence that says which run the tables come from."""
    data = load("benchmarks")
    env = data.get("env", {})
    versions = ", ".join(f"{k} {v}" for k, v in env.items()
                         if k not in ("python", "cpus", "note"))
    return (f"Latest {data.get('mode', 'full')} run (`python -m bench`, "
            f"{data.get('elapsed_s', 0):.0f} s, Python {env.get('python', '?')}, "
            f"{env.get('cpus', '?')} cores{', ' + env['note'] if env.get('note') else ''}; "
            f"{versions}).")


def bench_results(_: str = "") -> str:
    """The results table: one row per (measure, client)."""
    lines = ["| measure | client | value | unit | x floor | x ChatOpenAI |",
             "|---|---|---|---|---|---|"]
    for r in load("benchmarks")["rows"]:
        value = _fmt(r["value"], r["unit"]) if r["value"] is not None else "n/a"
        lines.append(f"| {r['measure']} | {r['label']} | {value} | {r['unit']} | "
                     f"{_ratio(r.get('vs_floor'))} | {_ratio(r.get('vs_ref'))} |")
    return "\n".join(lines)


def bench_targets(_: str = "") -> str:
    """The targets table: ours against a baseline of the same run."""
    lines = ["| target (ours vs baseline, same run) | ratio | status |", "|---|---|---|"]
    for t in load("benchmarks")["targets"]:
        ratio = "-" if t["ratio"] is None else (
            f"{t['ratio']:.1f} ms" if t.get("unit") == "ms" else f"{t['ratio']:.3f}x")
        lines.append(f"| {t['target']} | {ratio} | {t['status']} |")
    return "\n".join(lines)


def agent_totals(_: str = "") -> str:
    """The agent benchmark's totals: one row per client."""
    data = load("agent-benchmark")
    lines = ["| client | runs | success | calls right | answer right | failed requests | "
             "invalid calls | repeated calls | wall s/task | prompt tokens/task | "
             "evaluated prompt tokens/turn |", "|---" * 11 + "|"]
    for name, c in data["clients"].items():
        n = c["runs"]
        ev = c.get("evaluated_tokens_per_turn")
        lines.append(f"| {name} | {n} | {c['success'] / n:.2f} | {c['calls_right'] / n:.2f} | "
                     f"{c['answer_right'] / n:.2f} | {c['failed']} | {c.get('invalid_calls', '-')} "
                     f"| {c['redundant_calls']} | {c['seconds_per_task']:.1f} | "
                     f"{c['prompt_tokens_per_task']:.0f} | {'-' if ev is None else ev} |")
    return "\n".join(lines)


def agent_by_kind(_: str = "") -> str:
    """Successes per task kind and client (``k/n``)."""
    data = load("agent-benchmark")
    kinds = data["kinds"]
    lines = ["| success by kind | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    for name, c in data["clients"].items():
        cells = [f"{c['by_kind'][k]['success']}/{c['by_kind'][k]['runs']}" for k in kinds]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def retrieval(_: str = "") -> str:
    """Retrieval hit rate (top-1) and MRR of e5 and of the chat model's own vectors."""
    data = load("retrieval")
    lines = ["| data set | embedder | top-1 hits | hit rate | MRR |", "|---|---|---|---|---|"]
    for ds in data["datasets"]:
        for e in ds["results"]:
            lines.append(f"| {ds['name']} ({ds['queries']} questions) | {e['label']} | "
                         f"{e['hits']}/{ds['queries']} | {e['hits'] / ds['queries']:.2f} | "
                         f"{e['mrr']:.3f} |")
    return "\n".join(lines)


#: region kind -> renderer(arg) (used by generate.py).
RENDERERS = {
    "bench-run": bench_run,
    "bench-results": bench_results,
    "bench-targets": bench_targets,
    "agent-totals": agent_totals,
    "agent-by-kind": agent_by_kind,
    "retrieval": retrieval,
}
