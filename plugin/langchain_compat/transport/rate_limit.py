"""Client-side rate limiting on langchain-core's rate-limiter interface.

A provider's limit is per API key, not per Python object: every chat model and
embeddings instance of one provider and key in a process shares one bucket
(:func:`shared_limiter`), so five instances cannot send five times the limit.
A ``rate_limiter=`` passed by the caller replaces the shared default.
"""

from __future__ import annotations

import hashlib
import threading

from langchain_core.rate_limiters import InMemoryRateLimiter

__all__ = ["is_shared_limiter", "limiter_for_rpm", "shared_limiter"]

_SHARED: dict[tuple[str, bytes, float], InMemoryRateLimiter] = {}
_LOCK = threading.Lock()


def limiter_for_rpm(rpm: float) -> InMemoryRateLimiter:
    """A new token bucket allowing ``rpm`` requests per minute.

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


def shared_limiter(provider: str, api_key: str | None, rpm: float) -> InMemoryRateLimiter:
    """The process-wide bucket of one provider and key at ``rpm`` requests per minute.

    Args:
        provider: the provider's name (one bucket per provider).
        api_key: the key the requests carry; only its SHA-256 digest is kept.
        rpm: the limit (a different limit for the same key is a different bucket).

    Returns:
        The same :class:`InMemoryRateLimiter` for every caller with these three
        values (thread-safe; usable from any thread or event loop).
    """
    slot = (provider, hashlib.sha256((api_key or "").encode()).digest(), float(rpm))
    with _LOCK:
        limiter = _SHARED.get(slot)
        if limiter is None:
            limiter = _SHARED[slot] = limiter_for_rpm(rpm)
        return limiter


def is_shared_limiter(limiter: object) -> bool:
    """Whether ``limiter`` is one of the process-wide default buckets."""
    with _LOCK:
        return any(limiter is shared for shared in _SHARED.values())
