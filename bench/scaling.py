"""Numbers for docs/scaling.md: server start-up, limiter round trip, router overhead.

    PYTHONPATH=plugin:tests/scaling python -m bench.scaling

Everything runs on loopback: redis-server and PostgreSQL from their PyPI wheels
(tests/scaling/servers.py), the provider emulator for the chat calls.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scaling"))

from servers import postgres_server, redis_server

from langchain_compat import ChatOpenAICompatible, Router
from langchain_compat.memory.store import open_checkpointer
from langchain_compat.ratelimit import RedisRateLimiter
from langchain_compat.testing import emulate


def timed(label: str, seconds: float) -> None:
    print(f"{label:<58} {seconds * 1000:9.2f} ms")


async def _calls(model, n: int = 400, concurrency: int = 50) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await model.ainvoke(f"q{i}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return (time.perf_counter() - t0) / n


def main() -> None:
    t0 = time.perf_counter()
    with redis_server() as redis:
        timed("redis-server start (wheel binary, to accepting)", time.perf_counter() - t0)
        lim = RedisRateLimiter.from_url(redis.url, requests_per_window=10**9, window_seconds=60,
                                        provider="bench", api_key="k")
        lim.acquire()
        samples = []
        for _ in range(500):
            s = time.perf_counter()
            lim.acquire()
            samples.append(time.perf_counter() - s)
        timed("RedisRateLimiter.acquire, median of 500 (granted)", statistics.median(samples))
        timed("RedisRateLimiter.acquire, p99", sorted(samples)[494])
    t0 = time.perf_counter()
    with postgres_server() as pg:
        timed("PostgreSQL initdb + start (wheel binaries)", time.perf_counter() - t0)
        t0 = time.perf_counter()
        with open_checkpointer(pg.url):
            pass
        timed("PostgresSaver first open (creates tables)", time.perf_counter() - t0)
        t0 = time.perf_counter()
        with open_checkpointer(pg.url):
            pass
        timed("PostgresSaver open (tables exist)", time.perf_counter() - t0)
    with emulate("openai-compatible", api_key="k", rate_limit=None) as a, \
            emulate("openai-compatible", api_key="k", rate_limit=None) as b:
        direct = ChatOpenAICompatible(base_url=a.base_url, api_key="k", model="m")
        routed = Router(deployments=[ChatOpenAICompatible(base_url=u, api_key="k", model="m")
                                     for u in (a.base_url, b.base_url)])
        asyncio.run(_calls(direct, 50))
        timed("one chat call, direct (400 at 50 concurrent, per call)", asyncio.run(_calls(direct)))
        timed("one chat call, through Router (same)", asyncio.run(_calls(routed)))


if __name__ == "__main__":
    main()
