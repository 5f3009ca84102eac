"""Prompted JSON for structured output, and the checks behind bounded re-asks.

The chat model asks for JSON with ``render_json_instructions``, reads it back with
``parse_json_reply`` and, when that fails (or ``tool_choice_violation`` says a forced tool
was not called), sends ``reask_message(error)`` and tries again a bounded number of times.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.messages import AIMessage

from langchain_compat.emulation.jsonish import load_lenient, value_end
from langchain_compat.emulation.parser import ParsedReply
from langchain_compat.emulation.formats.hermes import WRITER as HERMES
from langchain_compat.emulation.formats.writer import Writer
from langchain_compat.emulation.render import call_skeleton, normalize_tool_choice
from langchain_compat.emulation.schema import validate

__all__ = [
    "describe_invalid_calls",
    "parse_json_reply",
    "reask_message",
    "render_json_instructions",
    "tool_choice_violation",
]

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


def reask_message(error: str) -> dict:
    """A user wire message telling the model what was wrong with its last reply.

    Args:
        error: The reason from ``parse_json_reply`` or ``tool_choice_violation``.

    Returns:
        ``{"role": "user", "content": ...}``.
    """
    return {"role": "user", "content": (
        f"Your previous reply could not be used: {error}\n"
        "Reply again, following the required format exactly and adding nothing else.")}


def describe_invalid_calls(calls: list) -> str:
    """``'name': error; ...`` for invalid calls, as re-asks quote them."""
    return "; ".join(f"{c.get('name')!r}: {c.get('error')}" for c in calls)


def tool_choice_violation(parsed: ParsedReply | AIMessage, tool_choice: Any,
                          tools: list[dict], out: Writer = HERMES) -> str | None:
    """Why a reply does not honour a forcing ``tool_choice`` (``None`` if it does).

    Args:
        parsed: The parsed reply, or any message with ``tool_calls`` and
            ``invalid_tool_calls`` (an ``AIMessage`` with native calls works too).
        tool_choice: The request's tool_choice (any spelling ``normalize_tool_choice`` takes).
        tools: The offered OpenAI-format tools.
        out: The format the model was asked to call in (for the call it is shown).

    Returns:
        A reason for ``reask_message``, or ``None`` ("auto"/"none" are never violated).
    """
    try:
        mode, name = normalize_tool_choice(tool_choice, tools)
    except ValueError as exc:
        return str(exc)
    bad = describe_invalid_calls(parsed.invalid_tool_calls)
    hint = f" Your invalid call(s): {bad}." if bad else ""
    if mode == "required" and not parsed.tool_calls:
        return f"you must call one of the tools with {out.block}." + hint
    if mode == "named" and not any(c["name"] == name for c in parsed.tool_calls):
        tool = next(t for t in tools if (t.get("function") or t).get("name") == name)
        return (f"you must call the tool {name!r} with {out.block} like this one:\n"
                f"{call_skeleton(tool, out)}" + hint)
    return None
