"""The one reply reader: one attempt's deltas in, text to show and the whole reply out (pure).

Invoke and stream read replies here alike: a stream feeds each
:class:`~langchain_compat.core.stream.StreamDelta` as it arrives, invoke feeds
the one delta its whole body makes (``core/response.py``). :meth:`ReplyReader.feed`
returns the text that may be shown now; :meth:`ReplyReader.finish` returns the
:class:`Reply` the judge decides on (``judge.py``).

What is held back, and why:

- where tools are bound, a candidate call while it may be starting (the emulation
  parser releases prose as soon as it is known to be prose);
- all text under a forcing ``tool_choice`` (a reply without the call is re-asked
  unseen), a reply that opens with markup where tools are bound (``<tool_response>``
  is a result the model wrote itself, re-asked unseen) and prompted JSON (validated,
  re-asked, and released clean, never as half a JSON value);
- every call, native or parsed, until the reply ends: the judge decides on the
  whole reply, and a call it re-asks is never seen.

A reader made ``ends_early`` (plain emulation, ``Profile.early_stop``) says when the reply
holds all that will be used of it (:attr:`ReplyReader.over`): its first call that repeats
an earlier one of the reply, its :data:`MAX_EMULATED_CALLS`-th call, or the first usable
call where one is wanted. Nothing after that point is read, whether the shell then closes
the stream (it does) or the rest arrives anyway: a stream cut there and a whole reply read
the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call

from langchain_compat.chat_models.call_options import CallOptions
from langchain_compat.core.response import StreamDelta

__all__ = ["MAX_EMULATED_CALLS", "NativeCalls", "Reply", "ReplyReader"]

#: Most calls an emulated reply keeps (a small model writes the same call six times).
MAX_EMULATED_CALLS = 4


@dataclass(slots=True)
class Reply:
    """One attempt's reply, read whole.

    Attributes:
        text: the answer text (calls taken out; clean JSON for prompted JSON).
        tool_calls: usable calls, in reply order.
        invalid_tool_calls: calls that cannot be used, each with its ``error``.
        finish_reason: why the model stopped (``"length"``: the token limit).
        usage: the server's token usage of this request (None: not sent).
        info: ``model_name``, ``system_fingerprint`` of the answer.
        logprobs: the answer's token log-probabilities (``{"content": [...]}``).
        meta: what the read (and the judge) add to ``response_metadata``.
    """

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: UsageMetadata | None = None
    info: dict[str, Any] = field(default_factory=dict)
    logprobs: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def has_calls(self) -> bool:
        """Whether the model tried to call a tool (validly or not)."""
        return bool(self.tool_calls or self.invalid_tool_calls)

    def fold_calls(self, cap: int) -> None:
        """Identical calls (same tool, same arguments) in one reply count once, and at most
        ``cap`` calls are kept; the rest are listed in ``meta["dropped_tool_calls"]``."""
        seen: set[tuple[str, str]] = set()
        kept: list[ToolCall] = []
        dropped: list[Any] = []
        for call in self.tool_calls:
            key = (call["name"], json.dumps(call["args"], sort_keys=True, ensure_ascii=False))
            if key in seen or len(kept) >= cap:
                dropped.append(call)
            else:
                seen.add(key)
                kept.append(call)
        if dropped:
            self.tool_calls = kept
            self.meta["dropped_tool_calls"] = [*self.meta.get("dropped_tool_calls", ()), *dropped]

    def keep_one_call(self) -> None:
        """Keep the first usable call (else the first invalid one) when one call per reply
        is wanted (``CallOptions.calls_wanted``); the others are listed in
        ``meta["dropped_tool_calls"]``. The one place a reply is trimmed, native or emulated."""
        calls: list[Any] = [*self.tool_calls, *self.invalid_tool_calls]
        if len(calls) <= 1:
            return
        keep = calls[0]
        self.tool_calls = [keep] if keep["type"] == "tool_call" else []
        self.invalid_tool_calls = [] if self.tool_calls else [keep]
        self.meta["dropped_tool_calls"] = [*self.meta.get("dropped_tool_calls", ()), *calls[1:]]


class NativeCalls:
    """Native ``tool_call_chunk`` dicts merged by index, read at the end of the reply."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: dict[int, list[Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, chunks: list[dict[str, Any]]) -> None:
        for c in chunks:
            index = c.get("index")
            part = self._parts.setdefault(index if isinstance(index, int) else 0, [None, None, []])
            part[0] = part[0] or c.get("id")
            part[1] = part[1] or c.get("name")
            if c.get("args"):
                part[2].append(c["args"])

    def read(self, tools: list[dict[str, Any]] | None) -> tuple[list[ToolCall],
                                                                list[InvalidToolCall]]:
        """(usable calls, invalid calls). A call needs a name and a JSON object of
        arguments; where tools are bound, the tool must be one of them and the arguments
        must follow its schema, exactly as for an emulated call (``emulation/calls.py``)."""
        from langchain_compat.emulation.calls import build_call, index_tools, random_call_id
        from langchain_compat.emulation.jsonish import RawCall

        catalogue = index_tools(tools)
        valid: list[ToolCall] = []
        invalid: list[InvalidToolCall] = []
        for _, (call_id, name, args) in sorted(self._parts.items()):
            text = "".join(args)
            call_id = call_id or random_call_id()
            try:
                value = json.loads(text) if text.strip() else {}
            except (ValueError, RecursionError):
                value = None
            if name and isinstance(value, dict):
                call = build_call(RawCall(name, value), catalogue, call_id)
            else:
                why = ("tool call has no function name" if not name else
                       f"arguments are not a JSON object: {text[:200]!r}")
                call = invalid_tool_call(name=name, args=text, id=call_id, error=why)
            if call["type"] == "tool_call":
                valid.append(call)  # type: ignore[arg-type]
            else:
                invalid.append(call)  # type: ignore[arg-type]
        return valid, invalid


