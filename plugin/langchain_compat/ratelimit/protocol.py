"""What the transport asks of a limiter beyond langchain-core's ``acquire``.

A limiter shared by several workers must hear about the provider's own
refusals: a 429 seen by one worker means the provider's window is full for
all of them. The transport calls :meth:`ThrottleAware.throttled` (or
``athrottled``) on every 429, and on a 503 with ``Retry-After``. (Every
limiter, shared or not, is acquired before each attempt, retries included.)
Any limiter with these methods takes part; langchain-core's
``InMemoryRateLimiter`` has none and is left as it was.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol, runtime_checkable

__all__ = ["ThrottleAware", "scope_key", "throttle_of"]


@runtime_checkable
class ThrottleAware(Protocol):
    """A rate limiter that learns from the provider's refusals."""

    def throttled(self, retry_after: float | None) -> None:
        """Hold every worker sharing this limiter for ``retry_after`` seconds (None: a default)."""

    async def athrottled(self, retry_after: float | None) -> None:
        """Async :meth:`throttled`."""


def throttle_of(limiter: Any) -> ThrottleAware | None:
    """``limiter`` when it takes part in shared throttling, else None."""
    return limiter if isinstance(limiter, ThrottleAware) else None


def scope_key(provider: str, api_key: str | None) -> str:
    """The bucket name for one provider and key: the key only as a short SHA-256 digest.

    Args:
        provider: the provider's name (``"telkom"``).
        api_key: the key the requests are sent with (None: keyless server).

    Returns:
        ``"<provider>:<16 hex digits>"`` (``"<provider>:nokey"`` without a key).
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16] if api_key else "nokey"
    return f"{provider}:{digest}"
