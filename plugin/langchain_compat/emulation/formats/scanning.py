"""What every recogniser in the format table shares: the verdicts, the context, and the
helpers that find where a candidate ends.

A recogniser looks at ``buf[pos:]`` where a trigger character sits and answers with one
of four verdicts:

- ``NEED``: cannot tell yet (only possible when ``ctx.final`` is false);
- ``Reject(skip)``: not a call here; ``buf[pos:pos+skip]`` is plain text;
- ``Match(end, calls, closed)``: ``buf[pos:end]`` is a call (or several, or an invalid one);
  ``closed`` says it ended at a closing marker of its own (``</tool_call>``, a fence), not
  at the end of a JSON value, the next call, or the end of the text;
- ``OpenFence(end, close)``: ``buf[pos:end]`` opens a block that is not a call (a code
  block, a ``<think>`` block): text, and nothing inside is a call until ``close``.

The one rule that makes streaming agree with one-shot parsing: a verdict other than
``NEED`` must not change when more text is appended.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_compat.emulation.jsonish import RawCall, value_end
from langchain_compat.emulation.readers import AT_END, BEFORE_NEXT, explicit_calls

__all__ = ["NEED", "Ctx", "Match", "OpenFence", "Recogniser", "Reject", "Verdict", "body_end",
           "ended", "json_at", "marker", "opener", "opens", "partial", "prefix_regex", "tag"]


@dataclass
class Ctx:
    """What a recogniser may know besides the buffer."""

    names: frozenset[str] | None  # known tool names; None = tools unknown
    sole: tuple[str, dict] | None = None  # (name, parameters) when exactly one tool is offered
    text_tools: frozenset[str] = frozenset()  # tools whose only parameter is a string
    final: bool = False  # no more text will come
    started: bool = False  # some text or call came before the current position
    line_start: bool = True  # no text before the current position on its line
    memo: dict[int, dict] = field(default_factory=dict)  # scan state per absolute start
    base: int = 0  # absolute offset of buf[0] (streaming compacts the buffer)


class _Need:
    def __repr__(self) -> str:
        return "NEED"


NEED = _Need()


@dataclass
class Reject:
    skip: int = 1


@dataclass
class Match:
    end: int
    calls: list[RawCall]
    closed: bool = False


@dataclass
class OpenFence:
    end: int
    close: str = "```"


Verdict = _Need | Reject | Match | OpenFence
Recogniser = Callable[[str, int, Ctx], Verdict]
Reader = Callable[..., list[RawCall]]  # (body, cut=None) -> calls


def opener(literal: str) -> Callable[[Recogniser], Recogniser]:
    """Decorator: the literal text ``recognise`` starts with (the format table collects
    these to know where a call may start; see ``formats/__init__.py``)."""

    def mark(recognise: Recogniser) -> Recogniser:
        recognise.opener = literal  # type: ignore[attr-defined]
        return recognise

    return mark


def tag(open_: str, *closes: str, reader: Reader = explicit_calls) -> Recogniser:
    """A wrapper ``open_ body close``: the body is read by ``reader``.

    The body also ends at the next ``open_`` outside a string (a forgotten closing tag) and,
    at the end of the reply, at the end of the text; a call left unfinished there is
    invalid (see ``readers.cut_error``).
    """

    @opener(open_)
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

    @opener(lit)
    def recognise(buf: str, pos: int, ctx: Ctx) -> Verdict:
        o = opens(buf, pos, lit, ctx)
        if o is not True:
            return NEED if o is NEED else Reject()
        return Match(pos + len(lit), [])

    return recognise


def opens(buf: str, pos: int, lit: str, ctx: Ctx) -> bool | _Need:
    """Whether ``lit`` sits at ``pos``; NEED if the buffer ends inside a prefix of it."""
    if buf.startswith(lit, pos):
        return True
    rest = buf[pos:pos + len(lit)]
    if len(rest) < len(lit) and lit.startswith(rest) and not ctx.final:
        return NEED
    return False


MAX_HEAD = 128  # longest tool name / fence language we wait for before calling it prose


def partial(pattern: str | re.Pattern, buf: str, pos: int, ctx: Ctx) -> bool:
    """Whether the short rest ``buf[pos:]`` may still grow into a call opener (then NEED).

    Bounded: an opener never has more than ``MAX_HEAD`` characters of name in it, so a
    long run of prose after ``<function=`` or ```` ``` ```` is not held back or rescanned.
    """
    return not ctx.final and len(buf) - pos <= MAX_HEAD and \
        re.fullmatch(pattern, buf[pos:]) is not None


def prefix_regex(*parts: str | tuple[str]) -> re.Pattern:
    """A pattern whose full matches are the prefixes of the concatenation of ``parts``.

    Each part is a regex that can match the empty string (``[ \\t]*``) or a 1-tuple holding
    a literal. Used with ``partial`` for multi-part openers such as ReAct's
    ``Action: name\\nAction Input:``.
    """
    pattern = ""
    for part in reversed(parts):
        if isinstance(part, tuple):
            lit = part[0]
            prefixes = "|".join(re.escape(lit[:k]) for k in range(len(lit) - 1, 0, -1))
            pattern = f"(?:{re.escape(lit)}(?:{pattern})?|{prefixes})" if pattern else \
                f"(?:{re.escape(lit)}|{prefixes})"
        else:
            pattern = f"(?:{part}(?:{pattern})?)" if pattern else part
    return re.compile(pattern)


def ended(buf: str, end: int, ctx: Ctx) -> str | None:
    """``AT_END`` when a value that runs to ``end`` was stopped by the end of the reply."""
    return AT_END if ctx.final and end == len(buf) else None


def json_at(buf: str, i: int, ctx: Ctx) -> int | _Need:
    """End of the value opening at ``buf[i]``; NEED while open (end of reply when final)."""
    end = value_end(buf, i, ctx.memo.setdefault(ctx.base + i, {}))
    if end is not None:
        return end
    return len(buf) if ctx.final else NEED


_SPECIALS: dict[tuple[str, ...], re.Pattern] = {}


def _specials(markers: tuple[str, ...]) -> re.Pattern:
    pat = _SPECIALS.get(markers)
    if pat is None:
        firsts = "".join(sorted({m[0] for m in markers}))
        pat = _SPECIALS[markers] = re.compile("[" + re.escape("{}[]()\"'\\" + firsts) + "]")
    return pat


def body_end(buf: str, start: int, closes: tuple[str, ...], stops: tuple[str, ...],
             ctx: Ctx) -> tuple[int, int, str | None] | None:
    """``(content_end, consumed_end, cut)`` of a tagged body; None = need more text.

    The body ends at the first closing marker (consumed; ``cut`` is None) or at the next
    opening marker (not consumed: a model that forgot ``</tool_call>`` before its next call;
    ``cut`` is ``BEFORE_NEXT``). Inside a JSON/python string of the body (a quote within
    brackets) an opening marker is text, so ``{"query": "what does <tool_call> mean"}`` is
    one call. A closing marker inside such a string counts only if none follows outside a
    string by the end of the reply (a forgotten closing quote). At the end of the reply an
    unclosed body runs to the end minus a half-written closing marker (``cut`` is ``AT_END``).
    """
    memo, key = ctx.memo.setdefault(ctx.base + start, {}), ("body", closes, stops)
    # State as offsets from ``start``: the streaming buffer moves, offsets within it do not.
    off, depth, quote, fallback = memo.get(key, (0, 0, "", None))
    markers = closes + stops
    pat, n, i = _specials(markers), len(buf), start + off
    while True:
        m = pat.search(buf, i)
        if m is None:
            i = max(i, n)  # nothing that changes the state up to the end
            break
        j, c = m.start(), m.group()
        i = j + 1
        if quote and c == "\\":
            i = j + 2  # the escaped character (maybe not here yet: resumed past it)
        elif quote and c == quote:
            quote = ""
        elif c in "{[(" and not quote:
            depth += 1
        elif c in "}])" and not quote:
            depth = max(0, depth - 1)
        elif c in "\"'" and not quote:
            quote = c if depth else ""
        elif any(mk.startswith(buf[j:j + len(mk)]) and j + len(mk) > n for mk in markers) \
                and not ctx.final:
            i = j  # a marker may be starting at the end of the buffer: resume here
            break
        else:
            hit = next((mk for mk in markers if buf.startswith(mk, j)), None)
            if hit in closes and quote:
                fallback = fallback if fallback is not None else (j - start, len(hit))
            elif hit in closes:
                return j, j + len(hit), None
            elif hit is not None and not quote:
                return j, j, BEFORE_NEXT
    if not ctx.final:
        memo[key] = (i - start, depth, quote, fallback)
        return None
    if fallback is not None:
        return start + fallback[0], start + fallback[0] + fallback[1], None
    end = n
    for mk in closes:  # drop a half-written closing tag such as "</tool_ca"
        for k in range(len(mk) - 1, 0, -1):
            if buf.endswith(mk[:k]):
                end = min(end, n - k)
                break
    return end, n, AT_END
