"""One streamed attempt: stream deltas -> tool parser -> LangChain chunks (sans-IO).

Text is released as it arrives (held back only while a call may be starting);
parsed calls are held until the end of the stream, so a reply the reply policy
re-asks never surfaces its unusable call. Under a forcing ``tool_choice``
(required or a named tool, e.g. structured output) the reply's text is held to
the end too: a reply without the call is re-asked unseen, and the aggregated
stream equals ``invoke``. Prompted JSON is held whole the same way, validated,
re-asked, and released as the clean JSON ``invoke`` returns.

:func:`langchain_compat.core.stream.delta_to_chunk` is the one place a delta
becomes a ``ChatGenerationChunk``; this module calls it after the parser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_compat.chat_models.policy import Finish, Reask, ReplyPolicy
from langchain_compat.chat_models.reply import path_metadata, read_json
from langchain_compat.chat_models.settings import CallOptions, CallSettings
from langchain_compat.chat_models.usage import estimate_usage
from langchain_compat.core.stream import ChatStream, StreamDelta, delta_to_chunk, message_chunk
from langchain_compat.emulation.engine import random_call_id
from langchain_compat.emulation.parser import unwrap_generic_response
from langchain_compat.emulation.streaming import StreamingToolParser, TextDelta, ToolCallDelta

__all__ = ["StreamAttempt"]


def _invalid_call(e: ToolCallDelta) -> dict[str, Any]:
    """A streamed call that failed validation, as an ``InvalidToolCall`` dict."""
    return {"name": e.name, "args": e.args_json, "id": e.id, "error": e.error, "type": "invalid_tool_call"}


def _common_prefix(a: str, b: str) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n


class _NativeCalls:
    """Native ``tool_call_chunks`` held until the end of the stream, merged by index."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: dict[int, list[Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, chunks: list[dict[str, Any]]) -> None:
        for c in chunks:
            part = self._parts.setdefault(c.get("index") or 0, [None, None, []])
            part[0] = part[0] or c.get("id")
            part[1] = part[1] or c.get("name")
            if c.get("args"):
                part[2].append(c["args"])

    def calls(self) -> list[ToolCallDelta]:
        out = []
        for index, (call_id, name, args) in sorted(self._parts.items()):
            text = "".join(args)
            call_id = call_id or random_call_id()
            try:
                value = json.loads(text) if text.strip() else {}
            except ValueError:
                value = None
            if isinstance(value, dict) and name:
                out.append(ToolCallDelta(index, call_id, name, json.dumps(value, ensure_ascii=False)))
            else:
                why = "tool call has no function name" if not name else f"arguments are not a JSON object: {text[:200]!r}"
                out.append(ToolCallDelta(index, call_id, name, text, why))
        return out


