"""Retry policy (sans-IO): which failures are retried and how long to wait.

Retried: 408, 409, 429 and 5xx answers, connection errors and timeouts.
The wait is exponential with equal jitter (a uniform draw between half the
capped backoff and all of it, so a retry never comes back at once), capped, and a
server's ``Retry-After`` wins when present (bounded by ``max_retry_after`` so a
hostile or broken server cannot park a client for an hour; a longer hint
ends the retries and raises the error so the caller can decide). The hint is
honoured on any retried status that sends one (429, and 503 while a
provider is overloaded), not only on 429.
Streams are retried only before their first byte (the driver enforces it).
A hint that is not a usable duration (``Retry-After: -5``, ``nan``) is
ignored and the backoff applies (``inf`` is over any cap and ends retries):
``core.error_mapping.parse_retry_after`` turns ``-5`` and ``nan`` into 0 (an
immediate retry), so the driver re-reads the header with :func:`retry_after_hint`
and the policy checks the value too.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_compat.core.error_mapping import parse_retry_after
from langchain_compat.errors import (
    APIConnectionError,
    APIError,
    CompatError,
)

__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after_hint", "throttle_hint"]

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


def _usable(seconds: float | None) -> float | None:
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return None  # +inf stays: longer than any cap, so the retries end
    return seconds


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def retry_after_hint(headers: Mapping[str, str]) -> float | None:
    """The server's wait hint in seconds, or None when absent or not a usable duration.

    ``retry-after-ms`` first, then ``Retry-After`` (seconds or an HTTP date).
    Negative and NaN values are ignored (None: back off instead).
    """
    ms = _number(headers.get("retry-after-ms"))
    if ms is not None and _usable(ms) is not None:
        return ms / 1000
    raw = headers.get("retry-after")
    if raw is None:
        return None
    number = _number(raw.strip())
    if number is not None:
        return _usable(number)
    return _usable(parse_retry_after(raw))


def throttle_hint(error: CompatError) -> tuple[bool, float | None]:
    """Whether ``error`` says the provider's rate limit is full, and for how long.

    A 429, or a 503 with a usable ``Retry-After``, is a throttle: a shared rate
    limiter holds all of its workers (``ratelimit/protocol.py``).

    Returns:
        ``(is_throttle, seconds or None when the server gave no usable hint)``.
    """
    status = getattr(error, "status_code", None) if isinstance(error, APIError) else None
    hint = _usable(getattr(error, "retry_after", None))
    if status == 429 or (status == 503 and hint is not None):
        return True, hint
    return False, None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times and how long to wait between attempts.

    Attributes:
        max_retries: retries after the first attempt (0 disables).
        base_delay: first backoff in seconds (doubles each attempt).
        max_delay: cap of one backoff.
        max_retry_after: longest ``Retry-After`` honoured.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, error: CompatError) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None to give up.

        Args:
            attempt: 0 for the first failure.
            error: the typed error of the failed attempt.
        """
        if attempt == 0 and getattr(error, "stale_connection", False):
            # The server closed an idle pooled connection before reading the request:
            # resend once at once, even with max_retries=0 (it is not a failed attempt).
            return 0.0
        if attempt >= self.max_retries or not getattr(error, "retryable", True):
            return None  # e.g. ToolCallParseError: the same request fails the same way
        if isinstance(error, APIError):
            status = error.status_code or 0
            if status not in RETRY_STATUSES and not (status >= 500):
                return None
        elif not isinstance(error, APIConnectionError):
            return None
        retry_after = _usable(getattr(error, "retry_after", None))
        if retry_after is not None:  # 429, 503 or any retried answer with Retry-After
            if retry_after > self.max_retry_after:
                return None
            return retry_after
        backoff = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(backoff / 2, backoff)
