"""Draw the docs' figures from the benchmark data: ``python docs/figures/make.py``.

Each figure is an SVG built from one data file of ``docs/data`` (the same file its
page's tables are generated from, see ``docs/generate.py``) and is deterministic:
no date, fixed ids, text kept as text. The SVG records the sha256 of its data file
and of this script in its metadata (``<dc:description>``), so ``--check`` (and the
docs test) can tell a figure older than its data or its drawing code without
drawing anything.

Figures:

- ``overhead.svg``: client cost relative to ChatOpenAI, beside bare httpx (the
  floor) and a minimal LangChain chat model (``data/benchmarks.json``);
- ``agent.svg``: agent-benchmark success by client, and by task kind
  (``data/agent-benchmark.json``);
- ``retrieval.svg``: retrieval hit rate, multilingual-e5 against the chat model's
  own vectors (``data/retrieval.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
SCRIPT = Path(__file__).resolve()
_SOURCES = re.compile(r"sources: (.*?)(?:</dc:description>|$)", re.DOTALL)

#: Clients of the overhead figure, in drawing order, with their colours.
CLIENTS = {"httpx": ("bare httpx (floor)", "#9e9e9e"), "lc-floor": ("LangChain floor", "#bdbdbd"),
           "chatopenai": ("ChatOpenAI", "#e07b39"), "ours": ("ChatOpenAICompatible", "#3b75af")}
COLOURS = ["#e07b39", "#8c6bb1", "#3b75af", "#4daf4a"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources(data: str) -> str:
    """What a figure is made from: its data file and this script, with their sha256."""
    data_hash = _sha(DATA / f"{data}.json")
    return f"data/{data}.json sha256={data_hash}; figures/make.py sha256={_sha(SCRIPT)}"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "langchain-compat", "svg.fonttype": "none",
                                "font.size": 9, "axes.spines.top": False,
                                "axes.spines.right": False})
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, name: str, data: str, title: str) -> Path:
    import matplotlib

    path = HERE / f"{name}.svg"
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={
        "Date": None, "Title": title,
        "Creator": f"docs/figures/make.py, matplotlib {matplotlib.__version__}",
        "Description": f"sources: {sources(data)}"})
    fig.clf()
    return path


def _finish(fig: Any, ax: Any, below: float, name: str, data: str, title: str,
            heading: str | None = None) -> Path:
    """One legend under the figure (the series of ``ax``), a heading, then the SVG written."""
    if heading:
        fig.suptitle(heading, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, below))
    return _save(fig, name, data, title)


def _bars(ax: Any, groups: list[str], series: list[tuple[str, str, list[float | None]]],
          fmt: Callable[[float], str], horizontal: bool = True,
          texts: list[list[str]] | None = None) -> None:
    """Grouped bars: one group per label in ``groups``, one bar per series (label, colour,
    values); each bar is annotated with ``fmt(value)``, or with ``texts[series][group]``."""
    width = 0.8 / len(series)
    for i, (label, colour, values) in enumerate(series):
        pos = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        vals = [v or 0.0 for v in values]
        bars = (ax.barh(pos, vals, height=width, color=colour, label=label) if horizontal
                else ax.bar(pos, vals, width=width, color=colour, label=label))
        for j, (bar, v) in enumerate(zip(bars, values, strict=True)):
            if v is None:
                continue
            text = texts[i][j] if texts else fmt(v)
            if horizontal:
                ax.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                            xytext=(2, 0), textcoords="offset points", va="center", fontsize=7)
            else:
                ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            xytext=(0, 2), textcoords="offset points", ha="center", fontsize=6,
                            rotation=90)
    ticks = list(range(len(groups)))
    (ax.set_yticks if horizontal else ax.set_xticks)(ticks, groups)
    if horizontal:
        ax.invert_yaxis()


def overhead() -> Path:
    """Cost per call (lower is better) and throughput (higher is better), x ChatOpenAI."""
    plt, rows = _pyplot(), _load("benchmarks")["rows"]
    ratio = {(r["measure"], r["client"]): r.get("vs_ref") for r in rows}
    panels = [("CPU time per call or chunk, x ChatOpenAI (lower is better)",
               ["invoke CPU per call", "ainvoke CPU per call", "200-concurrent CPU per call",
                "astream CPU per chunk"]),
              ("throughput, x ChatOpenAI (higher is better)",
               ["200-concurrent ainvoke", "astream (2000 chunks)"])]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 2]})
    for ax, (title, measures) in zip(axes, panels, strict=True):
        series = [(label, colour, [ratio.get((m, client)) for m in measures])
                  for client, (label, colour) in CLIENTS.items()]
        labels = [m.replace(" per ", "\nper ").replace(" ainvoke", "\nainvoke").replace(" (", "\n(")
                  for m in measures]
        _bars(ax, labels, series, lambda v: f"{v:.2f}x")
        ax.axvline(1.0, color="#e07b39", linestyle="--", linewidth=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, max(v or 0 for _, _, vs in series for v in vs) * 1.18)
    return _finish(fig, axes[0], -0.04, "overhead", "benchmarks",
                   "Client overhead vs ChatOpenAI and the floor",
                   "Client overhead on a loopback stub server (same run; ChatOpenAI = 1)")


def agent() -> Path:
    """Success, right calls and right answers per client; success by task kind."""
    plt, data = _pyplot(), _load("agent-benchmark")
    clients = data["clients"]
    kinds = data["kinds"]
    colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(clients)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 3]})
    measures = [("success", "success"), ("calls right", "calls_right"),
                ("answer right", "answer_right")]
    series = [(name, colours[name], [c[key] / c["runs"] for _, key in measures])
              for name, c in clients.items()]
    _bars(axes[0], [m for m, _ in measures], series, lambda v: f"{v:.2f}", horizontal=False)
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title(f"all {data['tasks']} tasks (share of runs)", fontsize=9)
    by_kind = {name: [c["by_kind"][k] for k in kinds] for name, c in clients.items()}
    series = [(name, colours[name], [k["success"] / k["runs"] for k in by_kind[name]])
              for name in clients]
    texts = [[f"{k['success']}/{k['runs']}" for k in by_kind[name]] for name in clients]
    groups = [textwrap.fill(k.replace("_", " "), 9) for k in kinds]
    _bars(axes[1], groups, series, str, horizontal=False, texts=texts)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title("success by task kind (successes/tasks)", fontsize=9)
    return _finish(fig, axes[0], -0.08, "agent", "agent-benchmark",
                   "Agent benchmark by client and task kind",
                   f"Agent benchmark on {data['model']} ({data['server']}, {data['date']})")


def retrieval() -> Path:
    """Top-1 hit rate per data set, e5 against the chat model's vectors."""
    plt, data = _pyplot(), _load("retrieval")
    sets = data["datasets"]
    embedders = [(r["embedder"], r["label"]) for r in sets[0]["results"]]
    fig, ax = plt.subplots(figsize=(7, 3))
    series, texts = [], []
    for i, (key, label) in enumerate(embedders):
        hits = [(next(r["hits"] for r in ds["results"] if r["embedder"] == key), ds["queries"])
                for ds in sets]
        series.append((label, ["#4daf4a", "#9e9e9e"][i % 2], [h / n for h, n in hits]))
        texts.append([f"{h}/{n}" for h, n in hits])
    _bars(ax, [f"{ds['name']}\n({ds['queries']} questions)" for ds in sets], series, str,
          texts=texts)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("share of questions whose own passage ranks first (top-1 hit rate)")
    ax.set_title(f"Retrieval: multilingual-e5 vs the chat model's own vectors ({data['date']})",
                 fontsize=10)
    return _finish(fig, ax, -0.1, "retrieval", "retrieval",
                   "Retrieval hit rate, e5 vs chat-model vectors")


FIGURES: dict[str, tuple[str, Callable[[], Path]]] = {
    "overhead": ("benchmarks", overhead), "agent": ("agent-benchmark", agent),
    "retrieval": ("retrieval", retrieval)}


def recorded_sources(svg: Path) -> str | None:
    """The sources line a figure was drawn from (None: none recorded, or no figure)."""
    if not svg.is_file():
        return None
    m = _SOURCES.search(svg.read_text(encoding="utf-8"))
    return " ".join(m.group(1).split()) if m else None


def stale() -> list[str]:
    """Figures older than their data file or this script (or missing)."""
    return [name for name, (data, _) in FIGURES.items()
            if recorded_sources(HERE / f"{name}.svg") != sources(data)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="list figures older than their data and exit 1 if any (draws nothing)")
    parser.add_argument("names", nargs="*",
                        help=f"figures to draw (default: all; {', '.join(FIGURES)})")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for name in old:
            print(f"not current: docs/figures/{name}.svg (run: python docs/figures/make.py)")
        return 1 if old else 0
    for name in args.names or list(FIGURES):
        print(f"written: {FIGURES[name][1]().relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
