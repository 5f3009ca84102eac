"""What turns a 2xx answer into items: the two reader protocols a request is sent with.

A :class:`WholeReader` gets the decoded JSON body once, at its end (collected and capped by
the exchange); a :class:`StreamReader` gets every read as it arrives (the SSE decoder of a
chat stream). A stream reader may carry a ``whole_answer`` reader: where the client asked
for the stream itself, a server that answers with a whole JSON body is read with it.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = ["JSONAnswer", "Reader", "StreamReader", "WholeReader"]

T = TypeVar("T")


class StreamReader(Protocol[T]):  # pragma: no cover - typing only
    """Reads a streamed body as it arrives (the SSE decoder of a chat stream)."""

    whole: bool  # False
    done: bool
    chunks: int
    finish_reason: str | None
    max_event_bytes: int

    @property
    def text(self) -> str: ...
    def feed(self, raw: bytes) -> list[T]: ...
    def close(self) -> list[T]: ...


class WholeReader(Protocol[T]):  # pragma: no cover - typing only
    """Reads a whole JSON body at once (a non-streamed chat reply, embeddings)."""

    whole: bool  # True
    def parse(self, body: Any) -> list[T]: ...


Reader = StreamReader[T] | WholeReader[T]


class JSONAnswer:
    """The :class:`WholeReader` of a plain JSON request: the decoded body as the one item."""

    whole = True
    __slots__ = ()

    def parse(self, body: Any) -> list[Any]:
        return [body]
