"""A loopback HTTP/1.1 server whose answers are raw bytes written by the test.

For the misbehaviours a well-behaved framework cannot produce: closing a
connection right after reading a request, dripping one byte at a time,
lying headers. ``handler(conn, n, head, body)`` gets the socket, the
request's number (1-based, over all connections), the request head and
body; it writes what it likes and returns True to keep the connection open
for another request. Every wait is bounded; the server binds 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

Handler = Callable[[socket.socket, int, bytes, bytes], bool]

OK_BODY = {"id": "r", "object": "chat.completion", "model": "m",
           "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "hi"}}]}


def response(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None,
             reason: str = "OK") -> bytes:
    """A complete HTTP/1.1 answer with Content-Length."""
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "application/json"}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def ok_json(body: Any = None) -> bytes:
    return response(200, json.dumps(OK_BODY if body is None else body).encode())


def sse(*events: Any, done: bool = True) -> bytes:
    """An SSE body from JSON-able events (plus ``[DONE]``)."""
    out = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return out + (b"data: [DONE]\n\n" if done else b"")


def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"id": "s", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


class RawServer:
    """Threaded raw HTTP server (see module docstring); use as a context manager."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def __enter__(self) -> RawServer:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.close()
                except OSError:
                    pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                with self._lock:
                    self.requests += 1
                    n = self.requests
                if not self.handler(conn, n, head, body):
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)


def drip(conn: socket.socket, data: bytes, every: float, stop_after: float = 20.0) -> None:
    """Send ``data`` one byte every ``every`` seconds (stops on a closed peer or after
    ``stop_after``)."""
    end = time.monotonic() + stop_after
    for i in range(len(data)):
        if time.monotonic() > end:
            return
        try:
            conn.sendall(data[i:i + 1])
        except OSError:
            return
        time.sleep(every)
