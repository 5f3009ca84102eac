"""Recognisers for formats framed by special tags: ``<tool_call>...</tool_call>`` and its
kin, bare section markers, Llama 3.1 ``<function=name>`` and ``<think>`` blocks."""

from __future__ import annotations

import re
from collections.abc import Callable

from langchain_compat.emulation.jsonish import RawCall
from langchain_compat.emulation.readers import cut_error, explicit_calls, xml_params
from langchain_compat.emulation.scanning import (
    NEED,
    Ctx,
    Match,
    OpenFence,
    Recogniser,
    Reject,
    Verdict,
    body_end,
    opens,
    partial,
)

__all__ = ["OPENERS", "function_tag", "marker", "tag", "think"]

Reader = Callable[..., list[RawCall]]  # (body, cut=None) -> calls

OPENERS: list[str] = ["<think>", "<function="]  # literal "<" openers, for formats.TRIGGERS


def tag(open_: str, *closes: str, reader: Reader = explicit_calls) -> Recogniser:
    """A wrapper ``open_ body close``: the body is read by ``reader``.

    The body also ends at the next ``open_`` outside a string (a forgotten closing tag) and,
    at the end of the reply, at the end of the text; a call left unfinished there is
    invalid (see ``readers.cut_error``).
    """

    OPENERS.append(open_)

    def recognise(buf: str, pos: int, ctx: Ctx) -> Verdict:
        o = opens(buf, pos, open_, ctx)
        if o is not True:
            return NEED if o is NEED else Reject()
        start = pos + len(open_)
        span = body_end(buf, start, closes, (open_,), ctx)
        if span is None:
            return NEED
        end, consumed, cut = span
        return Match(consumed, reader(buf[start:end], cut=cut), closed=cut is None)

    return recognise


def marker(lit: str) -> Recogniser:
    """A bare special token that only frames calls (DeepSeek/Kimi section markers): dropped."""

    OPENERS.append(lit)

    def recognise(buf: str, pos: int, ctx: Ctx) -> Verdict:
        o = opens(buf, pos, lit, ctx)
        if o is not True:
            return NEED if o is NEED else Reject()
        return Match(pos + len(lit), [])

    return recognise


_FUNC_NAME = re.compile(r"<function=([\w.\-]+)>")


def function_tag(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Llama 3.1 custom format ``<function=name>{json}</function>``."""
    o = opens(buf, pos, "<function=", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _FUNC_NAME.match(buf, pos)
    if not m:
        if partial(r"<function=[\w.\-]*", buf, pos, ctx):
            return NEED
        return Reject()
    span = body_end(buf, m.end(), ("</function>",), ("<function=",), ctx)
    if span is None:
        return NEED
    body = buf[m.end():span[0]].strip()
    params = xml_params(body)
    args = params if params is not None else (body or None)
    error = cut_error(body, span[2], markup=params is not None)
    return Match(span[1], [RawCall(m.group(1), args, error, buf[pos:span[1]])],
                 closed=span[2] is None)


def think(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """``<think>`` reasoning (Qwen3, DeepSeek-R1 without a reasoning parser): text in which
    nothing is a call, so a call the model only considers is not made."""
    o = opens(buf, pos, "<think>", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    return OpenFence(pos + len("<think>"), "</think>")
