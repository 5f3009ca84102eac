"""Recognisers for formats written as plain-text protocols rather than tags or JSON:
functionary v3 ``>>>recipient`` segments and ReAct ``Action:`` / ``Action Input:`` lines."""

from __future__ import annotations

import re

from langchain_compat.emulation.jsonish import RawCall, value_end
from langchain_compat.emulation.readers import AT_END, cut_error
from langchain_compat.emulation.formats.scanning import (
    NEED,
    Ctx,
    Match,
    Reject,
    Verdict,
    json_at,
    opens,
    partial,
    prefix_regex,
)

__all__ = ["RECOGNISERS", "functionary", "react"]

_SEGMENT = re.compile(r">>>([\w.\-]+)\n")


def functionary(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """functionary v3 (llama-server's "Functionary v3.2" format): ``>>>name\\n{json}`` is a
    call, ``>>>all\\ntext`` a text segment (its header is dropped, its text is text)."""
    o = opens(buf, pos, ">>>", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _SEGMENT.match(buf, pos)
    if m is None:
        return NEED if partial(r">>>[\w.\-]*", buf, pos, ctx) else Reject(3)
    if m.group(1) == "all":
        return Match(m.end(), [], closed=True)
    j = m.end()
    while j < len(buf) and buf[j] in " \t\r\n":
        j += 1
    if j >= len(buf):
        if not ctx.final:
            return NEED
        error = f"the tool call was cut off {AT_END}: its arguments are missing"
        return Match(j, [RawCall(m.group(1), None, error, buf[pos:j])])
    if buf[j] not in "{[":
        return Reject(3)  # e.g. ">>>python\n<code>": not a call we can run
    end = json_at(buf, j, ctx)
    if end is NEED:
        return NEED
    args = buf[j:end]
    cut = AT_END if ctx.final and end == len(buf) else None
    return Match(end, [RawCall(m.group(1), args, cut_error(args, cut), buf[pos:end])])


_WS = r"[ \t]*"
_HEAD = re.compile(rf"Action{_WS}\d*{_WS}:{_WS}([^\n]*?){_WS}\n"
                   rf"{_WS}Action{_WS}\d*{_WS}Input{_WS}\d*{_WS}:{_WS}")
_HEAD_PREFIX = prefix_regex(("Action",), _WS, r"\d*", _WS, (":",), r"[^\n]*", ("\n",), _WS,
                            ("Action",), _WS, r"\d*", _WS, ("Input",), _WS, r"\d*", _WS)
_OBSERVATION = re.compile(rf"\n{_WS}Observation{_WS}\d*{_WS}:")


def react(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """ReAct: ``Action: name`` then ``Action Input: {json}`` or a plain string, at the start
    of a line. The input runs to the next ``Observation:`` line (a model writing its own
    stop word) or the end of the reply; an ``Observation:`` that ends the reply is dropped."""
    if not ctx.line_start:
        return Reject()
    m = _HEAD.match(buf, pos)
    if m is None:
        return NEED if partial(_HEAD_PREFIX, buf, pos, ctx) else Reject()
    j = m.end()
    span = _input_span(buf, j, ctx)
    if span is None:
        return NEED
    input_end, consumed, closed = span
    text = buf[j:input_end].strip()
    name, raw = m.group(1).strip(), buf[pos:consumed]
    if text[:1] in ("{", "["):
        end = value_end(text, 0)  # within the input: text after the value is dropped
        args = text[:end] if end else text
        error = cut_error(args, None if closed else AT_END)
        return Match(consumed, [RawCall(name, args, error, raw)], closed=closed)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return Match(consumed, [RawCall(name, text, None, raw, text_input=True)], closed=closed)


def _input_span(buf: str, j: int, ctx: Ctx) -> tuple[int, int, bool] | None:
    """``(input_end, consumed_end, closed)`` of an Action Input starting at ``j``; None =
    need more text. ``closed``: ended by an ``Observation:`` line."""
    memo = ctx.memo.setdefault(ctx.base + j, {})
    begin = max(j, j + memo.get("observed", 0))
    begin = max(j, buf.rfind("\n", j, begin + 1))  # a match starts at a newline
    o = _OBSERVATION.search(buf, begin)
    if o is None:
        if not ctx.final:
            memo["observed"] = len(buf) - j
            return None
        return len(buf), len(buf), False
    k = o.end()
    while k < len(buf) and buf[k].isspace():
        k += 1
    if k < len(buf):
        return o.start(), o.start(), True
    return (o.start(), len(buf), True) if ctx.final else None


RECOGNISERS = {
    ">": (functionary,),  # functionary v3 >>>name / >>>all segments
    "A": (react,),  # ReAct Action: / Action Input:
}
