"""Embeddings client overhead: ours vs a bare httpx client vs langchain-openai.

A loopback stub server (a subprocess, stdlib only) answers ``POST /v1/embeddings``
with pre-built bodies of N x 1024 float32 vectors, as base64 or as float
lists, so the server's own cost is small and the same for every client. We
time, per call of 1000 texts (median of ``--repeat`` runs after a warm-up):

* ``bare-base64``: httpx.Client.post + json + ``array('f').frombytes`` per vector
  (the least any Python client can do);
* ``ours``: ``OpenAICompatibleEmbeddings`` (encoding ``auto`` -> base64) and ``float``;
* ``langchain-openai``: ``OpenAIEmbeddings(check_embedding_ctx_length=False)``
  (openai SDK, base64 decoded with numpy when installed);

the longest event-loop stall during our async call (decoding runs in a worker
thread for large answers), and the sync/async concurrency of ours over batches
of 100 with an optional per-request server latency (``--latency``) standing in
for a real network.

Run: ``python bench/embeddings_bench.py [--n 1000] [--dim 1024] [--repeat 15]``.
Targets: ours <= 1.3x bare-base64, and faster than langchain-openai.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
from array import array
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# ------------------------------------------------------------------ stub server


def _serve(port: int, dim: int, latency: float) -> None:
    import random

    rng = random.Random(0)
    vectors = [[rng.uniform(-0.1, 0.1) for _ in range(dim)] for _ in range(2048)]
    b64 = [base64.b64encode(struct.pack(f"<{dim}f", *v)).decode() for v in vectors]
    cache: dict[tuple[int, str], bytes] = {}

    def body(n: int, fmt: str) -> bytes:
        key = (n, fmt)
        if key not in cache:
            items = b64 if fmt == "base64" else vectors
            data = [{"object": "embedding", "index": i, "embedding": items[i % 2048]}
                    for i in range(n)]
            cache[key] = json.dumps({"object": "list", "data": data, "model": "bench",
                                     "usage": {"prompt_tokens": n, "total_tokens": n}}).encode()
        return cache[key]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send(b'{"status":"ok"}')

        def do_POST(self) -> None:
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            n = len(req["input"]) if isinstance(req["input"], list) else 1
            if latency:
                time.sleep(latency)
            self._send(body(n, req.get("encoding_format") or "float"))

        def _send(self, payload: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    for n in (1000, 100, 1):
        body(n, "base64"), body(n, "float")
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start_stub(dim: int, latency: float = 0.0) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--dim", str(dim),
                             "--latency", str(latency)])
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc, f"http://127.0.0.1:{port}/v1"
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("stub server did not start")


# ---------------------------------------------------------------------- clients


def bare_base64(url: str) -> Callable[[list[str]], list[list[float]]]:
    import httpx

    client = httpx.Client()

    def embed(texts: list[str]) -> list[list[float]]:
        resp = client.post(url + "/embeddings", json={"model": "bench", "input": texts,
                                                      "encoding_format": "base64"})
        out = []
        for item in resp.json()["data"]:
            vec = array("f")
            vec.frombytes(base64.b64decode(item["embedding"]))
            out.append(vec.tolist())
        return out

    return embed


def ours(url: str, **kw: Any) -> Callable[[list[str]], list[list[float]]]:
    from langchain_compat import OpenAICompatibleEmbeddings

    return OpenAICompatibleEmbeddings(base_url=url, model="bench", **kw).embed_documents


def ours_async(url: str, **kw: Any) -> Callable[[list[str]], list[list[float]]]:
    from langchain_compat import OpenAICompatibleEmbeddings

    emb = OpenAICompatibleEmbeddings(base_url=url, model="bench", **kw)
    loop = asyncio.new_event_loop()
    return lambda texts: loop.run_until_complete(emb.aembed_documents(texts))


def lc_openai(url: str) -> Callable[[list[str]], list[list[float]]]:
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(model="text-embedding-3-large", base_url=url, api_key="sk-bench",
                            check_embedding_ctx_length=False).embed_documents


def timeit(fn: Callable[[list[str]], list[list[float]]], texts: list[str], repeat: int,
           dim: int) -> float:
    out = fn(texts)  # warm-up (connections, imports)
    assert len(out) == len(texts) and len(out[0]) == dim, (len(out), len(out[0]))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(texts)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(rows: list[tuple[str, Callable[[list[str]], list[list[float]]]]], texts: list[str],
                repeat: int, dim: int) -> dict[str, float]:
    """Median seconds per call of each client, timed in alternation (fair under a changing load)."""
    for _, fn in rows:  # warm-up and sanity check
        out = fn(texts)
        assert len(out) == len(texts) and len(out[0]) == dim
    times: dict[str, list[float]] = {name: [] for name, _ in rows}
    for _ in range(repeat):
        for name, fn in rows:
            t0 = time.perf_counter()
            fn(texts)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def loop_lag(url: str, texts: list[str], repeat: int) -> tuple[float, float]:
    """Max event-loop lag seen by a 1 ms ticker during ``aembed_documents``, and the call time."""
    from langchain_compat import OpenAICompatibleEmbeddings

    emb = OpenAICompatibleEmbeddings(base_url=url, model="bench")

    async def run() -> tuple[float, float]:
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        await emb.aembed_documents(texts)
        task = asyncio.ensure_future(ticker())
        t0 = time.perf_counter()
        for _ in range(repeat):
            await emb.aembed_documents(texts)
        call = (time.perf_counter() - t0) / repeat
        done.set()
        await task
        return max(gaps), call

    return asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--latency", type=float, default=0.02,
                    help="server latency per request for the concurrency table (s)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _serve(args.serve, args.dim, args.latency)
        return

    texts = [f"document number {i} about something" for i in range(args.n)]
    proc, url = start_stub(args.dim)
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{args.n} x {args.dim} vectors per call, median of {args.repeat} interleaved runs "
              f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {load:.1f})")
        rows = [
            ("bare-base64 (httpx + array)", bare_base64(url)),
            ("ours, auto (base64)", ours(url)),
            ("ours, float", ours(url, encoding_format="float")),
            ("ours, async, auto (base64)", ours_async(url)),
            ("langchain-openai OpenAIEmbeddings", lc_openai(url)),
        ]
        results = interleaved(rows, texts, args.repeat, args.dim)
        base = results[rows[0][0]]
        for name, secs in results.items():
            print(f"  {name:36s} {secs * 1000:8.1f} ms   {secs / base:5.2f}x bare")
        ratio = results["ours, auto (base64)"] / base
        lc = results["langchain-openai OpenAIEmbeddings"] / results["ours, auto (base64)"]
        print(f"ours/bare = {ratio:.2f} (target <= 1.3); "
              f"langchain-openai/ours = {lc:.2f} (target > 1)")
        lag, call = loop_lag(url, texts, max(3, args.repeat // 3))
        print(f"async: max event-loop lag {lag * 1000:.1f} ms during a {call * 1000:.1f} ms call")
    finally:
        proc.kill()
        proc.wait()

    for latency in (0.0, args.latency):
        proc, url = start_stub(args.dim, latency)
        try:
            print(f"\nbatches of 100 ({args.n // 100} requests per call), server latency "
                  f"{latency * 1000:.0f} ms/request:")
            for conc in (1, 4):
                s = timeit(ours(url, batch_size=100, max_concurrency=conc), texts, args.repeat,
                           args.dim)
                a = timeit(ours_async(url, batch_size=100, max_concurrency=conc), texts,
                           args.repeat, args.dim)
                print(f"  max_concurrency={conc}: sync {s * 1000:7.1f} ms   "
                      f"async {a * 1000:7.1f} ms")
        finally:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
