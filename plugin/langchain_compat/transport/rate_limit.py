"""Client-side rate limiting on langchain-core's rate-limiter interface.

A provider's limit is per API key, not per Python object: every chat model and
embeddings instance of one provider and key in a process shares one limiter
(:func:`shared_limiter`), so five instances cannot send five times the limit.
That limiter is an in-process token bucket, unless
``LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL`` names a Redis: then it is a
:class:`~langchain_compat.ratelimit.RedisRateLimiter` shared by every process
using the same provider and key (docs/scaling.md). A ``rate_limiter=`` passed
by the caller replaces the shared default.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from typing import Any

from langchain_core.rate_limiters import BaseRateLimiter, InMemoryRateLimiter

__all__ = ["REDIS_URL_ENV", "is_shared_limiter", "limiter_for_rpm", "scoped_limiter",
           "shared_limiter"]

REDIS_URL_ENV = "LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL"

_SHARED: dict[tuple[str, bytes, float, str], BaseRateLimiter] = {}
_LOCK = threading.Lock()


def limiter_for_rpm(rpm: float, *, provider: str | None = None,
                    api_key: str | None = None) -> BaseRateLimiter:
    """A new limiter allowing ``rpm`` requests per minute.

    In process: langchain-core's bucket starts empty (the first call would
    wait a full interval, 8.6 s at 7 rpm); we start it with one token so a
    single call goes out at once while a burst is still spread to the
    provider's limit. With ``LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL`` set: a
    sliding window of ``rpm`` per 60 s (one request per ``60/rpm`` s below 1 rpm)
    in that Redis, scoped to ``provider`` and a digest of ``api_key``.
    """
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    if url:
        from langchain_compat.ratelimit.redis import RedisRateLimiter

        count, window = (math.floor(rpm), 60.0) if rpm >= 1 else (1, 60.0 / rpm)
        return RedisRateLimiter.from_url(url, requests_per_window=count, window_seconds=window,
                                         provider=provider, api_key=api_key)
    limiter = InMemoryRateLimiter(
        requests_per_second=rpm / 60.0,
        check_every_n_seconds=0.05,
        max_bucket_size=1,
    )
    limiter.available_tokens = 1.0
    return limiter


def shared_limiter(provider: str, api_key: str | None, rpm: float) -> BaseRateLimiter:
    """The process-wide limiter of one provider and key at ``rpm`` requests per minute.

    Args:
        provider: the provider's name (one limiter per provider).
        api_key: the key the requests carry; only its SHA-256 digest is kept.
        rpm: the limit (a different limit for the same key is a different limiter).

    Returns:
        The same limiter for every caller with these values and the same
        ``LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL`` (thread-safe; usable from any
        thread or event loop).
    """
    slot = (provider, hashlib.sha256((api_key or "").encode()).digest(), float(rpm),
            os.environ.get(REDIS_URL_ENV, "").strip())
    with _LOCK:
        limiter = _SHARED.get(slot)
        if limiter is None:
            limiter = _SHARED[slot] = limiter_for_rpm(rpm, provider=provider, api_key=api_key)
        return limiter


def is_shared_limiter(limiter: object) -> bool:
    """Whether ``limiter`` is one of the process-wide defaults of :func:`shared_limiter`."""
    with _LOCK:
        return any(limiter is shared for shared in _SHARED.values())


def scoped_limiter(limiter: Any, provider: str, api_key: str | None) -> Any:
    """``limiter`` scoped to one provider and key when it can be (a shared limiter made
    without a scope), else ``limiter`` itself."""
    scoped = getattr(limiter, "scoped", None)
    return scoped(provider, api_key) if callable(scoped) else limiter
