"""``python -m bench.agent``: the agent benchmark against one OpenAI-compatible server.

Runs every task with every client (interleaved: task 1 with A, B, C, then
task 2 ...; so load from elsewhere hits all clients alike), ``--reps`` times,
prints one table per client and optionally writes every run to a JSON file.
The exit status is 0 when the harness ran, whatever the scores: failed
requests are results; an error of the harness itself raises.

Example::

    python -m bench.agent --base-url http://127.0.0.1:8089/v1 --quick --json agent.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence

from .clients import CLIENTS, DEFAULT_CLIENTS, Sampling, make_client
from .loop import MAX_TURNS, run_task
from .report import Score, docs_data, format_tables, score, summarise
from .tasks import KINDS, TASKS, Task, quick_tasks

__all__ = ["main", "run_benchmark", "select_tasks"]

DEFAULT_BASE_URL = "http://127.0.0.1:8089/v1"
DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct"


def select_tasks(quick: bool = False, only: Sequence[str] = ()) -> list[Task]:
    """The tasks to run: all, the quick subset, or those whose id or kind is in ``only``."""
    tasks = list(quick_tasks() if quick else TASKS)
    if only:
        tasks = [t for t in tasks if t.id in only or t.kind in only]
    return tasks


def run_benchmark(clients: Sequence[str], tasks: Sequence[Task], sampling: Sampling, reps: int = 1,
                  progress: bool = True,
                  on_score: Callable[[list[Score]], None] | None = None) -> list[Score]:
    """Run ``tasks`` x ``clients`` x ``reps`` and return the scores.

    ``on_score`` is called with the scores so far after every run (the
    command line rewrites its JSON file there, so an interrupted run keeps
    what it measured).
    """
    models = {name: make_client(name, sampling) for name in clients}
    scores: list[Score] = []
    total = len(tasks) * len(clients) * reps
    for rep in range(reps):
        for task in tasks:
            for name, llm in models.items():
                result = score(name, task, rep, run_task(llm, task))
                scores.append(result)
                if on_score is not None:
                    on_score(scores)
                if progress:
                    mark = "ok " if result.success else ("ERR" if result.failed else "-- ")
                    print(f"[{len(scores):>3}/{total}] {mark} {name:<18} {task.id:<20} "
                          f"{result.seconds:5.1f}s calls={result.calls} "
                          f"answer={result.answer[:60]!r} {result.error[:80]}",
                          file=sys.stderr, flush=True)
    return scores


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__.split("\n")[0])
    p.add_argument("--base-url", default=DEFAULT_BASE_URL,
                   help="OpenAI-compatible base URL (ends in /v1)")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--clients", default=",".join(DEFAULT_CLIENTS),
                   help=f"comma-separated, from: {', '.join(CLIENTS)}")
    p.add_argument("--reps", type=int, default=1, help="repetitions of every (task, client)")
    p.add_argument("--quick", action="store_true", help="one task per kind")
    p.add_argument("--only", default="",
                   help=f"comma-separated task ids or kinds ({', '.join(KINDS)})")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    p.add_argument("--json", metavar="FILE", help="write every run and the totals here")
    p.add_argument("--label", default="", help="free text stored in the JSON (e.g. server flags)")
    p.add_argument("--docs-data", metavar="FILE", help="also write the summary the docs are "
                   "built from (docs/data/agent-benchmark.json)")
    p.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    args = _parser().parse_args(argv)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = [c for c in clients if c not in CLIENTS]
    if unknown:
        print(f"unknown clients: {', '.join(unknown)}; known: {', '.join(CLIENTS)}",
              file=sys.stderr)
        return 2
    tasks = select_tasks(args.quick, [o.strip() for o in args.only.split(",") if o.strip()])
    if not tasks:
        print("no task selected", file=sys.stderr)
        return 2
    sampling = Sampling(model=args.model, base_url=args.base_url, max_tokens=args.max_tokens,
                        seed=args.seed, timeout=args.timeout)
    started = time.time()

    def save(scores: list[Score], complete: bool = False) -> None:
        if not args.json:
            return
        data = {
            "label": args.label, "base_url": args.base_url, "model": args.model, "reps": args.reps,
            "max_tokens": args.max_tokens, "seed": args.seed, "max_turns": MAX_TURNS,
            "started": started, "seconds": round(time.time() - started, 1), "complete": complete,
            "tasks": [t.id for t in tasks], "clients": clients,
            "totals": {c: summarise([s for s in scores if s.client == c]) for c in clients},
            "runs": [s.as_dict() for s in scores], "table": format_tables(scores, clients),
        }
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1, default=str)
        os.replace(tmp, args.json)

    scores = run_benchmark(clients, tasks, sampling, reps=args.reps, progress=not args.quiet,
                           on_score=save)
    print(format_tables(scores, clients))
    save(scores, complete=True)
    if args.docs_data:
        about = {"model": args.model, "server": args.label or args.base_url,
                 "date": time.strftime("%Y-%m-%d"), "reps": args.reps,
                 "max_tokens": args.max_tokens, "seed": args.seed,
                 "minutes": round((time.time() - started) / 60)}
        with open(args.docs_data, "w") as f:
            json.dump(docs_data(scores, clients, **about), f, indent=1)
            f.write("\n")
    return 0
