"""Incremental tool-call parsing for streamed replies.

Plain text is released as it arrives (only trailing whitespace waits for what follows).
From the moment a call may be starting (``<tool_call``, ``{``, a fence, ``[TOOL_CALLS]``,
``<|python_tag|>``, ``<function=``, ``[`` ...) only that candidate is held back; when it
proves to be prose it is released as text, when it is a call one ``ToolCallDelta`` carries
it whole: at its end marker, or, for a call without one (bare JSON), once anything follows
it (a next call's first character is enough) or the reply ends. The concatenated
``TextDelta`` texts equal ``parse_tool_calls(full).content`` and the calls equal its calls
(the same scanner runs both, see ``engine.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from langchain_core.messages import InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.tool import tool_call_chunk

from langchain_compat.emulation.engine import Engine, IdFactory
from langchain_compat.emulation.parser import ParsedReply

__all__ = ["Event", "StreamingToolParser", "TextDelta", "ToolCallDelta"]


@dataclass(frozen=True)
class TextDelta:
    """Text to show the user."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """One complete call.

    Attributes:
        index: Position among all calls of the reply (valid and invalid).
        id: The call id.
        name: The tool name (``None`` if the model gave none).
        args_json: Arguments as a JSON string (validated/coerced when ``error`` is None;
            the raw text otherwise, ``""`` if there was none).
        error: ``None`` for a valid call, else why it cannot be used (the matching
            ``InvalidToolCall.error``).
    """

    index: int
    id: str
    name: str | None
    args_json: str
    error: str | None = None

    @property
    def valid(self) -> bool:
        """Whether this is a usable call (``error`` is None)."""
        return self.error is None

    def as_tool_call_chunk(self) -> ToolCallChunk:
        """This call as a LangChain ``ToolCallChunk`` (for ``AIMessageChunk.tool_call_chunks``).

        Note that merging chunks re-parses ``args`` only as JSON: an invalid call whose
        arguments happen to be valid JSON would look valid there, so use ``error`` (or
        ``StreamingToolParser.result()``) for the final message.
        """
        return tool_call_chunk(name=self.name, args=self.args_json, id=self.id, index=self.index)


Event = TextDelta | ToolCallDelta


def _event(index: int, call: ToolCall | InvalidToolCall) -> ToolCallDelta:
    if call["type"] == "tool_call":
        return ToolCallDelta(index, call["id"], call["name"],
                             json.dumps(call["args"], ensure_ascii=False))
    return ToolCallDelta(index, call["id"], call["name"], call["args"] or "", call["error"])


class StreamingToolParser:
    """Feed text deltas, get text and complete tool calls back as soon as they are known.

    Example::

        parser = StreamingToolParser(tools)
        for delta in deltas:
            for event in parser.feed(delta): ...
        for event in parser.finish(): ...
        reply = parser.result()  # the same ParsedReply parse_tool_calls would give
    """

    def __init__(self, tools: list[dict] | None, *, id_factory: IdFactory | None = None,
                 calls_only: bool = False) -> None:
        """Args:
        tools: OpenAI-format tools, or ``None`` if unknown (as in ``parse_tool_calls``).
        id_factory: ``index -> id``; default random ``call_<24 hex>``.
        calls_only: As in ``parse_tool_calls``: nothing is released until the reply is
            known to be calls only (then at ``finish``) or to hold prose (then all of it,
            from the start, as text, and the rest as it arrives).
        """
        self._engine = Engine(tools, id_factory, calls_only=calls_only)
        self._reply = ParsedReply()

    def feed(self, delta: str) -> list[Event]:
        """Add a chunk of reply text.

        Args:
            delta: The new text (may be empty, may split anything anywhere).

        Returns:
            The events that can be emitted now.

        Raises:
            RuntimeError: after ``finish()``.
        """
        return self._events(self._engine.push(delta or ""))

    def finish(self, *, truncated: bool = False) -> list[Event]:
        """Signal the end of the reply and flush everything held back.

        Args:
            truncated: The reply stopped at the token limit (as in ``parse_tool_calls``;
                known only at the end of a stream, hence here). A call the reply ends with
                that has no closing marker of its own is invalid. Such a call (a bare JSON
                call, or a tag the reply has not closed yet) is therefore held until
                something follows it or the stream ends.

        Returns:
            The remaining events (unclosed calls are parsed as they are, except that a
            call whose JSON is still open was cut off and is invalid).
        """
        return self._events(self._engine.push("", final=True, truncated=truncated))

    def result(self) -> ParsedReply:
        """Everything emitted so far, as a ``ParsedReply`` (complete after ``finish``)."""
        return self._reply

    def _events(self, items: list) -> list[Event]:
        self._reply.add(items)
        return [TextDelta(i) if isinstance(i, str) else _event(*i) for i in items]
