"""Server-sent events: framing, a streaming ASGI response, and stream faults."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from langchain_compat.testing.faults import Fault

__all__ = ["ABORT", "DONE", "ConnectionAbort", "IterResponse", "apply_stream_fault", "frame"]

DONE = b"data: [DONE]\n\n"
ABORT = object()  # sentinel: close the connection here, mid-body


class ConnectionAbort(Exception):
    """Raised inside a response to make uvicorn drop the connection mid-body."""


class _HideAborts(logging.Filter):
    # uvicorn logs every exception escaping the app; ours are on purpose.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionAbort)


_filter = _HideAborts()
if _filter not in logging.getLogger("uvicorn.error").filters:  # pragma: no branch
    logging.getLogger("uvicorn.error").addFilter(_filter)


def frame(data: Any, event: str | None = None) -> bytes:
    """One SSE event: ``[event: X\\n]data: <json>\\n\\n``."""
    text = (
        data
        if isinstance(data, str)
        else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    )
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


async def aiter_list(items: Iterable[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


class IterResponse:
    """An ASGI response sending ``items`` as body parts; ``ABORT`` drops the connection."""

    def __init__(
        self,
        items: AsyncIterator[Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str = "text/event-stream",
    ) -> None:
        self.items = items
        self.status_code = status
        self.headers = {"content-type": media_type, **(headers or {})}
        if media_type == "text/event-stream":
            self.headers.setdefault("cache-control", "no-cache")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw})
        try:
            async for item in self.items:
                if item is ABORT:
                    raise ConnectionAbort("emulated connection reset")
                await send({"type": "http.response.body", "body": item, "more_body": True})
        finally:
            aclose = getattr(self.items, "aclose", None)
            if aclose is not None:
                await aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _cut(data: bytes) -> bytes:
    body = data.rstrip(b"\n")
    return body[: max(7, len(body) // 2)] + b"\n\n"


async def apply_stream_fault(
    frames: AsyncIterator[bytes],
    fault: Fault | None,
    stall: Callable[[], Awaitable[None]],
) -> AsyncIterator[Any]:
    """Yield ``frames`` changed by ``fault`` (see :mod:`.faults` for the kinds).

    A "chunk" is any frame but ``[DONE]``. ``stall`` waits until the client
    leaves or the emulator shuts down (for hangs).
    """
    kind = fault.kind if fault else None
    after = fault.after_chunks if fault and kind in ("reset", "hang", "stream_error") else None
    sent = 0
    async for data in frames:
        if data is ABORT:  # the source itself broke (proxy upstream)
            yield ABORT
            return
        is_done = data.strip() == DONE.strip()
        if after is not None and sent >= after:
            break  # misbehave instead of sending this frame
        if is_done and kind == "no_done":
            continue
        if kind == "truncated_json" and sent == 1 and not is_done:
            data = _cut(data)
        if kind == "latency" and fault.chunk_delay and sent:
            await asyncio.sleep(fault.chunk_delay)
        yield data
        if not is_done:
            sent += 1
        if kind == "malformed_sse" and sent == 1 and not is_done:
            yield b"this line is not an SSE field\n\n"
            yield b'data: {"id": "chatcmpl-broken", "choices": [\n\n'
    if after is None:
        return
    if kind == "stream_error":
        error = {
            "message": fault.message,
            "type": "server_error",
            "param": None,
            "code": "stream_error",
        }
        yield frame({"error": error}, event="error")
        return
    if kind == "hang":
        await stall()
    yield ABORT
