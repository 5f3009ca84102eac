"""Load: 1,000 ``ainvoke`` calls at 200 concurrent, every reply matched to its request;
the Telkom client-side rate limiter never lets a burst exceed its limit.

Bounded in count and time, loopback only; the emulator stops with the test.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from langchain_compat import ChatTelkom
from langchain_compat.testing import emulate
from langchain_compat.transport.rate_limit import limiter_for_rpm

from .conftest import make_chat

TOTAL = 1000
CONCURRENCY = 200
WALL_BOUND = 45.0  # seconds for the whole load (measured ~5-10 s on 2 cores)


@pytest.mark.load
@pytest.mark.timeout(90)
async def test_1000_requests_200_concurrent_nothing_lost_or_mixed() -> None:
    with emulate("openai-compatible", rate_limit=None) as emu:
        llm = make_chat(emu, max_retries=0, timeout=30)
        ids = [f"req-{i}-{uuid.uuid4().hex}" for i in range(TOTAL)]
        sem = asyncio.Semaphore(CONCURRENCY)
        in_flight = peak = 0

        async def one(rid: str) -> tuple[str, str]:
            nonlocal in_flight, peak
            async with sem:
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    msg = await llm.ainvoke(rid)
                finally:
                    in_flight -= 1
            return rid, msg.content

        t0 = time.monotonic()
        results = await asyncio.wait_for(
            asyncio.gather(*(one(r) for r in ids), return_exceptions=True), WALL_BOUND)
        elapsed = time.monotonic() - t0
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        mismatched = [(rid, got) for rid, got in results if got != f"Echo: {rid}"]
        assert mismatched == []
        assert len(results) == TOTAL and {rid for rid, _ in results} == set(ids)
        log = emu.requests
        assert len(log) == TOTAL and all(r.status == 200 for r in log)
        seen = sorted(r.body["messages"][-1]["content"] for r in log)
        assert seen == sorted(ids)  # each sent exactly once, none duplicated by a retry
        assert peak == CONCURRENCY
        rate = TOTAL / elapsed
        print(f"\nload: {TOTAL} requests, {CONCURRENCY} concurrent, {elapsed:.2f} s, {rate:.0f} req/s")
        assert elapsed < WALL_BOUND


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.load
@pytest.mark.timeout(60)
def test_telkom_rate_limiter_burst_never_exceeds_limit() -> None:
    """120 rpm = 2 req/s with a bucket of one: a burst of 9 calls takes ~4 s and no
    window of 1 s (server clock) holds more than 2 requests (1 token + 1 refill)."""
    rpm, n = 120.0, 9
    with emulate("telkom", rate_limit=None) as emu:
        llm = make_chat(emu, ChatTelkom, rate_limiter=limiter_for_rpm(rpm))
        t0 = time.monotonic()
        for i in range(n):
            assert llm.invoke(f"burst {i}").content == f"Echo: burst {i}"
        elapsed = time.monotonic() - t0
        stamps = [r.time for r in emu.requests]
    assert len(stamps) == n
    interval = 60.0 / rpm
    # n calls need n-1 refills of `interval` each (the first goes out at once).
    assert elapsed >= (n - 1) * interval * 0.9
    # Over any window of one interval at most 2 requests (boundary tolerance), and over
    # a 3 s window at most 3 * rpm/60 + 1 (the starting token).
    assert _max_in_window(stamps, interval * 0.95) <= 1
    assert _max_in_window(stamps, 3.0) <= int(3.0 * rpm / 60) + 1
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= interval * 0.8


@pytest.mark.load
@pytest.mark.timeout(60)
async def test_telkom_rate_limiter_concurrent_burst() -> None:
    """The same limit holds when the burst is concurrent (ainvoke from 8 tasks)."""
    rpm, n = 240.0, 8
    with emulate("telkom", rate_limit=None) as emu:
        llm = make_chat(emu, ChatTelkom, rate_limiter=limiter_for_rpm(rpm))
        replies = await asyncio.gather(*(llm.ainvoke(f"c{i}") for i in range(n)))
        assert sorted(r.content for r in replies) == sorted(f"Echo: c{i}" for i in range(n))
        stamps = [r.time for r in emu.requests]
    interval = 60.0 / rpm
    assert _max_in_window(stamps, interval * 0.8) <= 1
    assert _max_in_window(stamps, 1.0) <= int(rpm / 60) + 1


@pytest.mark.load
@pytest.mark.timeout(60)
async def test_telkom_limiter_keeps_a_burst_under_the_providers_window() -> None:
    """The emulator enforces 2 requests per 0.9 s (its own sliding window, refusing with
    429); 8 concurrent calls through a 120 rpm limiter and no retries get zero 429s."""
    with emulate("telkom", rate_limit=2, rate_window=0.9) as emu:
        llm = make_chat(emu, ChatTelkom, rate_limiter=limiter_for_rpm(120), max_retries=0)
        replies = await asyncio.gather(*(llm.ainvoke(f"w{i}") for i in range(8)))
        assert sorted(r.content for r in replies) == sorted(f"Echo: w{i}" for i in range(8))
        assert [r.status for r in emu.requests] == [200] * 8
