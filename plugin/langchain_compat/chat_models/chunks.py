"""The one place LangChain chunks are made, for invoke and stream alike (pure).

A call yields a chunk for each piece of text (or reasoning) its reader
releases, then one final chunk: the rest of the answer's text, its calls as
``tool_call_chunks``, the usage of all its requests and its
``response_metadata``. Invoke adds the same chunks up, so the two cannot
disagree; a builder made ``whole`` (invoke) keeps the released text and reasoning and puts
them in the final chunk instead, the one chunk invoke then needs (the same text a stream's
chunks add up to, without making and merging a chunk per piece).

Only usable calls become ``tool_call_chunks``: LangChain parses merged chunks'
arguments again (completing partial JSON), so an invalid call would come back
as a runnable one in any aggregated stream. Invalid calls are reported in
``response_metadata["invalid_tool_calls"]`` (with why), on both paths.

Text shown by an attempt that was then re-asked (or re-sent) stays shown. A
next attempt that repeats it is not shown twice: while its text is a prefix of
what was shown nothing is yielded; text that goes on past it continues it;
text that diverges is yielded whole, set apart by a blank line.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessageChunk, ToolCall
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGenerationChunk

from langchain_compat.core.blocks import MODEL_PROVIDER

__all__ = ["ChunkBuilder"]

_SEPARATOR = "\n\n"


class ChunkBuilder:
    """Turns one call's released text and final reply into ``ChatGenerationChunk`` objects."""

    __slots__ = ("_cur", "_held", "_pos", "_prev", "_shown_any", "_thought", "_whole", "id")

    def __init__(self, *, whole: bool = False) -> None:
        self._whole = whole  # pieces are kept for the final chunk (invoke), not made chunks
        self._held: list[str] = []  # whole: the text shown so far
        self._thought: list[str] = []  # whole: the reasoning shown so far
        self.id: str | None = None  # the response id, for the first chunk made
        self._shown_any = False  # a chunk was made (it carried the id)
        self._prev: str | None = None  # text shown by earlier attempts the current one may repeat
        self._pos = 0  # how much of _prev the current attempt repeated so far
        self._cur: list[str] = []  # the current attempt's released text

    def response_id(self, value: str | None) -> None:
        """The id of the answer (set once, carried by the first chunk made)."""
        if self.id is None and value:
            self.id = value

    def piece(self, text: str, reasoning: str | None = None) -> ChatGenerationChunk | None:
        """The chunk for released ``text`` and ``reasoning`` (None when there is nothing to
        show, except for the first chunk: it is made at once, with the answer's id, to say
        the answer has begun)."""
        shown = self._visible(text) if text else ""
        if self._whole:
            if shown:
                self._held.append(shown)
            if reasoning:
                self._thought.append(reasoning)
            return None
        if not shown and not reasoning and self._shown_any:
            return None
        kwargs: dict[str, Any] = {"content": shown}
        if reasoning:
            kwargs["additional_kwargs"] = {"reasoning_content": reasoning}
        return ChatGenerationChunk(message=self._message(**kwargs))

    def attempt_over(self) -> None:
        """The current attempt will not be finished (re-asked or re-sent): its shown text is
        what the next attempt may repeat."""
        cur, self._cur = "".join(self._cur), []
        if self._prev is not None:
            self._pos = 0  # it repeated at most a prefix of what was shown: nothing new is visible
        elif cur:
            self._prev, self._pos = cur, 0

    def final(self, text: str, tool_calls: list[ToolCall], *, metadata: dict[str, Any],
              usage: UsageMetadata | None,
              generation_info: dict[str, Any] | None) -> ChatGenerationChunk:
        """The last chunk: the rest of ``text`` (the answer as finally decided), the calls,
        the usage and the metadata."""
        chunks = [{"name": c["name"], "args": json.dumps(c["args"], ensure_ascii=False),
                   "id": c["id"], "index": i, "type": "tool_call_chunk"}
                  for i, c in enumerate(tool_calls)]
        kwargs: dict[str, Any] = {}
        if self._thought:
            kwargs["additional_kwargs"] = {"reasoning_content": "".join(self._thought)}
        message = self._message(content="".join(self._held) + self._rest(text),
                                tool_call_chunks=chunks, response_metadata=metadata,
                                usage_metadata=usage, **kwargs)
        return ChatGenerationChunk(message=message, generation_info=generation_info or None)

    # -- internals -------------------------------------------------------
    def _message(self, **kwargs: Any) -> AIMessageChunk:
        # Every chunk names the provider, as ChatOpenAI's do, so each one's content_blocks
        # come from our translator and a v1 stream merges cleanly.
        kwargs["response_metadata"] = {"model_provider": MODEL_PROVIDER,
                                       **kwargs.get("response_metadata", {})}
        if not self._shown_any:
            self._shown_any = True
            if self.id:
                kwargs["id"] = self.id
        return AIMessageChunk(**kwargs)

    def _visible(self, piece: str) -> str:
        """What to show of a piece of the current attempt's text (see the module docstring)."""
        self._cur.append(piece)
        prev = self._prev
        if prev is None:
            return piece
        pos = self._pos
        if prev.startswith(piece, pos):  # still repeating
            self._pos = pos + len(piece)
            if self._pos == len(prev):
                self._prev = None  # all of it repeated: what follows continues it
            return ""
        self._prev = None
        if piece.startswith(prev[pos:]):  # goes on past what was shown
            return piece[len(prev) - pos:]
        return _SEPARATOR + prev[:pos] + piece  # diverged: this attempt's text, set apart

    def _rest(self, text: str) -> str:
        """What to show of the final answer ``text``, given what was shown."""
        prev = self._prev
        if prev is not None:  # the attempt repeated a prefix of the shown text, if anything
            if text.startswith(prev):
                return text[len(prev):]
            return "" if prev.startswith(text) else _SEPARATOR + text
        cur = "".join(self._cur)
        if text.startswith(cur):
            return text[len(cur):]
        return _SEPARATOR + text
