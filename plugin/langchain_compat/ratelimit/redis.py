"""A rate limiter shared through Redis (one limit for many workers and machines).

Needs the optional extra: ``pip install 'langchain-compat[redis]'`` (redis-py).
Every wait is bounded: each Redis command by ``socket_timeout`` /
``connect_timeout`` (:mod:`langchain_compat.stores.redis`), a provider's hold by
``max_hold`` (10 min), and a blocking acquire by ``max_wait`` (10 min), after
which it raises :class:`~langchain_compat.errors.RateLimiterTimeoutError`
rather than send over the limit. Redis failures are
:class:`~langchain_compat.errors.StoreError`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import uuid
import weakref
from typing import Any

from langchain_core.rate_limiters import BaseRateLimiter

from langchain_compat.errors import (
    ConfigurationError,
    InvalidParameterError,
    RateLimiterTimeoutError,
)
from langchain_compat.ratelimit.protocol import scope_key
from langchain_compat.ratelimit.scripts import ACQUIRE, THROTTLE
from langchain_compat.stores.redis import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_SOCKET_TIMEOUT,
    RedisErrors,
    make_clients,
)
from langchain_compat.stores.urls import mask_url

__all__ = ["DEFAULT_MAX_HOLD", "DEFAULT_MAX_WAIT", "RedisRateLimiter"]

logger = logging.getLogger("langchain_compat.ratelimit")

PREFIX = "langchain-compat:rl"
#: Longest single sleep of a blocking acquire (the wait is asked again after it).
MAX_NAP = 1.0
#: Longest hold a provider's ``Retry-After`` (or anything found in Redis) puts on a scope.
DEFAULT_MAX_HOLD = 600.0
#: Longest a blocking acquire waits for a slot before it raises.
DEFAULT_MAX_WAIT = 600.0


def _seconds(name: str, value: Any, *, allow_none: bool = False, allow_zero: bool = False) -> Any:
    if value is None and allow_none:
        return None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise InvalidParameterError(name, "must be a finite, positive number of seconds")
    return float(value)


def _rebuild(url: str, options: dict[str, Any], scope: str | None) -> RedisRateLimiter:
    """Unpickle: a limiter on the same Redis with the same settings (new connections)."""
    limiter = RedisRateLimiter.from_url(url, **options)
    limiter.scope = scope
    return limiter


class RedisRateLimiter(BaseRateLimiter):
    """At most ``requests_per_window`` requests per sliding ``window_seconds``, for every
    process that uses the same Redis and scope.

    The check and the booking are one Lua script run atomically by Redis on its
    own clock (``scripts.py``). A provider's 429 (or 503 with ``Retry-After``),
    reported by the transport through :meth:`throttled`, holds every worker of
    the scope until the hinted time, at most ``max_hold``. The scope is the
    provider plus a digest of the API key: the key itself never reaches Redis,
    a repr or a log line.

    Args:
        client: a ``redis.Redis`` (sync calls).
        async_client_factory: makes a ``redis.asyncio.Redis`` (one per event loop).
        requests_per_window: requests granted per window (>= 1).
        window_seconds: the sliding window's length (> 0).
        scope: the bucket name; None = not scoped yet (a chat model scopes it to
            its provider and key, see :meth:`scoped`).
        slack_seconds: added to the window, so requests booked a window apart
            still arrive a window apart after uneven network delays.
        max_wait: longest a blocking acquire waits (default 600 s; None: no
            limit); then it raises :class:`RateLimiterTimeoutError`, at once when
            Redis already says the wait is longer. Nothing is sent over the limit.
        default_hold: seconds a 429 without ``Retry-After`` holds the scope
            (None: one window divided by the limit).
        max_hold: longest hold of the scope (default 600 s): a longer, infinite
            or unreadable ``Retry-After`` is cut to it, and so is a longer hold
            found in Redis.

    Raises:
        InvalidParameterError: a limit below 1, or a window or bound that is not
            a positive number of seconds.
    """

    def __init__(self, client: Any, async_client_factory: Any, *, requests_per_window: int,
                 window_seconds: float, scope: str | None = None, slack_seconds: float = 0.25,
                 max_wait: float | None = DEFAULT_MAX_WAIT, default_hold: float | None = None,
                 max_hold: float = DEFAULT_MAX_HOLD, url: str = "",
                 socket_timeout: float | None = None,
                 connect_timeout: float | None = None) -> None:
        if int(requests_per_window) < 1:
            raise InvalidParameterError("requests_per_window", "must be at least 1")
        if not window_seconds > 0:
            raise InvalidParameterError("window_seconds", "must be a positive number of seconds")
        self.limit = int(requests_per_window)
        self.window = _seconds("window_seconds", window_seconds)
        self.slack = max(0.0, float(slack_seconds))
        self.max_wait = _seconds("max_wait", max_wait, allow_none=True, allow_zero=True)
        self.max_hold = _seconds("max_hold", max_hold)
        hold = default_hold if default_hold is not None else self.window / self.limit
        self.default_hold = min(_seconds("default_hold", hold), self.max_hold)
        self.scope = scope
        self._url = url
        self._timeouts = (socket_timeout, connect_timeout)
        self._errors = RedisErrors(url, socket_timeout)
        self._client = client
        self._factory = async_client_factory
        self._aclients: weakref.WeakKeyDictionary[Any, tuple[Any, Any, Any]] = (
            weakref.WeakKeyDictionary())
        self._script = client.register_script(ACQUIRE)
        self._hold = client.register_script(THROTTLE)

    @classmethod
    def from_url(cls, url: str, *, requests_per_window: int, window_seconds: float,
                 provider: str | None = None, api_key: str | None = None,
                 socket_timeout: float | None = DEFAULT_SOCKET_TIMEOUT,
                 connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
                 **options: Any) -> RedisRateLimiter:
        """A limiter on the Redis at ``url`` (``redis://host:6379/0``, ``rediss://...``).

        Args:
            url: the Redis URL (percent-encode special characters of the password;
                it is never shown).
            requests_per_window: requests granted per window.
            window_seconds: the window's length in seconds.
            provider, api_key: scope the bucket now (else a chat model scopes it).
            socket_timeout: seconds one Redis command may wait for its answer (5).
            connect_timeout: seconds to connect to Redis (5). The URL's own
                ``?socket_timeout=`` / ``?socket_connect_timeout=`` win.
            **options: ``slack_seconds``, ``max_wait``, ``default_hold``, ``max_hold``.

        Returns:
            The limiter (no connection is made until the first acquire).

        Raises:
            ConfigurationError: redis-py is not installed.
            InvalidParameterError: not a Redis URL, or one redis-py cannot use.
        """
        socket_timeout = _seconds("socket_timeout", socket_timeout, allow_none=True)
        connect_timeout = _seconds("connect_timeout", connect_timeout, allow_none=True)
        client, factory = make_clients(url, socket_timeout=socket_timeout,
                                       connect_timeout=connect_timeout)
        scope = scope_key(provider, api_key) if provider else None
        return cls(client, factory, requests_per_window=requests_per_window,
                   window_seconds=window_seconds, scope=scope, url=url,
                   socket_timeout=socket_timeout, connect_timeout=connect_timeout, **options)

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
        return (f"RedisRateLimiter({mask_url(self._url)!r}, {self.limit} per {self.window:g}s, "
                f"scope={self.scope!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its URL and settings (a loaded copy opens its own connections).

        Like an API key passed in code, a password in the URL travels with the
        pickle: hand it only to a trusted process.

        Raises:
            ConfigurationError: the limiter was made from your own redis clients.
        """
        if not self._url:
            raise ConfigurationError(
                "a RedisRateLimiter made from your own redis clients cannot be pickled (they "
                "hold sockets); make it with RedisRateLimiter.from_url(...) to pickle it")
        options = {"requests_per_window": self.limit, "window_seconds": self.window,
                   "slack_seconds": self.slack, "max_wait": self.max_wait,
                   "default_hold": self.default_hold, "max_hold": self.max_hold,
                   "socket_timeout": self._timeouts[0], "connect_timeout": self._timeouts[1]}
        return _rebuild, (self._url, options, self.scope)

    # -- the script's arguments ------------------------------------------------------
    def _keys(self) -> list[str]:
        base = f"{PREFIX}:{self.scope or 'default'}"
        return [f"{base}:window", f"{base}:hold"]

    def _args(self) -> list[Any]:
        return [self.limit, int((self.window + self.slack) * 1000), uuid.uuid4().hex,
                int(self.max_hold * 1000)]

    def _hold_ms(self, retry_after: float | None) -> int:
        """The hold for a refusal: the hint when it is a usable duration, cut to ``max_hold``."""
        usable = isinstance(retry_after, (int, float)) and not math.isnan(retry_after) and (
            retry_after > 0)
        seconds = (min(float(retry_after), self.max_hold)  # type: ignore[arg-type]
                   if usable else self.default_hold)
        return max(1, int(seconds * 1000))

    def _nap(self, wait_ms: int, start: float) -> float:
        """Seconds to sleep before asking again.

        Raises:
            RateLimiterTimeoutError: the wait would pass ``max_wait``.
        """
        waited = time.monotonic() - start
        if self.max_wait is not None and waited + wait_ms / 1000 > self.max_wait:
            raise RateLimiterTimeoutError(
                f"no request slot in the shared rate limit {self.scope or 'default'} within "
                f"max_wait={self.max_wait:g}s (waited {waited:.1f}s; the next slot is "
                f"{wait_ms / 1000:.1f}s away, a provider's Retry-After hold lasts at most "
                f"max_hold={self.max_hold:g}s); nothing was sent. Raise max_wait, or send fewer "
                "requests", scope=self.scope, waited=waited)
        return min(wait_ms / 1000, MAX_NAP) + random.uniform(0, 0.01)  # spread the herd

    # -- sync ----------------------------------------------------------------------
    def acquire(self, *, blocking: bool = True) -> bool:
        """Book one request; with ``blocking`` wait until one is granted.

        Returns:
            True when granted; False when not granted now (non-blocking).

        Raises:
            RateLimiterTimeoutError: blocking, and no slot within ``max_wait``.
            StoreError: Redis failed or did not answer within ``socket_timeout``.
        """
        start = time.monotonic()
        while True:
            with self._errors.mapped():
                wait = int(self._script(keys=self._keys(), args=self._args(), client=self._client))
            if wait <= 0:
                return True
            if not blocking:
                return False
            time.sleep(self._nap(wait, start))

    def throttled(self, retry_after: float | None) -> None:
        """Hold every worker of this scope ``retry_after`` seconds (the provider said 429),
        at most ``max_hold``. A Redis failure here is logged, not raised: the refusal
        the caller is handling stays the error it sees."""
        try:
            with self._errors.mapped():
                self._hold(keys=self._keys()[1:], args=[self._hold_ms(retry_after)],
                           client=self._client)
        except Exception as exc:  # noqa: BLE001 - already typed and redacted
            logger.warning("shared rate limit: could not record a provider's hold: %s", exc)

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
        start = time.monotonic()
        _, script, _ = self._ascripts()
        while True:
            with self._errors.mapped():
                wait = int(await script(keys=self._keys(), args=self._args()))
            if wait <= 0:
                return True
            if not blocking:
                return False
            await asyncio.sleep(self._nap(wait, start))

    async def athrottled(self, retry_after: float | None) -> None:
        """Async :meth:`throttled`."""
        _, _, hold = self._ascripts()
        try:
            with self._errors.mapped():
                await hold(keys=self._keys()[1:], args=[self._hold_ms(retry_after)])
        except Exception as exc:  # noqa: BLE001 - already typed and redacted
            logger.warning("shared rate limit: could not record a provider's hold: %s", exc)
