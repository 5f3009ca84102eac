"""Calls written as plain JSON, read (never written): bare JSON objects and arrays, Markdown
fences (```json, ```tool_call, and ```xml around explicit tags), Llama 3.2 pythonic lists
``[name(k=v)]`` at the start of a reply, and inline code, which is only ever text.

The verdicts recognisers answer with, and the rule that keeps streaming and one-shot parsing
in agreement, are described in ``scanning.py``.
"""

from __future__ import annotations

import re

from langchain_compat.emulation.jsonish import (
    RawCall,
    first_key_is_call_key,
    parse_python_calls,
)
from langchain_compat.emulation.readers import (
    explicit_calls,
    implicit_calls,
    mark_cut,
)
from langchain_compat.emulation.formats.scanning import (
    NEED,
    Ctx,
    Match,
    OpenFence,
    Reject,
    Verdict,
    body_end,
    ended,
    json_at,
    opens,
    partial,
)

__all__ = ["RECOGNISERS", "bare_json", "fence", "inline_code", "prose_follows"]



_FENCE_OPEN = re.compile(r"```([\w+\-.]*)[ \t]*\n")
_EXPLICIT_LANGS = frozenset({"tool_call", "tool_calls", "tool", "tools", "function",
                             "function_call", "functions", "tool_code"})
_JSON_LANGS = frozenset({"", "json", "json5", "jsonc"})


def _object_may_be_call(buf: str, i: int, ctx: Ctx) -> bool | None:
    """At ``buf[i]`` (``{`` or ``[``): could this be a call? None = need more text."""
    if buf[i] == "[":
        j = i + 1
        while j < len(buf) and buf[j].isspace():
            j += 1
        if j >= len(buf):
            return None if not ctx.final else False
        return buf[j] == "{" and first_key_is_call_key(buf, j, ctx.final)
    return first_key_is_call_key(buf, i, ctx.final)


