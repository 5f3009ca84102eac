"""Mistral's format: ``[TOOL_CALLS] [{"name": ..., "arguments": {...}}]`` (v3 tokenizers)
and ``[TOOL_CALLS]name[ARGS]{...}`` (v11+), results in ``[TOOL_RESULTS] ... [/TOOL_RESULTS]``.
Read and written.
"""

from __future__ import annotations

import json
import re

from langchain_compat.emulation.formats.scanning import (
    NEED,
    Ctx,
    Match,
    Reject,
    Verdict,
    ended,
    json_at,
    opener,
    opens,
    partial,
)
from langchain_compat.emulation.formats.writer import Writer, escape_json_marks, escape_marks
from langchain_compat.emulation.jsonish import RawCall
from langchain_compat.emulation.readers import cut_error, explicit_calls

__all__ = ["RECOGNISERS", "WRITER", "mistral"]

_MISTRAL_NAMED = re.compile(r"\s*([\w.\-]+)(?:\[CALL_ID\][\w\-]*)?\[ARGS\]")


@opener("[TOOL_CALLS]")
def mistral(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Mistral ``[TOOL_CALLS] [{...}]`` and ``[TOOL_CALLS]name[ARGS]{...}``."""
    o = opens(buf, pos, "[TOOL_CALLS]", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    i = pos + len("[TOOL_CALLS]")
    while i < len(buf) and buf[i].isspace():
        i += 1
    if i >= len(buf):
        return NEED if not ctx.final else Match(i, [RawCall(None, None, "empty [TOOL_CALLS]")])
    if buf[i] in "[{":
        end = json_at(buf, i, ctx)
        return end if end is NEED else Match(end, explicit_calls(buf[i:end], ended(buf, end, ctx)))
    m = _MISTRAL_NAMED.match(buf, i)
    if m is None:
        if partial(r"[\w.\-]*(\[\w*\]?[\w\-]*)*", buf, i, ctx):
            return NEED
        return Match(i, [RawCall(None, None, "[TOOL_CALLS] not followed by a call")])
    j = m.end()
    while j < len(buf) and buf[j].isspace():
        j += 1
    if j >= len(buf) and not ctx.final:
        return NEED
    end = json_at(buf, j, ctx) if j < len(buf) and buf[j] in "[{" else j
    if end is NEED:
        return NEED
    args = buf[j:end]
    error = cut_error(args, ended(buf, end, ctx))
    return Match(end, [RawCall(m.group(1), args or None, error, buf[pos:end])])


RECOGNISERS = {"[": (mistral,)}

_TEMPLATE = """# Tools

You can call these functions:
[AVAILABLE_TOOLS]
$tools
[/AVAILABLE_TOOLS]

To call functions, reply with [TOOL_CALLS] followed by a JSON list of calls:
[TOOL_CALLS] [{"name": <function-name>, "arguments": <args-json-object>}]

Results of the calls come back inside [TOOL_RESULTS] [/TOOL_RESULTS]. $choice"""

_CHOICE = {
    "auto": "Call a function only when it helps; otherwise answer normally in plain text. "
            "Never invent a function result: wait for the [TOOL_RESULTS].",
    "required": "You MUST call at least one of the functions above now: reply with "
                "[TOOL_CALLS] only, no other text.",
    "named": "You MUST call the function \"{name}\" now: reply with [TOOL_CALLS] for "
             "\"{name}\" only, no other text.",
}


def _call(name: str, arguments: str) -> str:
    calls = escape_json_marks(f'[{{"name": {json.dumps(name, ensure_ascii=False)}, '
                              f'"arguments": {arguments}}}]', WRITER)
    return f"[TOOL_CALLS] {calls}"


def _result(name: str, call_id: str | None, text: str, failed: bool) -> str:
    body = {"name": name, "call_id": call_id, "content": text}
    if failed:
        body["error"] = "the tool call failed"
    text = escape_marks(json.dumps(body, ensure_ascii=False), WRITER)
    return f"[TOOL_RESULTS] {text} [/TOOL_RESULTS]"


WRITER = Writer(name="mistral", template=_TEMPLATE, choice=_CHOICE, block="a [TOOL_CALLS] list",
                call=_call, result=_result,
                marks=("[TOOL_CALLS", "[TOOL_RESULTS", "[AVAILABLE_TOOLS"),
                result_mark=r"\[TOOL_RESULTS\]")
