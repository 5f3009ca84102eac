"""The table of tool-call formats models emit, as incremental recognisers.

Each recogniser looks at ``buf[pos:]`` where a trigger character sits and answers with one
of four verdicts:

- ``NEED``: cannot tell yet (only possible when ``ctx.final`` is false);
- ``Reject(skip)``: not a call here; ``buf[pos:pos+skip]`` is plain text;
- ``Match(end, calls)``: ``buf[pos:end]`` is a call (or several, or an invalid one);
- ``OpenFence(end, close)``: ``buf[pos:end]`` opens a block that is not a call (a code
  block, a ``<think>`` block): text, and nothing inside is a call until ``close``.

The one rule that makes streaming agree with one-shot parsing: a verdict other than
``NEED`` must not change when more text is appended. Parsing and streaming run the very
same recognisers (see ``engine.py``); the hypothesis tests check the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_compat.emulation.jsonish import (
    RawCall,
    first_key_is_call_key,
    parse_python_calls,
    value_end,
)
from langchain_compat.emulation.readers import (
    explicit_calls,
    implicit_calls,
    separated_call,
    xml_params,
)

__all__ = ["NEED", "RECOGNISERS", "TRIGGERS", "Ctx", "Match", "OpenFence", "Reject"]


@dataclass
class Ctx:
    """What a recogniser may know besides the buffer."""

    names: frozenset[str] | None  # known tool names; None = tools unknown
    sole: tuple[str, dict] | None = None  # (name, parameters) when exactly one tool is offered
    final: bool = False  # no more text will come
    started: bool = False  # some text or call came before the current position
    memo: dict[int, dict] = field(default_factory=dict)  # value_end state per absolute start
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


@dataclass
class OpenFence:
    end: int
    close: str = "```"


Verdict = _Need | Reject | Match | OpenFence
Recogniser = Callable[[str, int, Ctx], Verdict]


def _opens(buf: str, pos: int, lit: str, ctx: Ctx) -> bool | _Need:
    """Whether ``lit`` sits at ``pos``; NEED if the buffer ends inside a prefix of it."""
    if buf.startswith(lit, pos):
        return True
    rest = buf[pos:pos + len(lit)]
    if len(rest) < len(lit) and lit.startswith(rest) and not ctx.final:
        return NEED
    return False


_MAX_HEAD = 128  # longest tool name / fence language we wait for before calling it prose


def _partial(pattern: str, buf: str, pos: int, ctx: Ctx) -> bool:
    """Whether the short rest ``buf[pos:]`` may still grow into a call opener (then NEED).

    Bounded: an opener never has more than ``_MAX_HEAD`` characters of name in it, so a
    long run of prose after ``<function=`` or ```` ``` ```` is not held back or rescanned.
    """
    return not ctx.final and len(buf) - pos <= _MAX_HEAD and \
        re.fullmatch(pattern, buf[pos:]) is not None


def _body_end(buf: str, start: int, closes: tuple[str, ...], stops: tuple[str, ...],
              ctx: Ctx) -> tuple[int, int] | None:
    """``(content_end, consumed_end)`` of a tagged body; None = need more text.

    The body ends at the first closing marker (consumed) or the next opening marker (not
    consumed: a model that forgot ``</tool_call>`` before its next call); at the end of the
    reply, an unclosed body runs to the end (minus a half-written closing marker).
    """
    memo, key = ctx.memo.setdefault(ctx.base + start, {}), ("searched", closes, stops)
    longest = max(len(m) for m in (*closes, *stops))
    # Resume the search where the previous (streaming) call stopped: offset from ``start``.
    begin = start + max(0, memo.get(key, 0) - longest)
    hits = [(j, j + len(m)) for m in closes if (j := buf.find(m, begin)) >= 0]
    hits += [(j, j) for m in stops if (j := buf.find(m, begin)) >= 0]
    if hits:
        return min(hits)
    if not ctx.final:
        memo[key] = len(buf) - start
        return None
    end = len(buf)
    for m in closes:  # drop a truncated closing tag such as "</tool_ca"
        for k in range(len(m) - 1, 0, -1):
            if buf.endswith(m[:k]):
                end = min(end, len(buf) - k)
                break
    return end, len(buf)


_OPENERS: list[str] = ["<think>", "<function="]  # literal openers, for TRIGGERS below


def tag(open_: str, *closes: str, reader: Callable[[str], list[RawCall]] = explicit_calls
        ) -> Recogniser:
    """A wrapper ``open_ body close``: the body is read by ``reader``.

    The body also ends at the next ``open_`` (a forgotten closing tag) and, at the end of
    the reply, at the end of the text.
    """

    _OPENERS.append(open_)

    def recognise(buf: str, pos: int, ctx: Ctx) -> Verdict:
        o = _opens(buf, pos, open_, ctx)
        if o is not True:
            return NEED if o is NEED else Reject()
        start = pos + len(open_)
        span = _body_end(buf, start, closes, (open_,), ctx)
        if span is None:
            return NEED
        return Match(span[1], reader(buf[start:span[0]]))

    return recognise


def marker(lit: str) -> Recogniser:
    """A bare special token that only frames calls (DeepSeek/Kimi section markers): dropped."""

    _OPENERS.append(lit)

    def recognise(buf: str, pos: int, ctx: Ctx) -> Verdict:
        o = _opens(buf, pos, lit, ctx)
        if o is not True:
            return NEED if o is NEED else Reject()
        return Match(pos + len(lit), [])

    return recognise


_FUNC_NAME = re.compile(r"<function=([\w.\-]+)>")


def function_tag(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Llama 3.1 custom format ``<function=name>{json}</function>``."""
    o = _opens(buf, pos, "<function=", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _FUNC_NAME.match(buf, pos)
    if not m:
        if _partial(r"<function=[\w.\-]*", buf, pos, ctx):
            return NEED
        return Reject()
    span = _body_end(buf, m.end(), ("</function>",), ("<function=",), ctx)
    if span is None:
        return NEED
    body = buf[m.end():span[0]].strip()
    params = xml_params(body)
    args = params if params is not None else (body or None)
    return Match(span[1], [RawCall(m.group(1), args, None, buf[pos:span[1]])])


_MISTRAL_NAMED = re.compile(r"\s*([\w.\-]+)(?:\[CALL_ID\][\w\-]*)?\[ARGS\]")


def _json_at(buf: str, i: int, ctx: Ctx) -> int | _Need | None:
    """End of the value opening at ``buf[i]``; NEED while open (end of reply when final)."""
    end = value_end(buf, i, ctx.memo.setdefault(ctx.base + i, {}))
    if end is not None:
        return end
    return len(buf) if ctx.final else NEED


def mistral(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Mistral ``[TOOL_CALLS] [{...}]`` and ``[TOOL_CALLS]name[ARGS]{...}``."""
    o = _opens(buf, pos, "[TOOL_CALLS]", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    i = pos + len("[TOOL_CALLS]")
    while i < len(buf) and buf[i].isspace():
        i += 1
    if i >= len(buf):
        return NEED if not ctx.final else Match(i, [RawCall(None, None, "empty [TOOL_CALLS]")])
    if buf[i] in "[{":
        end = _json_at(buf, i, ctx)
        return end if end is NEED else Match(end, explicit_calls(buf[i:end]))
    m = _MISTRAL_NAMED.match(buf, i)
    if m is None:
        if _partial(r"[\w.\-]*(\[\w*\]?[\w\-]*)*", buf, i, ctx):
            return NEED
        return Match(i, [RawCall(None, None, "[TOOL_CALLS] not followed by a call")])
    j = m.end()
    while j < len(buf) and buf[j].isspace():
        j += 1
    if j >= len(buf) and not ctx.final:
        return NEED
    end = _json_at(buf, j, ctx) if j < len(buf) and buf[j] in "[{" else j
    if end is NEED:
        return NEED
    return Match(end, [RawCall(m.group(1), buf[j:end] or None, None, buf[pos:end])])


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
    o = _opens(buf, pos, "```", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _FENCE_OPEN.match(buf, pos)
    if m is None:
        if _partial(r"```[\w+\-.]*[ \t]*", buf, pos, ctx):
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
    span = _body_end(buf, start, ("```",), (), ctx)
    if span is None:
        return NEED
    body = buf[start:span[0]]
    if lang in _EXPLICIT_LANGS:
        return Match(span[1], explicit_calls(body))
    calls = implicit_calls(body, ctx.names, ctx.sole)
    return Match(span[1], calls) if calls else Reject(span[1] - pos)


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
    span = _body_end(buf, start, ("```",), (), ctx)
    if span is None:
        return NEED
    calls, rest = _tags_only(buf[start:span[0]], ctx)
    return Match(span[1], calls) if calls and not rest.strip() else OpenFence(start)


