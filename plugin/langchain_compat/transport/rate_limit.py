"""Client-side rate limiting on langchain-core's rate-limiter interface."""

from __future__ import annotations

from langchain_core.rate_limiters import InMemoryRateLimiter

__all__ = ["limiter_for_rpm"]


def limiter_for_rpm(rpm: float) -> InMemoryRateLimiter:
    """A token bucket allowing ``rpm`` requests per minute.

    langchain-core's bucket starts empty (the first call would wait a full
    interval, 8.6 s at 7 rpm); we start it with one token so a single call
    goes out at once while a burst is still spread to the provider's limit.
    """
    limiter = InMemoryRateLimiter(
        requests_per_second=rpm / 60.0,
        check_every_n_seconds=0.05,
        max_bucket_size=1,
    )
    limiter.available_tokens = 1.0
    return limiter
