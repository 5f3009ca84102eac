"""A loopback HTTP/1.1 server on a bare asyncio socket that keeps every request's raw bytes.

The bundled emulator parses requests and masks credentials before it logs them,
so a test reading its log cannot see *where* a key travelled. This server keeps
the request line, every header line and the body exactly as they arrived, and
answers just enough of the OpenAI API for our clients to finish a call:

* ``POST .../chat/completions``: a ``chat.completion`` (``"ok"``), or with
  ``"stream": true`` an SSE stream of three chunks and ``data: [DONE]``;
* ``POST .../embeddings``: one vector of ``DIM`` values per input, base64
  float32 when ``encoding_format`` is ``"base64"``, floats otherwise.

Runs in its own thread with its own event loop, binds 127.0.0.1 only, and
stops with the ``with`` block.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
from typing import Any

__all__ = ["DIM", "RawRequest", "RawWireServer"]

#: Vector size answered (the documented size of cotomi's multilingual-e5-large).
DIM = 1024


class RawRequest:
    """One request as received: ``head`` (request line and headers) and ``body``, as bytes."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head, self.body = head, body

    @property
    def raw(self) -> bytes:
        return self.head + b"\r\n\r\n" + self.body

    @property
    def path(self) -> str:
        return self.head.split(b"\r\n", 1)[0].split(b" ")[1].decode()

    def header_lines(self) -> list[bytes]:
        return self.head.split(b"\r\n")[1:]


def _chat(body: dict[str, Any]) -> tuple[bytes, bytes]:
    model = body.get("model", "m")
    if not body.get("stream"):
        reply = {"id": "chatcmpl-raw", "object": "chat.completion", "created": 0, "model": model,
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "ok"}}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        return b"application/json", json.dumps(reply).encode()
    deltas = [({"role": "assistant", "content": ""}, None), ({"content": "ok"}, None), ({}, "stop")]
    events = [
        json.dumps({"id": "chatcmpl-raw", "object": "chat.completion.chunk", "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": d, "finish_reason": f}]}).encode()
        for d, f in deltas
    ]
    stream = b"".join(b"data: " + e + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    return b"text/event-stream", stream


def _embeddings(body: dict[str, Any]) -> tuple[bytes, bytes]:
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = []
    for i, _ in enumerate(inputs):
        vec = [1.0 / DIM ** 0.5] * DIM
        value: Any = vec
        if body.get("encoding_format") == "base64":
            value = base64.b64encode(struct.pack(f"<{DIM}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": value})
    reply = {"object": "list", "data": data, "model": body.get("model", "m"),
             "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    return b"application/json", json.dumps(reply).encode()


def _answer(path: str, body: bytes) -> bytes:
    try:
        parsed = json.loads(body)
        kind, payload = (_embeddings if path.endswith("/embeddings") else _chat)(parsed)
        status = b"200 OK"
    except (ValueError, KeyError, TypeError) as exc:
        kind, status = b"application/json", b"400 Bad Request"
        payload = json.dumps({"error": {"message": f"raw wire server: {exc}"}}).encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: " + kind + b"\r\ncontent-length: "
            + str(len(payload)).encode() + b"\r\n\r\n" + payload)


class RawWireServer:
    """``with RawWireServer() as srv:`` — ``srv.base_url`` ends in ``/v1``; ``srv.requests``."""

    def __init__(self) -> None:
        self.requests: list[RawRequest] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def take(self) -> list[RawRequest]:
        """The requests received so far, forgetting them."""
        with self._lock:
            out, self.requests = self.requests, []
        return out

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n"))[:-4]
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                request = RawRequest(head, body)
                with self._lock:
                    self.requests.append(request)
                writer.write(_answer(request.path, body))
                await writer.drain()
        finally:
            writer.close()

    def __enter__(self) -> RawWireServer:
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()  # then end the connections still kept alive by clients
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="raw-wire-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("raw wire server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