class StreamAttempt:
    """One streamed request of a call.

    Attributes:
        decoder: the SSE decoder the driver feeds (its ``StreamState``).
        reask: set by :meth:`finish` when the reply policy asks again.
        shown: text the user has seen that the next attempt's reply may repeat.
    """

    __slots__ = ("_calls", "_downgrades", "_estimate", "_hold", "_json", "_native", "_options", "_parser",
                 "_payload", "_policy", "_text", "_usage", "_yielded", "decoder", "reask", "shown")

    def __init__(self, settings: CallSettings, options: CallOptions, policy: ReplyPolicy,
                 *, shown: str = "", downgrades: tuple[str, ...] = (),
                 payload: dict[str, Any] | None = None) -> None:
        profile = settings.profile
        self.decoder = ChatStream(think_tags=profile.think_tags, think_prefilled=profile.think_prefilled,
                                  provider=settings.provider)
        self._options = options
        self._policy = policy
        self._parser = (StreamingToolParser(options.tools, calls_only=policy.native_rescue)
                        if options.reads_calls else None)
        self._native = _NativeCalls() if options.reads_calls else None
        self._json = options.prompted_json and not options.tools
        # held to the end: a forced call, and prompted JSON (also with tools beside it)
        self._hold = options.prompted_json or (self._parser is not None and options.forcing)
        self._calls: list[ToolCallDelta] = []
        self._text: list[str] = []  # the reply's text; while _hold, none of it was yielded yet
        self._yielded: list[str] = []  # the text the user was shown
        self.reask: Reask | None = None
        self.shown = shown
        self._downgrades = downgrades
        # stream_options refused: the usage is estimated unless the server sends it anyway
        self._estimate = payload if "stream_options" in downgrades else None
        self._usage = False

    @property
    def received(self) -> bool:
        """Whether any chunk of the answer arrived."""
        return self.decoder.chunks > 0

    @property
    def yielded_text(self) -> str:
        """The text the user was shown by this attempt."""
        return "".join(self._yielded)

    def on_delta(self, delta: StreamDelta) -> Iterator[ChatGenerationChunk]:
        """The chunks to yield for one decoded delta."""
        self._usage = self._usage or bool(delta.usage)
        if self._json:
            yield from self._emit(self._take([TextDelta(delta.text)] if delta.text else []), delta)
            return
        if delta.tool_chunks and self._native is not None:
            # Native calls are held to the end like parsed ones, so the policy judges them too.
            self._native.add(delta.tool_chunks)
            delta.tool_chunks = None
            if self._parser is not None:
                self._parser = None  # the backend streams native calls itself
                yield from self._release_held()
        if self._parser is None:
            if delta.text:
                self._text.append(delta.text)
                self._yielded.append(delta.text)
            if delta.text or delta.has_meta:
                yield delta_to_chunk(delta)
            return
        yield from self._emit(self._take(self._parser.feed(delta.text) if delta.text else []), delta)

    def finish(self) -> Iterator[ChatGenerationChunk]:
        """Flush what was held back, unless the reply policy re-asks (``reask``); then
        the call's downgrades and, where the server sent no usage after
        ``stream_options`` was refused, an estimate of it (see :mod:`.downgrades`); the
        last chunk of the call says how it ran (``response_metadata["tool_calling"]``)."""
        yield from self._finish_reply()
        meta: dict[str, Any] = {}
        usage = None
        if self._estimate is not None and not self._usage:
            usage = estimate_usage(self._estimate, self._message())
            meta["usage_estimated"] = True
        if self.reask is None:
            if self._downgrades:
                meta["downgrades"] = list(self._downgrades)
            policy = self._policy
            meta.update(path_metadata(policy.mode, policy.downgraded, self._options))
            meta.update(self.decoder.server.metadata(self._options.params))  # timings, id_slot
        if meta:
            yield ChatGenerationChunk(message=message_chunk(content="", response_metadata=meta,
                                                            usage_metadata=usage))

    def _finish_reply(self) -> Iterator[ChatGenerationChunk]:
        if self._json:
            yield from self._finish_json()
            return
        if self._parser is None and not self._native:
            return
        truncated = self.decoder.finish_reason == "length"
        tail = self._take(self._parser.finish(truncated=truncated) if self._parser is not None else [])
        inner = unwrap_generic_response("".join(self._text)) if not self._yielded else None
        if inner is not None:  # llama-server's generic {"response": "..."} answer shape
            self._text = [inner]
            tail = "" if self._hold else inner
        if self._native:
            self._calls.extend(self._native.calls())
        message = self._message()
        if self._options.prompted_json and not self._calls:  # tools beside JSON: the JSON answer
            message = read_json(message, self._options)
            if "structured_output_error" not in message.response_metadata:
                self._text, tail = [message.text], ""
        verdict = self._policy.judge(message)
        if isinstance(verdict, Reask):
            self.reask = verdict
            self.shown = "".join(self._yielded)
            return
        if isinstance(verdict, Finish):
            yield from self._final(verdict.message)
            return
        if tail:
            yield self._text_chunk(tail)
        yield from self._release_held()
        calls = self._calls
        if calls and self._options.parallel is False:
            calls = [next((e for e in calls if e.error is None), calls[0])]
        yield from self._calls_chunk([e for e in calls if e.error is None],
                                     [_invalid_call(e) for e in calls if e.error is not None], {})

    def _final(self, message: AIMessage) -> Iterator[ChatGenerationChunk]:
        """The policy's final message in place of the reply (its text continues what was shown)."""
        content = message.content if isinstance(message.content, str) else message.text
        shown = "".join(self._yielded)
        rest = content[len(shown):] if content.startswith(shown) else (f"\n\n{content}" if shown else content)
        if rest:
            yield self._text_chunk(rest)
        valid = [ToolCallDelta(i, c["id"] or random_call_id(), c["name"], json.dumps(c["args"], ensure_ascii=False))
                 for i, c in enumerate(message.tool_calls)]
        yield from self._calls_chunk(valid, list(message.invalid_tool_calls), dict(message.response_metadata))

    def _calls_chunk(self, valid: list[ToolCallDelta], invalid: list[Any],
                     meta: dict[str, Any]) -> Iterator[ChatGenerationChunk]:
        # Only valid calls become tool_call_chunks: merged chunks re-parse their arguments, so
        # an invalid call whose arguments are a JSON object (e.g. {} missing a required field)
        # would turn into a valid call that an agent then runs. Invalid ones are reported in
        # response_metadata["invalid_tool_calls"] (invoke has them in message.invalid_tool_calls).
        chunks = [{"name": e.name, "args": e.args_json, "id": e.id, "index": e.index,
                   "type": "tool_call_chunk"} for e in valid]
        if invalid:
            meta["invalid_tool_calls"] = invalid
        if chunks or meta:
            yield ChatGenerationChunk(message=message_chunk(content="", tool_call_chunks=chunks,
                                                             response_metadata=meta))

    def _finish_json(self) -> Iterator[ChatGenerationChunk]:
        message = read_json(AIMessage(content="".join(self._text)), self._options)
        verdict = self._policy.judge(message)
        if isinstance(verdict, Reask):
            self.reask = verdict
            return
        if isinstance(verdict, Finish):
            message = verdict.message
        yield ChatGenerationChunk(message=message_chunk(
            content=message.content, response_metadata=message.response_metadata))

    def _release_held(self) -> Iterator[ChatGenerationChunk]:
        """Yield the held text (once: at the end, or when native calls take over)."""
        if self._hold and self._text:
            self._hold = False
            yield self._text_chunk("".join(self._text))

    def _text_chunk(self, text: str) -> ChatGenerationChunk:
        self._yielded.append(text)
        return ChatGenerationChunk(message=message_chunk(content=text))

    def _message(self) -> AIMessage:
        valid, invalid = [], []
        for e in self._calls:
            if e.error is None:
                valid.append({"name": e.name, "args": json.loads(e.args_json or "{}"), "id": e.id,
                              "type": "tool_call"})
            else:
                invalid.append(_invalid_call(e))
        return AIMessage(content="".join(self._text), tool_calls=valid, invalid_tool_calls=invalid)

    def _skip_shown(self, text: str) -> str:
        """After a re-ask, drop the leading text the user has already been shown.

        Models re-asked mid-stream usually start their new reply with the same
        words; the earlier attempt's text was already yielded, so only what
        differs from it is yielded again.
        """
        if not self.shown:
            return text
        common = _common_prefix(self.shown, text)
        self.shown = self.shown[common:] if common == len(text) else ""
        return text[common:]

    def _take(self, events: list[Any]) -> str:
        """Record parser events; return the text that may be shown now."""
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        self._calls.extend(e for e in events if not isinstance(e, TextDelta))
        if not text:
            return ""
        self._text.append(text)
        # held text is yielded by _release_held (never re-asked after a hold: nothing to skip)
        return "" if self._hold else self._skip_shown(text)

    def _emit(self, text: str, delta: StreamDelta) -> Iterator[ChatGenerationChunk]:
        if text == delta.text or text or delta.has_meta:
            if text:
                self._yielded.append(text)
            yield delta_to_chunk(delta, text)
