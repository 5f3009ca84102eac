"""Fault injection: what can go wrong between a client and a provider.

A :class:`Fault` describes one misbehaviour; the constructors below build
them. Faults are queued on an emulator (``emu.inject(fault, times=3)`` for
the next three requests) or scheduled by request number
(``emu.schedule({2: server_error(502)})`` or a callable ``n -> Fault | None``).

Kinds and where they act:

=================  ==========================================================
``status``          answer ``status`` (500/502/503/429...) with an OpenAI-style
                    error body instead of a reply (before auth, like a gateway)
``latency``         wait ``delay`` seconds first (and ``chunk_delay`` between
                    stream chunks), then answer normally
``hang``            never answer (or stop after ``after_chunks`` chunks) until
                    the client disconnects or the emulator shuts down (then a
                    503 "shutting down", or the stream's connection is cut)
``reset``           stream: send ``after_chunks`` chunks then abort the TCP
                    connection mid-body; non-stream: abort before any answer
                    is complete (headers sent, body cut)
``truncated_json``  non-stream: a 200 whose JSON body is cut in half;
                    stream: one chunk's JSON is cut
``no_done``         stream ends cleanly but without ``data: [DONE]``
``malformed_sse``   stream contains lines that are not valid SSE / JSON
``stream_error``    after ``after_chunks`` chunks, an ``event: error`` with an
                    OpenAI-style ``{"error": {...}}`` payload, then the end
=================  ==========================================================

Stream-only kinds (``no_done``, ``malformed_sse``, ``stream_error``) skip
non-streaming requests: they stay queued for the next streaming one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

__all__ = [
    "Fault",
    "FaultQueue",
    "hang",
    "latency",
    "malformed_sse",
    "no_done",
    "rate_limited",
    "reset_connection",
    "server_error",
    "stream_error",
    "truncated_json",
]

STREAM_ONLY = frozenset({"no_done", "malformed_sse", "stream_error"})

_STATUS_TYPES = {
    429: ("rate_limit_exceeded", "requests"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "gateway_timeout"),
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour (build with the constructors in this module).

    Attributes:
        kind: see the module table.
        status: HTTP status for ``status`` faults.
        message: error message for ``status`` / ``stream_error``.
        retry_after: ``Retry-After`` seconds sent with a ``status`` fault.
        delay: seconds to wait before answering (``latency``).
        chunk_delay: seconds between stream chunks (``latency``).
        after_chunks: chunks sent before a ``reset`` / ``hang`` / ``stream_error``
            (``hang``: None means before the response headers).
        endpoint: only requests to this endpoint (``"chat"``, ``"embeddings"``,
            ``"models"``, llama-server's ``"props"``); None for any.
    """

    kind: str
    status: int | None = None
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    after_chunks: int | None = None
    endpoint: str | None = None

    def applies_to(self, endpoint: str, streaming: bool) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        return streaming or self.kind not in STREAM_ONLY

    def only(self, endpoint: str) -> Fault:
        """This fault restricted to ``endpoint`` (``"chat"``, ``"embeddings"``, ``"models"``)."""
        return replace(self, endpoint=endpoint)

    def error_body(self) -> dict:
        etype, code = _STATUS_TYPES.get(self.status or 500, ("server_error", None))
        message = self.message or {
            429: "Rate limit reached for requests. Please try again later.",
            500: "The server had an error while processing your request.",
            502: "Bad gateway.",
            503: "The engine is currently overloaded, please try again later.",
        }.get(self.status or 500, "Injected error.")
        return {"error": {"message": message, "type": etype, "param": None, "code": code}}


def server_error(
    status: int = 500, message: str | None = None, *, retry_after: float | None = None
) -> Fault:
    """An HTTP error answer (500, 502, 503, ...), optionally with ``Retry-After``."""
    return Fault("status", status=status, message=message, retry_after=retry_after)


def rate_limited(retry_after: float = 1.0, message: str | None = None) -> Fault:
    """A 429 with a ``Retry-After`` header."""
    return Fault("status", status=429, message=message, retry_after=retry_after)


def latency(seconds: float, *, per_chunk: float = 0.0) -> Fault:
    """Answer normally after ``seconds`` (and ``per_chunk`` between stream chunks)."""
    return Fault("latency", delay=seconds, chunk_delay=per_chunk)


def hang(*, after_chunks: int | None = None) -> Fault:
    """Never answer (or stall a stream after ``after_chunks`` chunks) until shutdown/disconnect."""
    return Fault("hang", after_chunks=after_chunks)


def reset_connection(after_chunks: int = 0) -> Fault:
    """Abort the connection after ``after_chunks`` stream chunks (mid-body)."""
    return Fault("reset", after_chunks=after_chunks)


def truncated_json() -> Fault:
    """A 200 whose JSON body (or one stream chunk's JSON) is cut short."""
    return Fault("truncated_json")


def no_done() -> Fault:
    """A stream that ends without ``data: [DONE]``."""
    return Fault("no_done")


def malformed_sse() -> Fault:
    """A stream with garbage lines (not ``field: value``, broken JSON)."""
    return Fault("malformed_sse")


def stream_error(
    message: str = "The server had an error while processing your request.",
    *,
    after_chunks: int = 1,
) -> Fault:
    """A stream that sends ``after_chunks`` chunks, then an ``error`` event, then ends."""
    return Fault("stream_error", message=message, after_chunks=after_chunks)


Schedule = Mapping[int, Fault] | Callable[[int], "Fault | None"]


class FaultQueue:
    """Queued faults (FIFO, each for a number of requests) plus a schedule."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[list] = []  # [fault, remaining]
        self._schedule: Schedule | None = None

    def push(self, fault: Fault, times: int = 1) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queue.append([fault, times])

    def set_schedule(self, schedule: Schedule | None) -> None:
        with self._lock:
            self._schedule = schedule

    def take(self, number: int, endpoint: str, streaming: bool) -> Fault | None:
        """The fault for request ``number`` (schedule first, then the queue)."""
        with self._lock:
            sched = self._schedule
            if sched is not None:
                fault = sched(number) if callable(sched) else sched.get(number)
                if fault is not None and fault.applies_to(endpoint, streaming):
                    return fault
            for entry in self._queue:
                fault, _ = entry
                if fault.applies_to(endpoint, streaming):
                    entry[1] -= 1
                    if entry[1] == 0:
                        self._queue.remove(entry)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(n for _, n in self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._schedule = None
