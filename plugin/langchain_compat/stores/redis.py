"""redis-py clients for the shared rate limiter: bounded waits, typed errors.

:func:`make_clients` checks the URL (a password never shows), and gives each
command a socket timeout and a connect timeout, with one reconnect on a broken
connection (a timeout is not retried: the bound is the bound). redis-py 5 has
no socket timeout by default, so a stopped Redis hung every call; 6+ retries a
timeout three times. Options in the URL's query (``?socket_timeout=2``) win.
:class:`RedisErrors` turns redis-py's errors into :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from langchain_compat.errors import (
    ConfigurationError,
    InvalidParameterError,
    StoreError,
    StoreTimeoutError,
)
from langchain_compat.redaction import scrub_exception
from langchain_compat.stores.urls import check_url, mask_url, url_secrets

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "DEFAULT_SOCKET_TIMEOUT", "RedisErrors", "make_clients"]

#: Seconds one Redis command may wait for its answer.
DEFAULT_SOCKET_TIMEOUT = 5.0
#: Seconds to open a connection to Redis.
DEFAULT_CONNECT_TIMEOUT = 5.0
SCHEMES = ("redis", "rediss", "unix")


def redis_module() -> Any:
    try:
        import redis
        import redis.asyncio
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "RedisRateLimiter needs redis-py: pip install 'langchain-compat[redis]'") from None
    return redis


class RedisErrors:
    """redis-py errors of one Redis as :class:`StoreError` (the URL shown without password)."""

    def __init__(self, url: str, socket_timeout: float | None) -> None:
        self.shown = mask_url(url) if url else "Redis (your client)"
        self.secrets = url_secrets(url) if url else []
        self.socket_timeout = socket_timeout

    def error(self, exc: BaseException) -> StoreError:
        redis = redis_module()
        scrub_exception(exc, *self.secrets)
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"Redis at {self.shown}"
        if isinstance(exc, redis.exceptions.TimeoutError):
            limit = self.socket_timeout
            bound = f" within socket_timeout={limit:g}s" if limit else ""
            return StoreTimeoutError(f"{where} did not answer{bound} (stopped, overloaded or "
                                     f"unreachable): {detail}", store="redis", target=self.shown)
        if isinstance(exc, (redis.exceptions.AuthenticationError,
                            redis.exceptions.AuthorizationError)) or "NOAUTH" in detail or (
                "WRONGPASS" in detail):
            why = "refused the credentials (check the user name and password in the URL)"
        elif isinstance(exc, redis.exceptions.ConnectionError):
            why = "could not be reached or dropped the connection (is it running? TLS: rediss://)"
        else:
            why = "refused the command"
        return StoreError(f"{where} {why}: {type(exc).__name__}: {detail}", store="redis",
                          target=self.shown)

    @contextlib.contextmanager
    def mapped(self) -> Iterator[None]:
        """Raise redis-py's (and the socket's) errors in the block as :class:`StoreError`."""
        redis = redis_module()
        try:
            yield
        except (redis.exceptions.RedisError, OSError) as exc:
            raise self.error(exc) from exc


def make_clients(url: str, *, socket_timeout: float | None,
                 connect_timeout: float | None) -> tuple[Any, Callable[[], Any]]:
    """A ``redis.Redis`` on ``url`` and a factory of ``redis.asyncio.Redis`` (one per loop).

    Raises:
        InvalidParameterError: not a ``redis://``, ``rediss://`` or ``unix://`` URL, a
            password that must be percent-encoded, or an option redis-py refuses.
    """
    redis = redis_module()
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    check_url(url, setting="url", schemes=SCHEMES, example="redis://:password@host:6379/0")
    bounds = {"socket_timeout": socket_timeout, "socket_connect_timeout": connect_timeout}
    broken = (redis.exceptions.ConnectionError,)
    try:
        client = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1, broken), **bounds)
    except (ValueError, TypeError, redis.exceptions.RedisError) as exc:
        scrub_exception(exc, *url_secrets(url))
        raise InvalidParameterError("url", f"redis-py cannot use {mask_url(url)!r}: "
                                           f"{str(exc).strip()}") from exc

    def async_client() -> Any:
        return redis.asyncio.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 1, broken), **bounds)

    return client, async_client
