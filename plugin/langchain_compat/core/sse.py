"""Incremental server-sent-events decoder (sans-IO).

Feed it the bytes as they arrive, in reads of any size; it returns the
``data`` payload of every event completed by that read. It handles CRLF, CR
and LF line ends (also a CRLF split across two reads), ``data:`` with or
without a space, comment lines (``:``), multi-line data (joined with ``\\n``),
``event:`` names (``event: error`` is surfaced), and ``[DONE]``.

Why not httpx-sse: it decodes line by line on top of httpx's line iterator,
which costs a Python call per line plus httpx's own splitting. Streaming
throughput is a product target (see bench/), and a byte-level splitter that
handles the common single-line ``data:`` event on a fast path is several
times cheaper per chunk; it is also usable without httpx (the emulator and
tests feed it raw bytes).

Memory: a line is held until its end arrives. Pieces without a line end are
kept in a list (joined once), so a long line costs linear, not quadratic,
copying; and an event (its pending line plus its data lines) larger than
``max_event_bytes`` raises :class:`ResponseTooLargeError` instead of
growing without bound on a server that never sends a newline.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_compat.errors import ResponseTooLargeError

__all__ = ["DONE", "MAX_EVENT_BYTES", "SSEDecoder", "SSEEvent", "looks_like_sse"]

DONE = "[DONE]"
#: Default cap of one event (the driver sets the endpoint's ``max_response_bytes``).
MAX_EVENT_BYTES = 64 * 1024 * 1024
_FIELDS = (b"data", b"event", b"id", b"retry")


def looks_like_sse(head: bytes) -> bool:
    """Whether the first bytes of a body can be an event stream (not JSON, HTML...).

    True for an empty head (nothing to judge) or a first line that is a
    comment or an SSE field (``data``, ``event``, ``id``, ``retry``).
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text or text[:1] == b":":
        return True
    name = text.split(b"\n", 1)[0].split(b":", 1)[0].strip()
    return name in _FIELDS


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event: ``event`` name (default "message") and ``data``."""

    data: str
    event: str = "message"


class SSEDecoder:
    """Turn a byte stream into :class:`SSEEvent` objects.

    Example::

        dec = SSEDecoder()
        for raw in response.iter_raw():
            for ev in dec.feed(raw):
                ...
        for ev in dec.flush():  # an event not followed by a blank line
            ...
    """

    __slots__ = ("_data", "_event", "_event_size", "_parts", "_pending_cr", "_size",
                 "max_event_bytes")

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._parts: list[bytes] = []  # the incomplete last line, in pieces
        self._size = 0  # bytes in _parts
        self._data: list[str] = []
        self._event_size = 0  # bytes in _data
        self._event = ""
        self._pending_cr = False
        self.max_event_bytes = max_event_bytes

    def feed(self, raw: bytes) -> list[SSEEvent]:
        """Decode ``raw`` and return the events it completes.

        Raises:
            ResponseTooLargeError: one event grew past ``max_event_bytes``.
        """
        if not raw:  # an empty read must not forget a CR that may start a CRLF
            return []
        if self._pending_cr and raw[:1] == b"\n":
            raw = raw[1:]
        self._pending_cr = False
        if b"\n" not in raw and b"\r" not in raw:  # no line ends: hold the piece
            self._hold(raw)
            return []
        buf = b"".join((*self._parts, raw)) if self._parts else raw
        if b"\r" in buf:
            if buf.endswith(b"\r"):
                self._pending_cr = True  # a CRLF may be split across reads
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        tail = lines.pop()  # incomplete last line (or b"")
        self._parts, self._size = [], 0
        out: list[SSEEvent] = []
        for line in lines:
            self._line(line, out)
        self._hold(tail)
        return out

    def _hold(self, piece: bytes) -> None:
        if piece:
            self._parts.append(piece)
            self._size += len(piece)
            self._check()

    def _check(self) -> None:
        if self._size + self._event_size > self.max_event_bytes:
            self._parts, self._data = [], []  # release the memory before raising
            raise ResponseTooLargeError(self.max_event_bytes, what="stream event")

    def flush(self) -> list[SSEEvent]:
        """End of stream: dispatch a trailing event that lacked a blank line."""
        out: list[SSEEvent] = []
        if self._parts:
            self._line(b"".join(self._parts), out)
            self._parts, self._size = [], 0
        self._line(b"", out)
        return out

    def _line(self, line: bytes, out: list[SSEEvent]) -> None:
        if not line:  # blank line: dispatch
            if self._data:
                out.append(SSEEvent("\n".join(self._data), self._event or "message"))
                self._data, self._event_size = [], 0
            self._event = ""
            return
        if line[:5] == b"data:":
            value = line[6:] if line[5:6] == b" " else line[5:]
            self._data.append(value.decode("utf-8", "replace"))
            self._event_size += len(value)
            if self._event_size > self.max_event_bytes:
                self._check()
            return
        if line[:1] == b":":  # comment / keep-alive
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":  # "data" with no colon is an empty data line
            self._data.append("")
        # id / retry / unknown fields carry nothing we use
