"""One worker process of the shared-rate-limit tests: N chat calls through a RedisRateLimiter.

Run in a forked process (the test's imports are inherited, so 4 workers start
in well under a second on a busy machine). It warms up against another
emulator, so first-call costs do not sit between booking a slot and sending,
waits at the barrier so all workers start together, then puts
``{"worker": id, "ok": n, "errors": [...]}`` on the result queue.
"""

from __future__ import annotations

from typing import Any

from langchain_compat import ChatOpenAICompatible
from langchain_compat.ratelimit import RedisRateLimiter


def work(base_url: str, warm_url: str, api_key: str, redis_url: str, limit: int, window: float,
         count: int, worker: str, barrier: Any, results: Any) -> None:
    limiter = RedisRateLimiter.from_url(redis_url, requests_per_window=limit,
                                        window_seconds=window)
    common = {"api_key": api_key, "model": "emu-model", "default_headers": {"x-worker": worker}}
    ChatOpenAICompatible(base_url=warm_url, **common).invoke("warm up")
    model = ChatOpenAICompatible(base_url=base_url, rate_limiter=limiter, max_retries=3, **common)
    barrier.wait(60)
    ok, errors = 0, []
    for _ in range(count):
        try:
            model.invoke("hello")
            ok += 1
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}")
    results.put({"worker": worker, "ok": ok, "errors": errors})