def _tags_only(body: str, ctx: Ctx) -> tuple[list[RawCall], str]:
    """Run the ``<`` recognisers over a closed block: (calls, text left over)."""
    inner = Ctx(ctx.names, final=True, sole=ctx.sole)
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


def think(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """``<think>`` reasoning (Qwen3, DeepSeek-R1 without a reasoning parser): text in which
    nothing is a call, so a call the model only considers is not made."""
    o = _opens(buf, pos, "<think>", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    return OpenFence(pos + len("<think>"), "</think>")


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
    end = _json_at(buf, pos, ctx)
    if end is NEED:
        return NEED
    calls = implicit_calls(buf[pos:end], ctx.names, ctx.sole)
    return Match(end, calls) if calls else Reject(end - pos)


def _pythonic_list(buf: str, pos: int, ctx: Ctx) -> Verdict | None:
    """``[get_weather(city="Paris")]`` at the start of a reply (Llama 3.2 pythonic)."""
    m = _PY_LIST.match(buf, pos)
    if m is None:
        if _partial(r"\[\s*[A-Za-z_][\w.]*\s*", buf, pos, ctx):
            return NEED
        return None
    if ctx.names is not None and m.group(1) not in ctx.names:
        return None
    end = _json_at(buf, pos, ctx)
    if end is NEED:
        return NEED
    calls = parse_python_calls(buf[pos:end])
    return Match(end, calls) if calls else None


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
    "`": (fence,),
}
_TAG_OPENERS = ("<tool_call>", "<tool_calls>", "<function_call>", "<|tool_call|>",
                "<|python_tag|>", "<function=", "<TOOLCALL>")
# Where a recogniser may start. "<" only counts when the next character can continue one of
# the openers above (or is not there yet), so prose full of "<" is not fed to 15 recognisers.
_LT_NEXT = "".join(sorted({o[1] for o in _OPENERS if o.startswith("<")}))
TRIGGERS = re.compile(r"<(?=[" + re.escape(_LT_NEXT) + r"]|\Z)|[\[{`]")
