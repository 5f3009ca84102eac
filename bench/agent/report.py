"""Turning runs into scores and tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .loop import Run
from .scoring import answer_right, calls_right, redundant_calls
from .tasks import KINDS, Task

__all__ = ["Score", "docs_data", "format_tables", "score", "summarise"]


@dataclass(frozen=True)
class Score:
    """The scored outcome of one run."""

    client: str
    task: str
    kind: str
    rep: int
    success: bool
    calls_right: bool
    answer_right: bool
    failed: bool
    seconds: float
    prompt_tokens: int | None
    evaluated_tokens: int | None
    invalid_calls: int
    turns: int
    redundant: int
    truncated: int
    calls: list[tuple[str, Any]]
    answer: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def score(client: str, task: Task, rep: int, run: Run) -> Score:
    """Score one run: success needs the right calls *and* the right answer, without a failed
    request."""
    calls_ok = calls_right(task, run.calls)
    answer_ok = not run.error and answer_right(task, run.answer)
    return Score(client=client, task=task.id, kind=task.kind, rep=rep,
                 success=calls_ok and answer_ok and not run.error, calls_right=calls_ok,
                 answer_right=answer_ok, failed=bool(run.error), seconds=round(run.seconds, 3),
                 prompt_tokens=run.prompt_tokens, evaluated_tokens=run.evaluated_tokens,
                 invalid_calls=run.invalid_calls, turns=run.turns,
                 redundant=redundant_calls(run.calls), truncated=run.truncated,
                 calls=list(run.calls), answer=run.answer[:500], error=run.error)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}%" if d else "    -"


def summarise(scores: Sequence[Score]) -> dict[str, Any]:
    """Totals of ``scores`` (success/calls/answers right, failures, seconds, tokens)."""
    n = len(scores)
    tokens = [s.prompt_tokens for s in scores if s.prompt_tokens is not None]
    evaluated = [s.evaluated_tokens for s in scores if s.evaluated_tokens is not None]
    return {
        "runs": n,
        "success": sum(s.success for s in scores),
        "calls_right": sum(s.calls_right for s in scores),
        "answer_right": sum(s.answer_right for s in scores),
        "failed": sum(s.failed for s in scores),
        "redundant_calls": sum(s.redundant for s in scores),
        "truncated": sum(s.truncated for s in scores),
        "seconds": round(sum(s.seconds for s in scores), 1),
        "prompt_tokens": sum(tokens) if tokens else None,
        "evaluated_tokens": sum(evaluated) if evaluated else None,
        "invalid_calls": sum(s.invalid_calls for s in scores),
        "turns": sum(s.turns for s in scores),
    }


def docs_data(scores: Sequence[Score], clients: Sequence[str], **about: Any) -> dict[str, Any]:
    """What ``docs/data/agent-benchmark.json`` holds (the docs' tables and figure are drawn
    from it): per client, the counts, the per-task averages and the successes by task kind.

    Args:
        scores: every scored run.
        clients: the clients, in table order.
        **about: the run's description (``model``, ``server``, ``date``, ...), kept as is.
    """
    kinds = [k for k in KINDS if any(s.kind == k for s in scores)]
    out: dict[str, Any] = {**about, "tasks": len({s.task for s in scores}), "kinds": kinds,
                           "clients": {}}
    for c in clients:
        mine = [s for s in scores if s.client == c]
        t = summarise(mine)
        n = max(t["runs"], 1)
        out["clients"][c] = {
            "runs": t["runs"], "success": t["success"], "calls_right": t["calls_right"],
            "answer_right": t["answer_right"], "failed": t["failed"],
            "redundant_calls": t["redundant_calls"], "seconds_per_task": round(t["seconds"] / n, 1),
            "prompt_tokens_per_task": round((t["prompt_tokens"] or 0) / n),
            "invalid_calls": t["invalid_calls"],
            "evaluated_tokens_per_turn": None if t["evaluated_tokens"] is None
            else round(t["evaluated_tokens"] / max(t["turns"], 1)),
            "by_kind": {k: {"success": sum(s.success for s in mine if s.kind == k),
                            "runs": sum(1 for s in mine if s.kind == k)} for k in kinds},
        }
    return out


def _row(label: str, scores: Sequence[Score]) -> str:
    t = summarise(scores)
    n = t["runs"]
    tok = "-" if t["prompt_tokens"] is None else f"{t['prompt_tokens'] / max(n, 1):.0f}"
    ev = "-" if t["evaluated_tokens"] is None else \
        f"{t['evaluated_tokens'] / max(t['turns'], 1):.0f}"
    return (f"{label:<20} {n:>4} {_pct(t['success'], n)} {_pct(t['calls_right'], n)} "
            f"{_pct(t['answer_right'], n)} {t['failed']:>6} {t['invalid_calls']:>7} "
            f"{t['redundant_calls']:>6} {t['truncated']:>5} "
            f"{t['seconds']:>8.1f} {t['seconds'] / max(n, 1):>6.1f} {tok:>7} {ev:>7}")


_HEAD = (f"{'':<20} {'runs':>4} {'succ':>6} {'calls':>6} {'answer':>6} {'failed':>6} "
         f"{'invalid':>7} {'repeat':>6} {'trunc':>5} {'wall s':>8} {'s/task':>6} {'ptok/t':>7} "
         f"{'eval/turn':>7}")


def format_tables(scores: Iterable[Score], clients: Sequence[str]) -> str:
    """A summary table (one row per client) and, per client (mode), a table per task kind."""
    scores = list(scores)
    lines = ["Agent benchmark: success = right calls AND right answer; calls = right tool calls;",
             "answer = right final answer; failed = requests that raised; repeat = calls repeating",
             "an earlier identical call; trunc = turns cut by max_tokens; "
             "ptok/t = prompt tokens per task;",
             "invalid = calls reported unusable; eval/turn = prompt tokens the server evaluated "
             "per",
             "model turn (not from its prompt cache; llama-server's timings.prompt_n).",
             "", "== all tasks ==", _HEAD]
    for c in clients:
        lines.append(_row(c, [s for s in scores if s.client == c]))
    for c in clients:
        mine = [s for s in scores if s.client == c]
        if not mine:
            continue
        lines += ["", f"== {c} by kind ==", _HEAD]
        for kind in KINDS:
            of_kind = [s for s in mine if s.kind == kind]
            if of_kind:
                lines.append(_row(kind, of_kind))
    return "\n".join(lines)
