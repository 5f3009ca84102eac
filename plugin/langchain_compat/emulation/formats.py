"""The table of tool-call formats models emit, as incremental recognisers.

The verdicts recognisers answer with, and the rule that keeps streaming and one-shot parsing
in agreement, are described in ``scanning.py``. Tag-framed formats live in ``tagged.py``,
plain-text protocols (functionary, ReAct) in ``textual.py``; this module holds the JSON
family (bare JSON, Mistral, fences, Llama 3.2 pythonic lists), inline code, and the table.
"""

from __future__ import annotations

import re

from langchain_compat.emulation.jsonish import (
    RawCall,
    first_key_is_call_key,
    parse_python_calls,
)
from langchain_compat.emulation.readers import (
    AT_END,
    cut_error,
    explicit_calls,
    implicit_calls,
    mark_cut,
    separated_call,
)
from langchain_compat.emulation.scanning import (
    NEED,
    Ctx,
    Match,
    OpenFence,
    Recogniser,
    Reject,
    Verdict,
    body_end,
    json_at,
    opens,
    partial,
)
from langchain_compat.emulation.tagged import OPENERS, function_tag, marker, tag, think
from langchain_compat.emulation.textual import functionary, react

__all__ = ["NEED", "RECOGNISERS", "TRIGGERS", "Ctx", "Match", "OpenFence", "Reject"]



def _ended(buf: str, end: int, ctx: Ctx) -> str | None:
    """``AT_END`` when a value that runs to ``end`` was stopped by the end of the reply."""
    return AT_END if ctx.final and end == len(buf) else None


_MISTRAL_NAMED = re.compile(r"\s*([\w.\-]+)(?:\[CALL_ID\][\w\-]*)?\[ARGS\]")


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
        return end if end is NEED else Match(end, explicit_calls(buf[i:end], _ended(buf, end, ctx)))
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
    error = cut_error(args, _ended(buf, end, ctx))
    return Match(end, [RawCall(m.group(1), args or None, error, buf[pos:end])])


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
    return Match(span[1], mark_cut(calls, body, cut), closed=cut is None)


def _fenced_tags(buf: str, pos: int, start: int, ctx: Ctx) -> Verdict:
    """A code block (```xml ...) holding only explicit call tags is those calls; any other
    code block is opaque text."""
    k = start
    while k < len(buf) and buf[k].isspace():
        k += 1
    head = buf[k:k + 16]
    if not head and not ctx.final:
        return NEED
    openers = [t for t in _TAG_OPENERS if t.startswith(head) or head.startswith(t)]
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
    inner = Ctx(ctx.names, final=True, sole=ctx.sole, text_tools=ctx.text_tools)
    calls: list[RawCall] = []
    rest, i = [], 0
    while i < len(body):
        j = body.find("<", i)
        if j < 0:
            rest.append(body[i:])
            break
        rest.append(body[i:j])
        verdict = next((v for r in RECOGNISERS["<"]
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
    return Match(end, mark_cut(calls, text, _ended(buf, end, ctx))) if calls else Reject(end - pos)


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


# The format table: trigger character -> recognisers tried in order. The first verdict that
# is not Reject wins; if all reject, the longest skip becomes text.
RECOGNISERS: dict[str, tuple[Recogniser, ...]] = {
    "<": (
        think,
        tag("<tool_call>", "</tool_call>"),  # Hermes, Qwen 2.5/3, GLM-4.5 (body forms vary)
        tag("<tool_calls>", "</tool_calls>"),
        tag("<function_call>", "</function_call>"),
        tag("<|tool_call|>", "<|/tool_call|>", "<|end_tool_call|>"),  # Phi-4-mini, Granite
        tag("<|python_tag|>", "<|eom_id|>", "<|eot_id|>"),  # Llama 3.x
        function_tag,  # Llama 3.1 <function=name>
        tag("<TOOLCALL>", "</TOOLCALL>"),  # Nemotron
        tag("<|action_start|><|plugin|>", "<|action_end|>"),  # InternLM 2
        # DeepSeek V3/R1 (fullwidth bars): <|tool_call_begin|>function<|tool_sep|>name
        # ```json{..}```<|tool_call_end|>, framed by <|tool_calls_begin|>...<|tool_calls_end|>
        tag("<\uff5ctool\u2581call\u2581begin\uff5c>", "<\uff5ctool\u2581call\u2581end\uff5c>",
            reader=separated_call("<\uff5ctool\u2581sep\uff5c>")),
        marker("<\uff5ctool\u2581calls\u2581begin\uff5c>"),
        marker("<\uff5ctool\u2581calls\u2581end\uff5c>"),
        # Kimi K2: <|tool_call_begin|>functions.name:0<|tool_call_argument_begin|>{..}
        # <|tool_call_end|>, framed by <|tool_calls_section_begin|>...<|tool_calls_section_end|>
        tag("<|tool_call_begin|>", "<|tool_call_end|>",
            reader=separated_call("<|tool_call_argument_begin|>")),
        marker("<|tool_calls_section_begin|>"),
        marker("<|tool_calls_section_end|>"),
    ),
    "[": (mistral, bare_json),
    "{": (bare_json,),
    "`": (fence, inline_code),
    ">": (functionary,),  # functionary v3 >>>name / >>>all segments
    "A": (react,),  # ReAct Action: / Action Input:
}
_TAG_OPENERS = ("<tool_call>", "<tool_calls>", "<function_call>", "<|tool_call|>",
                "<|python_tag|>", "<function=", "<TOOLCALL>")
# Where a recogniser may start. "<" only counts when the next character can continue one of
# the openers above (or is not there yet), so prose full of "<" is not fed to 15 recognisers.
# ">" only as ">>>" and "A" only as "Action" (or what may still grow into them).
_LT_NEXT = "".join(sorted({o[1] for o in OPENERS if o.startswith("<")}))
TRIGGERS = re.compile(r"<(?=[" + re.escape(_LT_NEXT) + r"]|\Z)|[\[{`]|>(?=>>|>?\Z)"
                      r"|A(?=ction|(?:c(?:t(?:i(?:o)?)?)?)?\Z)")
