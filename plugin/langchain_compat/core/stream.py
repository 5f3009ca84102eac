"""Streamed ``chat.completion.chunk`` events -> :class:`StreamDelta` records (sans-IO).

The sync and async drivers feed raw bytes to :meth:`ChatStream.feed` and yield
the deltas it returns; all per-event logic lives here, once. A whole reply is
read into the same records (:class:`~langchain_compat.core.response.ChatBody`),
so the chat model's one reply reader (``chat_models/reader.py``) serves both.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_compat.core.error_mapping import error_from_stream_event
from langchain_compat.core.reasoning import ThinkSplitter, reasoning_field
from langchain_compat.core.response import (
    StreamDelta,
    choice_info,
    text_or_none,
    usage_to_metadata,
    wire_tool_chunks,
)
from langchain_compat.core.server_meta import server_metadata
from langchain_compat.core.sse import DONE, SSEDecoder, SSEEvent
from langchain_compat.errors import ResponseParseError

__all__ = ["PARTIAL_LIMIT", "ChatStream", "StreamDelta"]

_loads = json.loads
#: Characters of answer text kept for ``StreamInterruptedError.partial`` (the
#: chunks already yielded hold all of it): a long stream must not be held twice.
PARTIAL_LIMIT = 1 << 20


def _choice_index(choice: dict[str, Any]) -> int:
    """A choice's ``index`` (missing means 0); anything but an integer is refused."""
    index = choice.get("index")
    if index is None:
        return 0
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"choice index must be an integer, got {index!r}")
    return index


class ChatStream:
    """State of one streamed chat completion (a transport ``StreamReader``).

    Attributes:
        done: ``[DONE]`` was received.
        chunks: number of chunks produced so far.
        text: the answer text produced so far, up to :data:`PARTIAL_LIMIT`
            characters (for interrupted streams).
        finish_reason: the last finish reason seen.
    """

    whole = False
    __slots__ = (
        "_decoder",
        "_first",
        "_kept",
        "_splitter",
        "_text",
        "chunks",
        "done",
        "finish_reason",
        "model_name",
        "provider",
        "response_id",
        "whole_answer",
    )

    def __init__(self, *, think_tags: bool = True, think_prefilled: bool = False,
                 provider: str | None = None) -> None:
        #: the reader of a whole JSON answer to this stream request, where the client asked
        #: for the stream itself (invoke reading a reply it may end early): a server that
        #: cannot stream answers whole, and that answer is read (None: it is an error).
        self.whole_answer: Any = None
        self._decoder = SSEDecoder()
        self._splitter = ThinkSplitter(prefilled=think_prefilled) if think_tags else None
        self._first = True
        self.provider = provider
        self.done = False
        self.chunks = 0
        self._text: list[str] = []
        self._kept = 0  # characters in _text
        self.finish_reason: str | None = None
        self.model_name: str | None = None
        self.response_id: str | None = None

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def max_event_bytes(self) -> int:
        """Largest single SSE event accepted (see :class:`SSEDecoder`)."""
        return self._decoder.max_event_bytes

    @max_event_bytes.setter
    def max_event_bytes(self, value: int) -> None:
        self._decoder.max_event_bytes = value

    def feed(self, raw: bytes) -> list[StreamDelta]:
        """Decode a read from the network; return the chunks it completes.

        Raises:
            APIError: the stream carried an error event.
            ResponseParseError: an event's data is not JSON (or nested too
                deeply to decode), or a chunk is malformed.
            ResponseTooLargeError: one event is larger than ``max_event_bytes``.
        """
        out: list[StreamDelta] = []
        for event in self._decoder.feed(raw):
            self._event(event, out)
        return out

    def close(self) -> list[StreamDelta]:
        """End of the byte stream: flush held-back text and a trailing event."""
        out: list[StreamDelta] = []
        for event in self._decoder.flush():
            self._event(event, out)
        if self._splitter is not None:
            reasoning, answer = self._splitter.flush()
            if reasoning or answer:
                out.append(self._chunk(answer, reasoning, None, None, None))
        return out

    # -- internals -------------------------------------------------------
    def _event(self, event: SSEEvent, out: list[StreamDelta]) -> None:
        data = event.data
        if data == DONE:
            self.done = True
            return
        if not data.strip():
            return
        try:
            obj = _loads(data)
        except (ValueError, RecursionError) as exc:
            why = ("is nested too deeply to decode" if isinstance(exc, RecursionError)
                   else "is not JSON")
            raise ResponseParseError(
                f"stream event {why}: {data[:200]!r}", provider=self.provider
            ) from None
        if event.event == "error" or (isinstance(obj, dict) and "error" in obj
                                      and "choices" not in obj):
            raise error_from_stream_event(obj, provider=self.provider)
        if not isinstance(obj, dict):
            raise ResponseParseError(f"stream event is not an object: {data[:200]!r}",
                                     provider=self.provider)
        try:
            chunk = self._from_obj(obj)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # A malformed field (a choice, delta, tool call or usage that is
            # not an object): the documented error, not a bare AttributeError.
            raise ResponseParseError(f"malformed stream chunk: {exc}: {data[:200]!r}",
                                     provider=self.provider) from None
        if chunk is not None:
            out.append(chunk)

    def _from_obj(self, obj: dict[str, Any]) -> StreamDelta | None:
        if self._first:
            self.model_name = obj.get("model")
            self.response_id = text_or_none(obj.get("id"))
        usage = obj.get("usage")
        choices = obj.get("choices")
        server = server_metadata(obj) if "timings" in obj else None  # llama-server's timings
        if not choices:
            if not usage and not server:
                return None
            return self._chunk("", None, None, usage_to_metadata(usage) if usage else None, server)
        # With n > 1 every chunk carries one choice tagged by ``index``; a
        # LangChain stream is one generation, so only choice 0 is followed
        # (taking choices[0] blindly interleaved the text of all n answers).
        choice = choices[0]
        index = choice.get("index")
        if not (index is None or (index.__class__ is int and index == 0)):  # the usual case, fast
            choice = next((c for c in choices if _choice_index(c) == 0), None)
        if choice is None:
            if not usage:
                return None
            return self._chunk("", None, None, usage_to_metadata(usage), None)
        delta = choice.get("delta") or {}
        text = delta.get("content") or ""
        reasoning = reasoning_field(delta)
        if reasoning and self._splitter is not None:
            self._splitter.server_splits()
        if self._splitter is not None and text:
            tagged, text = self._splitter.feed(text)
            reasoning = (reasoning or "") + tagged if tagged else reasoning
        tool_chunks = wire_tool_chunks(delta["tool_calls"]) if delta.get("tool_calls") else None
        info = choice_info(obj, choice)
        if info is not None and info.get("finish_reason"):
            self.finish_reason = info["finish_reason"]
        if server:
            info = {**(info or {}), **server}
        usage_meta = usage_to_metadata(usage) if usage else None
        if not (text or reasoning or tool_chunks or info or usage_meta or self._first):
            return None
        return self._chunk(text, reasoning, tool_chunks, usage_meta, info)

    def _chunk(self, text: str, reasoning: str | None, tool_chunks: list | None,
               usage: Any, info: dict[str, Any] | None) -> StreamDelta:
        delta = StreamDelta(text, reasoning, tool_chunks, usage, info)
        if self._first:
            self._first = False
            delta.first = True
            delta.id = self.response_id
        if text and self._kept < PARTIAL_LIMIT:
            text = text[: PARTIAL_LIMIT - self._kept]
            self._text.append(text)
            self._kept += len(text)
        self.chunks += 1
        return delta
