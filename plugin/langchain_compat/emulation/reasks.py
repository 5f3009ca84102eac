"""What a re-ask says: why the last reply could not be used (pure).

The reply judge (``chat_models/judge.py``) asks again, a bounded number of times,
with ``reask_message(why)``; ``tool_choice_violation`` says why a reply broke a
forcing ``tool_choice`` and ``describe_invalid_calls`` why its calls cannot be used.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from langchain_compat.emulation.formats.hermes import WRITER as HERMES
from langchain_compat.emulation.formats.writer import Writer
from langchain_compat.emulation.parser import ParsedReply
from langchain_compat.emulation.render import call_skeleton, normalize_tool_choice

__all__ = ["describe_invalid_calls", "reask_message", "tool_choice_violation"]


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