def fence(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Markdown fences: ```tool_call (explicit), ```json / ``` (calls only if clear)."""
    o = opens(buf, pos, "```", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _FENCE_OPEN.match(buf, pos)
    if m is None:
        if partial(r"```[\w+\-.]*[ \t]*", buf, pos, ctx):
            return NEED
        return Reject(3)
    lang, start = m.group(1).lower(), m.end()
    if lang not in _EXPLICIT_LANGS and lang not in _JSON_LANGS:
        return _fenced_tags(buf, pos, start, ctx)
    if lang in _JSON_LANGS:
        k = start
        while k < len(buf) and buf[k].isspace():
            k += 1
        if k >= len(buf):
            return NEED if not ctx.final else OpenFence(start)
        maybe = buf[k] in "{[" and _object_may_be_call(buf, k, ctx)
        if maybe is None:
            return NEED
        if not maybe:
            return OpenFence(start)
    span = body_end(buf, start, ("```",), (), ctx)
    if span is None:
        return NEED
    body, cut = buf[start:span[0]], span[2]
    if lang in _EXPLICIT_LANGS:
        return Match(span[1], explicit_calls(body, cut), closed=cut is None)
    calls = implicit_calls(body, ctx.names, ctx.sole, ctx.text_tools)
    if not calls:
        return Reject(span[1] - pos)
    shown = prose_follows(buf, span[1], ctx)
    if shown is NEED:
        return NEED
    if shown:
        return Reject(span[1] - pos)  # an example the reply shows, not a call it makes
    return Match(span[1], mark_cut(calls, body, cut), closed=cut is None)


def _fenced_tags(buf: str, pos: int, start: int, ctx: Ctx) -> Verdict:
    """A code block (```xml ...) holding only explicit call tags is those calls; any other
    code block is opaque text."""
    k = start
    while k < len(buf) and buf[k].isspace():
        k += 1
    from langchain_compat.emulation.formats import TAG_OPENERS  # the whole table's

    head = buf[k:k + 16]
    if not head and not ctx.final:
        return NEED
    openers = [t for t in TAG_OPENERS if t.startswith(head) or head.startswith(t)]
    if not openers:
        return OpenFence(start)
    if len(head) < 16 and not any(head.startswith(t) for t in openers):
        return NEED if not ctx.final else OpenFence(start)
    span = body_end(buf, start, ("```",), (), ctx)
    if span is None:
        return NEED
    calls, rest = _tags_only(buf[start:span[0]], ctx)
    if calls and not rest.strip():
        return Match(span[1], calls, closed=span[2] is None)
    return OpenFence(start)


def _tags_only(body: str, ctx: Ctx) -> tuple[list[RawCall], str]:
    """Run the ``<`` recognisers over a closed block: (calls, text left over)."""
    from langchain_compat.emulation.formats import RECOGNISERS as TABLE

    inner = Ctx(ctx.names, final=True, sole=ctx.sole, text_tools=ctx.text_tools)
    calls: list[RawCall] = []
    rest, i = [], 0
    while i < len(body):
        j = body.find("<", i)
        if j < 0:
            rest.append(body[i:])
            break
        rest.append(body[i:j])
        verdict = next((v for r in TABLE["<"]
                        if isinstance(v := r(body, j, inner), Match)), None)
        if verdict is None:
            rest.append("<")
            i = j + 1
        else:
            calls += verdict.calls
            i = verdict.end
    return calls, "".join(rest)


_PY_LIST = re.compile(r"\[\s*([A-Za-z_][\w.]*)\s*\(")


def bare_json(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """A bare ``{...}`` or ``[{...}]`` (or Llama 3.2 ``[name(k=v)]``) in the reply."""
    if buf[pos] == "[" and not ctx.started:
        pv = _pythonic_list(buf, pos, ctx)
        if pv is not None:
            return pv
    maybe = _object_may_be_call(buf, pos, ctx)
    if maybe is None:
        return NEED
    if not maybe:
        return Reject()
    end = json_at(buf, pos, ctx)
    if end is NEED:
        return NEED
    text = buf[pos:end]
    calls = implicit_calls(text, ctx.names, ctx.sole, ctx.text_tools)
    if not calls:
        return Reject(end - pos)
    shown = prose_follows(buf, end, ctx)
    if shown is NEED:
        return NEED
    if shown:
        return Reject(end - pos)  # an example the reply shows, not a call it makes
    return Match(_past_separator(buf, end), mark_cut(calls, text, ended(buf, end, ctx)))


def prose_follows(buf: str, end: int, ctx: Ctx) -> bool | object:
    """Whether prose follows an untagged call-shaped value that ends at ``end``.

    A model that makes a call writes the call and stops (or writes the next call); JSON
    followed by more prose ("The docs show this example: {...} which I will not run.") is
    something the reply *shows*, so it is text. Only untagged JSON is judged this way: a
    call inside ``<tool_call>`` or a ```` ```tool_call ```` fence is explicit. NEED while
    only whitespace follows and the reply may go on.
    """
    k = _past_separator(buf, end)
    while k < len(buf) and buf[k].isspace():
        k += 1
    if k >= len(buf):
        return NEED if not ctx.final else False
    return buf[k] not in _NEXT_CALL


def _past_separator(buf: str, end: int) -> int:
    """Past the comma that follows a call written as one item of a list without its
    brackets (``{...},\n{...}``), else ``end``: the comma is no prose."""
    k = end
    while k < len(buf) and buf[k] in " \t":
        k += 1
    return k + 1 if k < len(buf) and buf[k] == "," else end


#: What may follow a call without making it prose: another call, a fence, a tag or token.
_NEXT_CALL = "{[`<"


def _pythonic_list(buf: str, pos: int, ctx: Ctx) -> Verdict | None:
    """``[get_weather(city="Paris")]`` at the start of a reply (Llama 3.2 pythonic)."""
    m = _PY_LIST.match(buf, pos)
    if m is None:
        if partial(r"\[\s*[A-Za-z_][\w.]*\s*", buf, pos, ctx):
            return NEED
        return None
    if ctx.names is not None and m.group(1) not in ctx.names:
        return None
    end = json_at(buf, pos, ctx)
    if end is NEED:
        return NEED
    calls = parse_python_calls(buf[pos:end])
    return Match(end, calls) if calls else None


_INLINE_LIMIT = 1000  # longest inline code span looked for (bounds holding back a stray `)


def inline_code(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Markdown inline code (`` `x` `` or ``` ``x`` ```) on one line: text, so a call a reply
    only shows (`` `<tool_call>{...}</tool_call>` ``) is not made."""
    n = 1
    while n < 3 and buf.startswith("`", pos + n):
        n += 1
    if n == 3:
        return Reject()  # a fence opener: fence() decided it is none
    j = pos + n
    stop = min(len(buf), j + _INLINE_LIMIT)
    close, newline = buf.find("`" * n, j, stop), buf.find("\n", j, stop)
    if close >= 0 and (newline < 0 or close < newline):
        return Reject(close + n - pos)
    if newline >= 0 or stop < len(buf) or j + _INLINE_LIMIT <= len(buf) or ctx.final:
        return Reject(n)
    return NEED


RECOGNISERS = {
    "[": (bare_json,),
    "{": (bare_json,),
    "`": (fence, inline_code),
}
