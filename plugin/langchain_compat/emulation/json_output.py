"""Structured output as prompted JSON: how it is asked for and read back (pure).

The chat model asks for JSON with ``render_json_instructions`` and reads it back with
``parse_json_reply`` (a reply that fails is re-asked, see ``reasks.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_compat.emulation.jsonish import load_lenient, value_end
from langchain_compat.emulation.schema import validate

__all__ = ["parse_json_reply", "render_json_instructions"]

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)(```|$)", re.DOTALL)


def render_json_instructions(schema: dict) -> str:
    """Instructions asking for one JSON value that follows ``schema``.

    Args:
        schema: A JSON schema (e.g. ``model.model_json_schema()`` or a tool's parameters).

    Returns:
        Text for the system prompt (or the end of the last user message).
    """
    return (
        "Respond with a single JSON value that conforms to the following JSON schema. "
        "Output only the JSON: no explanations, no markdown code fences.\n"
        f"JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )


def _candidates(text: str) -> list[str]:
    """Where the JSON may be, best guess first: the whole text, fenced blocks, then each
    ``{``/``[`` value found in the prose."""
    out = [text]
    out += [m.group(1) for m in _FENCE.finditer(text)][:4]
    i = 0
    while len(out) < 12:  # bounded work on pathological text
        starts = [j for j in (text.find("{", i), text.find("[", i)) if j >= 0]
        if not starts:
            break
        j = min(starts)
        end = value_end(text, j)
        out.append(text[j:end] if end else text[j:])
        if end is None:
            break
        i = j + 1 if end - j > 1 else end  # nested values are candidates too
    return out


def parse_json_reply(text: str, schema: dict | None = None) -> tuple[Any, str | None]:
    """Extract the JSON value from a reply (fences, prose around it, broken JSON repaired).

    Args:
        text: The model's reply.
        schema: When given, the value is validated (and safely coerced) against it.

    Returns:
        ``(value, None)`` on success, else ``(None, reason)`` with a reason fit for
        ``reask_message``. Never raises.
    """
    body = _THINK.sub("", text or "").strip()
    if not body:
        return None, "the reply was empty; a JSON value was expected"
    first_error = None
    for cand in _candidates(body):
        value, err = _load(cand)
        if err:
            continue
        if schema is None:
            return value, None
        value, errors = validate(value, schema)
        if not errors:
            return value, None
        first_error = first_error or "the JSON does not match the schema: " + "; ".join(errors)
    return None, first_error or f"no JSON value found in the reply: {body[:120]!r}"


def _load(cand: str) -> tuple[Any, str | None]:
    try:
        return json.loads(cand), None
    except (ValueError, RecursionError):
        pass
    s = cand.strip()
    if not s or s[0] not in "{[":
        return None, "not JSON"
    return load_lenient(s)