def read_json(text: str, schema: dict[str, Any] | None) -> tuple[str, str | None]:
    """Prompted JSON: ``(clean JSON text, None)``, or ``(the text, why it cannot be used)``."""
    from langchain_compat.emulation.json_output import parse_json_reply
    from langchain_compat.emulation.schema import validate

    obj, error = parse_json_reply(text)
    if error is None:
        obj, errors = validate(obj, schema)
        if not errors:
            return json.dumps(obj, ensure_ascii=False), None
        error = "; ".join(errors)
    return text, error


class ReplyReader:
    """Reads one attempt's reply (see the module docstring).

    Args:
        options: the call's options (tools, tool_choice, structured output).
        calls_only: native tools were sent: text is read as calls only when the
            reply is calls and nothing else (a backend that wrote its call as text).
        constrained: the reply is one JSON object (constrained emulation): an answer's
            text is pulled out of it as it arrives; calls are read at the end.
        ends_early: the reply is over once it holds all that will be used of it (see the
            module docstring; only where calls are parsed from plain text).
        one_call: one call per reply is wanted (``CallOptions.calls_wanted``): with
            ``ends_early`` the reply is over at its first usable call.

    Attributes:
        over: why the reply was read far enough (None: not yet): ``"repeated call"``,
            ``"call limit"`` or ``"one call"``.
    """

    __slots__ = ("_answer", "_ends", "_hold", "_info", "_json", "_keys", "_kept", "_logprobs",
                 "_native", "_one", "_options", "_parser", "_raw", "_shown", "_text", "_usage",
                 "over", "received")

    def __init__(self, options: CallOptions, *, calls_only: bool = False,
                 constrained: bool = False, ends_early: bool = False,
                 one_call: bool = False) -> None:
        self._options = options
        self._one = one_call
        self._parser = None
        self._answer = None
        self._raw: list[str] = []  # constrained: the JSON as it came
        if constrained:
            from langchain_compat.emulation.formats.constrained import AnswerReader

            self._answer = AnswerReader()
        if options.reads_calls:  # (the emulation package is loaded only by calls that need it)
            from langchain_compat.emulation.streaming import StreamingToolParser

            self._parser = StreamingToolParser(options.tools, calls_only=calls_only)
        self._native = NativeCalls()
        self._json = options.prompted_json and not options.tools
        self._hold = options.prompted_json or (self._parser is not None and options.forcing)
        self._text: list[str] = []  # the reply's text (calls taken out)
        self._shown = 0  # pieces of _text released
        self._usage: UsageMetadata | None = None
        self._info: dict[str, Any] = {}
        self._logprobs: list[Any] | None = None
        self.received = False  # a delta of the answer arrived
        self._ends = ends_early and self._parser is not None and self._answer is None
        self._keys: set[tuple[str | None, str]] = set()  # ends_early: the calls read so far
        self._kept: set[str] = set()  # ends_early: ids of the calls before the reply was over
        self.over: str | None = None

    def feed(self, delta: StreamDelta) -> str:
        """Read one delta; return the text that may be shown now ("" for none)."""
        self.received = True
        if delta.usage:
            self._usage = delta.usage  # a running total where servers send it every time
        if delta.info:
            self._note(delta.info)
        text = delta.text  # (a whole reply's text comes before its calls, as in a stream)
        if self.over is not None:
            return ""  # read far enough: the rest is not part of the reply
        if text and self._answer is not None:  # constrained: an answer, or calls read at the end
            self._raw.append(text)
            answer = self._answer.feed(text)
            if answer:
                self._text.append(answer)
        elif text:
            if self._parser is None:
                self._text.append(text)
            else:
                self._take(self._parser.feed(text))
        if delta.tool_chunks:
            self._native.add(delta.tool_chunks)
            if self._parser is not None:  # the backend sends native calls itself
                parser, self._parser = self._parser, None
                self._take(parser.finish())
        return self._release() if text or delta.tool_chunks else ""

    def finish(self) -> Reply:
        """The end of the attempt: the whole reply (calls read, JSON checked).

        A call cut off by the token limit (``finish_reason == "length"``) is invalid,
        and llama-server's generic ``{"response": "..."}`` answer shape is unwrapped.
        """
        reply = Reply(finish_reason=self._info.get("finish_reason"), usage=self._usage,
                      info={k: v for k, v in self._info.items() if k != "finish_reason"},
                      logprobs={"content": self._logprobs} if self._logprobs is not None else None)
        if self._answer is not None and self._answer.answer is not True and self._parser:
            self._take(self._parser.feed("".join(self._raw)))  # the calls, read whole
        if self._parser is not None:
            if self.over is None:
                self._take(self._parser.finish(truncated=reply.finish_reason == "length"))
            parsed = self._parser.result()
            reply.tool_calls = parsed.tool_calls
            reply.invalid_tool_calls = parsed.invalid_tool_calls
            if self._ends:
                reply.tool_calls = [c for c in reply.tool_calls if c["id"] in self._kept]
                reply.invalid_tool_calls = [c for c in reply.invalid_tool_calls
                                            if c["id"] in self._kept]
            if self.over is not None:  # ended by us: what the server says of the rest is moot
                reply.finish_reason = "stop"
                reply.meta["ended_early"] = self.over
        if self._native:
            reply.tool_calls, reply.invalid_tool_calls = self._native.read(self._options.tools)
        text = "".join(self._text)
        options = self._options
        if options.reads_calls and not self._shown and not reply.has_calls:
            from langchain_compat.emulation.parser import unwrap_generic_response

            inner = unwrap_generic_response(text)
            text = text if inner is None else inner
        reply.text = text
        if options.prompted_json and not reply.has_calls:  # also JSON with tools beside it
            schema = options.structured.schema if options.structured else None
            reply.text, error = read_json(text, schema)
            if error is not None:
                reply.meta["structured_output_error"] = error
        return reply

    @property
    def shown(self) -> str:
        """The text released so far."""
        return "".join(self._text[:self._shown])

    def _take(self, events: list[Any]) -> None:
        # the parser's events: TextDelta (text) or ToolCallDelta (no ``text``)
        if not self._ends:
            self._text.extend(t for e in events if (t := getattr(e, "text", "")))
            return
        for event in events:
            if self.over is not None:
                return
            text = getattr(event, "text", None)
            if text is None:
                self._call_read(event)
            elif text:
                self._text.append(text)

    def _call_read(self, call: Any) -> None:
        """ends_early: one more call of the reply (a ``ToolCallDelta``); the reply is over at
        its first repeat (not kept), at the call limit, or at the one usable call wanted."""
        key = (call.name, call.args_json)
        if key in self._keys:
            self.over = "repeated call"
            return
        self._keys.add(key)
        self._kept.add(call.id)
        if call.valid and self._one:
            self.over = "one call"
        elif len(self._keys) >= MAX_EMULATED_CALLS:
            self.over = "call limit"

    def _release(self) -> str:
        if self._hold or self._shown == len(self._text):
            return ""
        if self._parser is not None and not self._shown and self._text[0].startswith("<"):
            return ""  # a reply that opens with markup (a tool result it wrote?): judged first
        out = "".join(self._text[self._shown:])
        self._shown = len(self._text)
        return out

    def _note(self, info: dict[str, Any]) -> None:
        for key, value in info.items():
            if key == "logprobs":
                content = value.get("content") if isinstance(value, dict) else None
                if isinstance(content, list):
                    if self._logprobs is None:
                        self._logprobs = []
                    self._logprobs.extend(content)
            elif value is not None:
                self._info[key] = value
