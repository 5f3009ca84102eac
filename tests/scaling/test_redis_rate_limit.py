"""A rate limit shared by worker processes through a real Redis (issue #15, part 1).

The issue's limit is 7 requests per 10 s; the window is scaled down to 7 per
2 s here so 4 workers x 20 requests finish in about 25 s. The emulator keeps
its own sliding window of the same size and answers 429 past it.
"""

from __future__ import annotations

import multiprocessing
import time

import pytest
from limit_worker import work

from langchain_compat import ChatOpenAICompatible, ChatTelkom
from langchain_compat.errors import RateLimiterTimeoutError
from langchain_compat.ratelimit import RedisRateLimiter
from langchain_compat.testing import emulate, rate_limited

LIMIT, WINDOW = 7, 2.0
#: Seconds after a 429 in which requests booked before it may still arrive.
IN_FLIGHT = 0.4
pytestmark = pytest.mark.timeout(120)


def _run_workers(emu, redis_url: str, workers: int, count: int) -> list[dict]:
    """Fork the workers; each warms up, then all start together at the barrier."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    with emulate("openai-compatible", api_key=emu.api_key, rate_limit=None) as warm:
        procs = [ctx.Process(target=work, args=(
            emu.base_url, warm.base_url, emu.api_key, redis_url, LIMIT, WINDOW, count, str(i),
            barrier, results)) for i in range(workers)]
        for proc in procs:
            proc.start()
        barrier.wait(60)
    out = [results.get(timeout=100) for _ in procs]
    for proc in procs:
        proc.join(10)
        assert proc.exitcode == 0
    return out


def _most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


def _fresh(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.load
def test_four_processes_share_one_limit(redis_url: str) -> None:
    _fresh(redis_url)
    with emulate("openai-compatible", api_key="emu-shared-key", rate_limit=LIMIT,
                 rate_window=WINDOW) as emu:
        t0 = time.monotonic()
        results = _run_workers(emu, redis_url, workers=4, count=20)
        took = time.monotonic() - t0
        seen = emu.requests
    assert [r["errors"] for r in results] == [[]] * 4
    assert sum(r["ok"] for r in results) == 80
    assert [r.status for r in seen].count(429) == 0  # the emulator never had to refuse
    assert len(seen) == 80
    assert _most_in_window([r.time for r in seen], WINDOW) <= LIMIT
    # 80 requests at 7 per 2 s need at least 10 full windows after the first burst
    assert took >= (80 // LIMIT - 1) * WINDOW
    assert {r.headers["x-worker"] for r in seen} == {"0", "1", "2", "3"}


@pytest.mark.load
def test_a_429_in_one_worker_holds_all(redis_url: str) -> None:
    _fresh(redis_url)
    hold = 3.0
    with emulate("openai-compatible", api_key="emu-shared-key", rate_limit=None) as emu:
        emu.schedule({5: rate_limited(retry_after=hold)})
        results = _run_workers(emu, redis_url, workers=4, count=5)
        seen = emu.requests
    assert [r["errors"] for r in results] == [[]] * 4
    refused = [r for r in seen if r.status == 429]
    assert len(refused) == 1
    t429 = refused[0].time
    after = [r for r in seen if r.time > t429]
    # Requests already on the wire when the 429 came back still land (within IN_FLIGHT);
    # after that nobody - not the refused worker, nor the 3 other processes - sends
    # until the hold is over.
    assert [r.time - t429 for r in after if IN_FLIGHT < r.time - t429 < hold - 0.1] == []
    assert len([r for r in after if r.time - t429 >= hold - 0.1]) >= 10
    others = {r.headers["x-worker"] for r in after} - {refused[0].headers["x-worker"]}
    assert others, "the other workers had requests left after the 429"


def test_env_var_switches_profile_default_to_redis(redis_url: str, monkeypatch) -> None:
    _fresh(redis_url)
    monkeypatch.setenv("LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL", redis_url)
    secret = "sk-telkom-never-in-redis-0123456789"
    llm = ChatTelkom(api_key=secret, base_url="http://127.0.0.1:9/v1")
    limiter = llm.rate_limiter
    assert isinstance(limiter, RedisRateLimiter)
    assert (limiter.limit, limiter.window) == (7, 60.0)  # the profile's 7 rpm
    assert limiter.scope.startswith("telkom:") and secret not in repr(limiter)
    assert limiter.acquire(blocking=False)
    import redis

    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*")]
    assert keys and all(secret not in k and limiter.scope in k for k in keys)


def test_unscoped_limiter_is_scoped_per_key(redis_url: str) -> None:
    _fresh(redis_url)
    shared = RedisRateLimiter.from_url(redis_url, requests_per_window=1, window_seconds=30)
    a = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", api_key="key-a", model="m",
                             rate_limiter=shared)
    b = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", api_key="key-b", model="m",
                             rate_limiter=shared)
    assert a.rate_limiter.scope != b.rate_limiter.scope
    assert a.rate_limiter.acquire(blocking=False) and b.rate_limiter.acquire(blocking=False)
    assert not a.rate_limiter.acquire(blocking=False)  # key a's window is full, b's is its own


async def test_async_acquire_and_non_blocking(redis_url: str) -> None:
    _fresh(redis_url)
    lim = RedisRateLimiter.from_url(redis_url, requests_per_window=2, window_seconds=0.6,
                                    provider="p", api_key="k", slack_seconds=0.0)
    assert await lim.aacquire(blocking=False) and await lim.aacquire(blocking=False)
    assert not await lim.aacquire(blocking=False)
    t0 = time.monotonic()
    assert await lim.aacquire()
    assert time.monotonic() - t0 >= 0.3
    await lim.athrottled(0.5)
    assert not lim.acquire(blocking=False)  # the hold is seen by the sync side too
    capped = RedisRateLimiter.from_url(redis_url, requests_per_window=1, window_seconds=30,
                                       provider="p", api_key="k2", max_wait=0.2)
    assert capped.acquire()
    with pytest.raises(RateLimiterTimeoutError):  # no slot within max_wait: nothing is sent
        capped.acquire()
    assert not capped.acquire(blocking=False)


async def test_async_calls_report_a_429_and_retry_through_the_limiter(redis_url: str) -> None:
    import asyncio

    _fresh(redis_url)
    hold = 1.5
    with emulate("openai-compatible", api_key="emu-shared-key", rate_limit=None) as emu:
        emu.schedule({1: rate_limited(retry_after=hold)})

        def model(worker: str) -> ChatOpenAICompatible:  # separate limiter objects, one scope
            limiter = RedisRateLimiter.from_url(redis_url, requests_per_window=50, window_seconds=1)
            return ChatOpenAICompatible(base_url=emu.base_url, api_key="emu-shared-key", model="m",
                                        rate_limiter=limiter, default_headers={"x-worker": worker})

        first, second = model("a"), model("b")
        one = asyncio.create_task(first.ainvoke("one"))  # refused once, then retried
        while not emu.requests or emu.requests[0].status is None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the 429 has been reported to Redis by now
        await second.ainvoke("two")  # another model and limiter object, same scope
        await one
        seen = emu.requests
    t429 = seen[0].time
    assert seen[0].status == 429 and [r.status for r in seen[1:]] == [200, 200]
    by_worker = {r.headers["x-worker"]: r.time for r in seen[1:]}
    assert by_worker["b"] - t429 >= hold - 0.1  # held by a's 429, through Redis
    assert by_worker["a"] - t429 >= hold - 0.1
