"""A rate limiter shared through Redis (one limit for many workers and machines).

Needs the optional extra: ``pip install 'langchain-compat[redis]'`` (redis-py).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
import weakref
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from langchain_core.rate_limiters import BaseRateLimiter

from langchain_compat.errors import ConfigurationError, InvalidParameterError
from langchain_compat.ratelimit.protocol import scope_key
from langchain_compat.ratelimit.scripts import ACQUIRE, THROTTLE

__all__ = ["RedisRateLimiter"]

PREFIX = "langchain-compat:rl"
#: Longest single sleep of a blocking acquire (the wait is asked again after it).
MAX_NAP = 1.0


def _redis() -> Any:
    try:
        import redis
        import redis.asyncio
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "RedisRateLimiter needs redis-py: pip install 'langchain-compat[redis]'") from None
    return redis


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for repr and errors)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisRateLimiter(BaseRateLimiter):
    """At most ``requests_per_window`` requests per sliding ``window_seconds``, for every
    process that uses the same Redis and scope.

    The check and the booking are one Lua script run atomically by Redis on its
    own clock (``scripts.py``). A provider's 429 (or 503 with ``Retry-After``),
    reported by the transport through :meth:`throttled`, holds every worker of
    the scope until the hinted time. The scope is the provider plus a digest of
    the API key: the key itself never reaches Redis, a repr or a log line.

    Args:
        client: a ``redis.Redis`` (sync calls).
        async_client_factory: makes a ``redis.asyncio.Redis`` (one per event loop).
        requests_per_window: requests granted per window (>= 1).
        window_seconds: the sliding window's length (> 0).
        scope: the bucket name; None = not scoped yet (a chat model scopes it to
            its provider and key, see :meth:`scoped`).
        slack_seconds: added to the window, so requests booked a window apart
            still arrive a window apart after uneven network delays.
        max_wait: longest a blocking acquire waits (None: no limit); then it
            returns False.
        default_hold: seconds a 429 without ``Retry-After`` holds the scope
            (None: one window divided by the limit).

    Raises:
        InvalidParameterError: a limit below 1 or a window that is not positive.
    """

    def __init__(self, client: Any, async_client_factory: Any, *, requests_per_window: int,
                 window_seconds: float, scope: str | None = None, slack_seconds: float = 0.25,
                 max_wait: float | None = None, default_hold: float | None = None,
                 url: str = "") -> None:
        if int(requests_per_window) < 1:
            raise InvalidParameterError("requests_per_window", "must be at least 1")
        if not window_seconds > 0:
            raise InvalidParameterError("window_seconds", "must be a positive number of seconds")
        self.limit = int(requests_per_window)
        self.window = float(window_seconds)
        self.slack = max(0.0, float(slack_seconds))
        self.max_wait = max_wait
        self.default_hold = default_hold if default_hold is not None else self.window / self.limit
        self.scope = scope
        self._url = url
        self._client = client
        self._factory = async_client_factory
        self._aclients: weakref.WeakKeyDictionary[Any, tuple[Any, Any, Any]] = (
            weakref.WeakKeyDictionary())
        self._script = client.register_script(ACQUIRE)
        self._hold = client.register_script(THROTTLE)

    @classmethod
    def from_url(cls, url: str, *, requests_per_window: int, window_seconds: float,
                 provider: str | None = None, api_key: str | None = None,
                 **options: Any) -> RedisRateLimiter:
        """A limiter on the Redis at ``url`` (``redis://host:6379/0``, ``rediss://...``).

        Args:
            url: the Redis URL (a password in it is never shown).
            requests_per_window: requests granted per window.
            window_seconds: the window's length in seconds.
            provider, api_key: scope the bucket now (else a chat model scopes it).
            **options: ``slack_seconds``, ``max_wait``, ``default_hold``.

        Returns:
            The limiter (no connection is made until the first acquire).

        Raises:
            ConfigurationError: redis-py is not installed.
        """
        redis = _redis()
        scope = scope_key(provider, api_key) if provider else None
        return cls(redis.Redis.from_url(url), lambda: redis.asyncio.Redis.from_url(url),
                   requests_per_window=requests_per_window, window_seconds=window_seconds,
                   scope=scope, url=url, **options)

    def scoped(self, provider: str, api_key: str | None) -> RedisRateLimiter:
        """This limiter for one provider and key (itself when already scoped).

        The copy shares the Redis connections.
        """
        if self.scope is not None:
            return self
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.scope = scope_key(provider, api_key)
        return twin

    def __repr__(self) -> str:
        return (f"RedisRateLimiter({_masked(self._url)!r}, {self.limit} per {self.window:g}s, "
                f"scope={self.scope!r})")

    # -- the script's arguments ------------------------------------------------------
    def _keys(self) -> list[str]:
        base = f"{PREFIX}:{self.scope or 'default'}"
        return [f"{base}:window", f"{base}:hold"]

    def _args(self) -> list[Any]:
        return [self.limit, int((self.window + self.slack) * 1000), uuid.uuid4().hex]

    def _hold_ms(self, retry_after: float | None) -> int:
        seconds = retry_after if retry_after is not None else self.default_hold
        return max(1, int(seconds * 1000))

    def _nap(self, wait_ms: int, deadline: float | None) -> float | None:
        """Seconds to sleep before asking again, or None when ``max_wait`` is spent."""
        nap = min(wait_ms / 1000, MAX_NAP) + random.uniform(0, 0.01)  # spread the herd
        if deadline is not None and time.monotonic() + nap > deadline:
            return None
        return nap

    def _deadline(self) -> float | None:
        return None if self.max_wait is None else time.monotonic() + self.max_wait

    # -- sync ----------------------------------------------------------------------
    def acquire(self, *, blocking: bool = True) -> bool:
        """Book one request; with ``blocking`` wait until one is granted.

        Returns:
            True when granted; False when not granted now (non-blocking) or
            within ``max_wait``.
        """
        deadline = self._deadline()
        while True:
            wait = int(self._script(keys=self._keys(), args=self._args(), client=self._client))
            if wait <= 0:
                return True
            nap = self._nap(wait, deadline) if blocking else None
            if nap is None:
                return False
            time.sleep(nap)

    def throttled(self, retry_after: float | None) -> None:
        """Hold every worker of this scope ``retry_after`` seconds (the provider said 429)."""
        self._hold(keys=self._keys()[1:], args=[self._hold_ms(retry_after)], client=self._client)

    # -- async ---------------------------------------------------------------------
    def _ascripts(self) -> tuple[Any, Any, Any]:
        """This event loop's async client and its two scripts (made on first use)."""
        loop = asyncio.get_running_loop()
        found = self._aclients.get(loop)
        if found is None:
            client = self._factory()
            found = (client, client.register_script(ACQUIRE), client.register_script(THROTTLE))
            self._aclients[loop] = found
        return found

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """Async :meth:`acquire`."""
        deadline = self._deadline()
        _, script, _ = self._ascripts()
        while True:
            wait = int(await script(keys=self._keys(), args=self._args()))
            if wait <= 0:
                return True
            nap = self._nap(wait, deadline) if blocking else None
            if nap is None:
                return False
            await asyncio.sleep(nap)

    async def athrottled(self, retry_after: float | None) -> None:
        """Async :meth:`throttled`."""
        _, _, hold = self._ascripts()
        await hold(keys=self._keys()[1:], args=[self._hold_ms(retry_after)])
