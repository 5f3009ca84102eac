"""What one request attempt did on the wire, and its total deadline, per socket call.

httpx's timeouts bound each socket operation, not a request: a server that
drips one byte every 0.5 s never trips a 3 s read timeout, so
``timeout=3`` returned after 12 s. And a failed request cannot tell by
itself whether it used a fresh connection or a pooled one, or whether any
byte of the answer arrived - which decides whether resending it is safe.

Both are answered at the socket layer. Our shared clients get a network
backend (:func:`install`) wrapping httpcore's: it receives, unchanged, the
timeouts the request carries (httpcore passes ``request.extensions
["timeout"]`` values straight to every ``connect``/``read``/``write``). The
driver puts a :class:`Budget` there - a ``float`` (the configured timeout)
that also points at the attempt's :class:`Attempt` record. The wrapper
shortens each socket call to what is left of the deadline (a timeout
exception once it has passed) and records connects and bytes received.
A plain float passes through untouched, so other users of the backend are
unaffected. Caller-owned clients (``http_client=``) do not get the wrapper;
for them a connect is seen through httpcore's ``trace`` extension
(:meth:`Attempt.trace`) and the deadline is checked between body reads.
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpcore

__all__ = ["Attempt", "Budget", "install"]

_monotonic = time.monotonic


class Attempt:
    """One attempt of a request: its deadline and what the network layer saw.

    Attributes:
        deadline: ``time.monotonic()`` value after which every socket call
            fails with a timeout (None: no total timeout).
        connected: the attempt opened a new connection (not a pooled one).
        received: bytes of the answer read (counted by our backend only).
    """

    __slots__ = ("connected", "deadline", "received")

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.connected = False
        self.received = 0

    def left(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self.deadline is None else self.deadline - _monotonic()

    def trace(self, name: str, info: Any) -> None:
        """httpcore ``trace`` extension (sync): notes that a connection was opened."""
        if name.startswith(("connection.connect_tcp", "connection.connect_unix")):
            self.connected = True

    async def atrace(self, name: str, info: Any) -> None:
        """httpcore ``trace`` extension (async)."""
        self.trace(name, info)


class Budget(float):
    """A socket timeout (``inf`` for none) carrying the :class:`Attempt` it belongs to."""

    __slots__ = ("attempt",)

    def __new__(cls, timeout: float | None, attempt: Attempt) -> Budget:  # noqa: PYI034
        self = super().__new__(cls, math.inf if timeout is None else timeout)
        self.attempt = attempt
        return self


def _limit(timeout: float | None, error: type[Exception]) -> float | None:
    """The timeout for one socket call: the configured one, cut to the deadline."""
    if type(timeout) is not Budget:
        return timeout
    value = float(timeout)
    left = timeout.attempt.left()
    if left is not None:
        if left <= 0:
            raise error("total timeout exceeded")
        value = min(value, left)
    return None if value == math.inf else value


def _count(timeout: float | None, data: bytes) -> bytes:
    if type(timeout) is Budget:
        timeout.attempt.received += len(data)
    return data


def _connected(timeout: float | None) -> None:
    if type(timeout) is Budget:
        timeout.attempt.connected = True


class _Stream(httpcore.NetworkStream):
    __slots__ = ("_s",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._s = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _count(timeout, self._s.read(max_bytes, _limit(timeout, httpcore.ReadTimeout)))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._s.write(buffer, _limit(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._s.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _Stream:
        return _Stream(self._s.start_tls(ssl_context, server_hostname,
                                         _limit(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._s.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> _Stream:
        _connected(timeout)
        return _Stream(self._inner.connect_tcp(host, port, _limit(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _Stream:
        _connected(timeout)
        return _Stream(self._inner.connect_unix_socket(
            path, _limit(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    __slots__ = ("_s",)

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._s = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _count(timeout, await self._s.read(max_bytes, _limit(timeout, httpcore.ReadTimeout)))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._s.write(buffer, _limit(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._s.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> _AsyncStream:
        return _AsyncStream(await self._s.start_tls(ssl_context, server_hostname,
                                                    _limit(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._s.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Any = None) -> _AsyncStream:
        _connected(timeout)
        return _AsyncStream(await self._inner.connect_tcp(
            host, port, _limit(timeout, httpcore.ConnectTimeout), local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> _AsyncStream:
        _connected(timeout)
        return _AsyncStream(await self._inner.connect_unix_socket(
            path, _limit(timeout, httpcore.ConnectTimeout), socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install(client: Any) -> Any:
    """Put the deadline-aware backend under every httpcore pool of ``client``; return it.

    Only for clients we create: httpx builds the pools (the default one and
    one per environment proxy mount) and exposes no backend argument, so the
    wrapper is set on each pool before its first connection. A transport that
    is not httpx's (a mock in tests) has no pool and is left as it is.
    """
    for transport in (client._transport, *getattr(client, "_mounts", {}).values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, (_Backend, _AsyncBackend)):
            wrap = _AsyncBackend if isinstance(backend, httpcore.AsyncNetworkBackend) else _Backend
            pool._network_backend = wrap(backend)  # type: ignore[union-attr]
    return client
