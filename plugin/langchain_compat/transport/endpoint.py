"""Where and how to send the requests of one model instance (validated on creation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from langchain_compat.transport.clients import DEFAULT_LIMITS, AsyncPool, async_pool, sync_client
from langchain_compat.transport.retry import RetryPolicy
from langchain_compat.transport.validation import (
    DEFAULT_MAX_RESPONSE_BYTES,
    check_base_url,
    check_limits,
    check_size,
    check_timeout,
)

__all__ = ["Endpoint"]


@dataclass(slots=True)
class Endpoint:
    """Where and how to send requests for one model instance.

    ``secrets`` are redacted from every error message; ``headers`` carry the
    auth header and are never logged.

    Attributes:
        timeout: per-operation httpx timeouts (connect, read, write, pool).
        total_timeout: seconds one call may take in all, retries included
            (None: no total); a per-call ``timeout=`` replaces it.
        max_response_bytes: largest response body, and largest single stream
            event, that is read (:class:`ResponseTooLargeError` beyond it). A
            stream as a whole is not capped: it is never held in memory.

    Raises:
        InvalidParameterError: on creation, for a base URL httpx cannot send
            to, a timeout that is not a positive finite number of seconds,
            ``max_connections`` below 1, or a size cap below 1 byte.
    """

    base_url: str
    headers: dict[str, str]
    provider: str
    secrets: tuple[str, ...] = ()
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(60.0, connect=10.0))
    total_timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    verify: Any = True
    limits: httpx.Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    rate_limiter: Any = None
    """Acquired before every attempt (a chat call's first one is admitted by LangChain's hook);
    one with ``throttled`` (``ratelimit/protocol.py``) is also told of 429s."""
    client: httpx.Client | None = None
    """A caller-owned sync client (tests, custom transports); else the shared one."""
    async_client: httpx.AsyncClient | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    proxy: str | None = None
    """HTTP(S) proxy URL for the shared clients (a caller-owned client keeps its own)."""
    query: tuple[tuple[str, str], ...] = ()
    """Query parameters appended to every request URL."""
    connect_hint: str = ""
    """Appended to a connection failure: the URL tried and the fix (``connection/hints.py``)."""
    not_found_hint: str = ""
    """Appended to a 404 answer: the base URL shape expected."""
    unknown_model_hint: str = ""
    """Appended to a 404 answer whose message names the model: where to list the served ones."""

    def __post_init__(self) -> None:
        check_base_url(self.base_url)
        self.total_timeout = check_timeout(self.timeout, self.total_timeout)
        check_limits(self.limits)
        check_size("max_response_bytes", self.max_response_bytes)

    def sync(self) -> httpx.Client:
        return self.client or sync_client(self.verify, self.limits, self.proxy)

    def async_pool(self) -> AsyncPool | None:
        """This loop's shared sharded pool, or None with a caller-owned client."""
        if self.async_client is not None:
            return None
        return async_pool(self.verify, self.limits, self.proxy)

    def url(self, path: str) -> str:
        url = self.base_url.rstrip("/") + path
        if self.query:
            url += ("&" if "?" in url else "?") + urlencode(self.query)
        return url
