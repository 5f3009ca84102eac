"""What the reply judge reads from the conversation: the user's last question, this turn's
tool results, the calls already answered, the numbers in play (``judge.py`` holds the checks).

Pure functions of the wire messages (OpenAI chat dicts) and argument values.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["NUMBER", "answered_calls", "canonical_args", "last_question", "latest_results",
           "number_text", "numbers_in", "numbers_left", "shown_number"]

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def canonical_args(args: Any) -> str:
    """Arguments as canonical JSON (wire strings and parsed dicts compare equal)."""
    if isinstance(args, str):
        try:
            args = json.loads(args) if args else {}
        except (ValueError, RecursionError):
            return args
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def answered_calls(wire: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(name, canonical arguments) -> result, for every call in history that has a result."""
    results = {m.get("tool_call_id"): m.get("content") for m in wire if m["role"] == "tool"}
    answered: dict[tuple[str, str], str] = {}
    for m in wire:
        for tc in m.get("tool_calls") or ():
            fn = tc.get("function") or {}
            if tc.get("id") in results:
                key = (fn.get("name"), canonical_args(fn.get("arguments")))
                answered[key] = str(results[tc.get("id")])
    return answered


def number_text(value: float) -> str:
    """``42.0`` -> ``"42"``: numbers compared as the text they appear as."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def numbers_in(wire: list[dict[str, Any]]) -> set[str]:
    """Every number the user wrote or a tool returned in the conversation."""
    text = " ".join(m["content"] for m in wire
                    if m["role"] in ("user", "tool") and isinstance(m.get("content"), str))
    return set(NUMBER.findall(text))


def numbers_left(wire: list[dict[str, Any]]) -> set[str]:
    """The numbers of the user's last message that no call made since has in its arguments
    (compared as numbers: ``3`` and ``3.0`` alike): what the question still asks to be
    computed ("add 12 and 30, then multiply the sum by 3": 3, after ``add(12, 30)``)."""
    question, since = _split_at_question(wire)
    if question is None or not isinstance(question.get("content"), str):
        return set()
    used: set[float] = set()
    for m in since:
        for tc in m.get("tool_calls") or ():
            arguments = canonical_args((tc.get("function") or {}).get("arguments"))
            used.update(float(n) for n in NUMBER.findall(arguments))
    return {n for n in NUMBER.findall(question["content"]) if float(n) not in used}


def last_question(wire: list[dict[str, Any]]) -> str:
    """The text of the last user message."""
    question, _ = _split_at_question(wire)
    if question is None:
        return ""
    content = question.get("content")
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _split_at_question(wire: list[dict[str, Any]]
                       ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The last user message (None: there is none) and the messages after it (all of
    them when there is none)."""
    for i in range(len(wire) - 1, -1, -1):
        if wire[i]["role"] == "user":
            return wire[i], wire[i + 1:]
    return None, wire


def shown_number(value: Any) -> str | None:
    """The text of a number argument (``42``, ``42.0`` or ``"42"``); None for anything else."""
    if isinstance(value, str):
        text = value.strip()
        return number_text(float(text)) if NUMBER.fullmatch(text) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return None


def latest_results(wire: list[dict[str, Any]]) -> list[str]:
    """The text of the tool results that follow the last user message."""
    _, since = _split_at_question(wire)
    return [m["content"].strip() for m in since
            if m["role"] == "tool" and isinstance(m.get("content"), str) and m["content"].strip()]
