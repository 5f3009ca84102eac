"""Scoring one run of a task: were the right calls made, is the answer right.

Answers are checked robustly to formatting: numbers are extracted from the
text (``1,234.5``, ``-3``, ``6.21``) and matched with a tolerance of 1 %
(at least 0.05), words are matched case-insensitively. Calls are matched
order-free; ``add``/``multiply`` arguments are compared as an unordered
pair; city names ignore case and a ", Country" suffix; search queries only
have to contain the key word. Expected words in lower case match any case;
words with capitals must appear as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .tasks import Call, Contains, Task

__all__ = ["answer_right", "calls_right", "extract_numbers", "redundant_calls"]

_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_COMMUTATIVE = {"add", "multiply"}


_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def extract_numbers(text: str) -> list[float]:
    """Every number written in ``text``: digits (thousands separators allowed) and
    zero..twelve in words."""
    nums = [float(m.group().replace(",", "")) for m in _NUMBER.finditer(text)]
    return nums + [float(_WORDS[m.group().lower()]) for m in _WORD.finditer(text)]


def _close(got: float, want: float) -> bool:
    return abs(got - want) <= max(0.01 * abs(want), 0.05)


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        nums = extract_numbers(value)
        return nums[0] if len(nums) == 1 else None
    return None


def _norm(value: Any) -> str:
    return str(value).split(",")[0].strip().lower()


def _value_ok(got: Any, want: Any) -> bool:
    if isinstance(want, Contains):
        return isinstance(got, str) and any(t in got.lower() for t in want.texts)
    if isinstance(want, (int, float)):
        g = _as_float(got)
        return g is not None and _close(g, float(want))
    return _norm(got) == _norm(want)


def _call_ok(name: str, args: Mapping[str, Any], want: Call) -> bool:
    if name != want.name:
        return False
    if name in _COMMUTATIVE:
        given = (_as_float(args.get("a")), _as_float(args.get("b")))
        got = sorted(v for v in given if v is not None)
        exp = sorted(float(v) for v in want.args.values())
        return len(got) == len(exp) and all(_close(g, e) for g, e in zip(got, exp))
    return all(_value_ok(args.get(k), v) for k, v in want.args.items())


def _args(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


def calls_right(task: Task, made: Sequence[tuple[str, Any]]) -> bool:
    """Every expected call was made, and every call made is an expected one (repeats allowed).

    With no expected calls, right means no call at all.
    """
    matched = [False] * len(task.calls)
    for name, raw in made:
        args = _args(raw)
        hits = [i for i, want in enumerate(task.calls) if _call_ok(name, args, want)]
        if not hits:
            return False
        for i in hits:
            matched[i] = True
    return all(matched)


def redundant_calls(made: Sequence[tuple[str, Any]]) -> int:
    """How many calls repeat an earlier call with the same arguments."""
    seen: set[str] = set()
    dup = 0
    for name, raw in made:
        key = name + json.dumps(_args(raw), sort_keys=True, default=str)
        dup += key in seen
        seen.add(key)
    return dup


def answer_right(task: Task, text: str) -> bool:
    """The final answer contains every expected number and word."""
    numbers = extract_numbers(text)
    low = text.lower()
    for want in task.answer:
        if isinstance(want, (int, float)) and not isinstance(want, bool):
            if not any(_close(n, float(want)) for n in numbers):
                return False
        elif want.islower():
            if want not in low:
                return False
        elif want not in text:  # a word with capitals must be written so (e.g. "BANANA")
            return False
    return True
