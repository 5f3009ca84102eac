"""A fast stub OpenAI-compatible server for the benchmarks (raw asyncio HTTP/1.1).

Why raw asyncio and not uvicorn: the server must cost far less per request
than the cheapest client we measure (a bare httpx call, ~0.3-0.4 ms), so it
serves precomputed bodies from an ``asyncio.Protocol`` with keep-alive and no
framework. It answers:

* ``POST .../chat/completions`` - a small ``chat.completion``; with
  ``"stream": true`` in the body, an SSE stream of ``--chunks`` content
  chunks, a finish chunk, a usage chunk and ``data: [DONE]`` (chunked
  transfer encoding, one HTTP chunk per event, as real servers send them);
* ``POST .../embeddings`` - 1000x1024 vectors (``--rows``/``--dims``), as
  base64 float32 or JSON floats per ``encoding_format`` (default float,
  like OpenAI).

It pins itself to one core, prints ``READY <port>`` and exits on its own
after ``--ttl`` seconds or when its parent process goes away.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import sys
import time

import numpy as np

MODEL = "bench-model"


def chat_body() -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant",
                                 "content": "Hello! How can I help you today?"}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }, separators=(",", ":")).encode()


def sse_body(chunks: int) -> bytes:
    """The whole stream, already framed with chunked transfer encoding."""
    def event(obj: dict | str) -> bytes:
        data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
        payload = f"data: {data}\n\n".encode()
        return b"%x\r\n%s\r\n" % (len(payload), payload)

    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000,
            "model": MODEL, "system_fingerprint": "fp_bench"}
    parts = [event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                          "logprobs": None, "finish_reason": None}]})]
    for i in range(chunks):
        parts.append(event({**base, "choices": [{"index": 0, "delta": {"content": f" tok{i % 100}"},
                                                 "logprobs": None, "finish_reason": None}]}))
    parts.append(event({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None,
                                             "finish_reason": "stop"}]}))
    usage = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks}
    parts.append(event({**base, "choices": [], "usage": usage}))
    parts.append(event("[DONE]"))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def embedding_bodies(rows: int, dims: int) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((rows, dims)).astype("<f4")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    usage = {"prompt_tokens": rows * 4, "total_tokens": rows * 4}

    def body(encode) -> bytes:
        data = [{"object": "embedding", "index": i, "embedding": encode(v)}
                for i, v in enumerate(vecs)]
        return json.dumps({"object": "list", "data": data, "model": MODEL, "usage": usage},
                          separators=(",", ":")).encode()

    return {"base64": body(lambda v: base64.b64encode(v.tobytes()).decode()),
            "float": body(lambda v: [round(float(x), 7) for x in v])}


def response(status: bytes, body: bytes, ctype: bytes = b"application/json") -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: " + ctype + b"\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nx-request-id: req-bench\r\n\r\n" + body)


class Routes:
    def __init__(self, chunks: int, rows: int, dims: int) -> None:
        self.chat = response(b"200 OK", chat_body())
        self.stream = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                       b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
                       + sse_body(chunks))
        self.emb = {k: response(b"200 OK", v) for k, v in embedding_bodies(rows, dims).items()}
        self.not_found = response(
            b"404 Not Found",
            b'{"error":{"message":"not found","type":"invalid_request_error"}}')

    def answer(self, path: bytes, body: bytes) -> bytes:
        if path.endswith(b"/chat/completions"):
            if b'"stream":true' in body or b'"stream": true' in body:
                return self.stream
            return self.chat
        if path.endswith(b"/embeddings"):
            fmt = b"base64" if (b'"encoding_format":"base64"' in body
                                or b'"encoding_format": "base64"' in body) else b"float"
            return self.emb[fmt.decode()]
        return self.not_found


class HTTPProtocol(asyncio.Protocol):
    __slots__ = ("buf", "routes", "transport")

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.buf = b""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            length = 0
            low = head.lower()
            i = low.find(b"content-length:")
            if i >= 0:
                j = low.find(b"\r\n", i)
                length = int(low[i + 15: j if j >= 0 else len(low)])
            if len(buf) < end + 4 + length:
                break
            body = buf[end + 4: end + 4 + length]
            buf = buf[end + 4 + length:]
            path = head[: head.find(b"\r\n")].split(b" ")[1]
            self.transport.write(self.routes.answer(path, body))
        self.buf = buf


async def serve(args: argparse.Namespace) -> None:
    routes = Routes(args.chunks, args.rows, args.dims)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HTTPProtocol(routes), "127.0.0.1", args.port,
                                      backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + args.ttl
    while time.monotonic() < deadline and os.getppid() == parent:
        await asyncio.sleep(0.5)
    server.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--chunks", type=int, default=2000)
    p.add_argument("--rows", type=int, default=1000)
    p.add_argument("--dims", type=int, default=1024)
    p.add_argument("--ttl", type=float, default=900.0, help="exit after this many seconds")
    p.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = p.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:  # same priority as the client workers (see worker.boost_priority)
        os.setpriority(os.PRIO_PROCESS, 0, -10)
    except (OSError, AttributeError):
        pass
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
