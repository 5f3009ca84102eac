"""Make every request to a host that is not loopback fail, for tests.

:func:`block_real_requests` guards httpx's transports (``httpx.HTTPTransport``
and ``httpx.AsyncHTTPTransport``, which this package and the ``openai`` SDK
send through: the URL's host is checked before anything else), and the two
places any other client (``requests``, asyncio streams) goes through to
reach a host: the name lookup (``socket.getaddrinfo``, before any DNS query
leaves the machine) and ``socket.connect`` (for addresses given as IP
literals, which skip the lookup). A host that is not loopback raises
:class:`~langchain_compat.errors.RealRequestBlockedError` naming it; loopback
(``127.0.0.0/8``, ``::1``, ``localhost``; not other ``*.localhost`` names,
which the system resolver may send to DNS), Unix sockets and the hosts in
``allow`` pass. The guard is process-wide while active (re-entrant; threads
and event loops included), and is restored on exit.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from langchain_compat.connection.hosts import is_loopback
from langchain_compat.errors import RealRequestBlockedError

__all__ = ["block_real_requests", "is_loopback"]

_LOCK = threading.Lock()
_ORIGINAL: dict[str, Any] = {}
_ALLOWED: list[frozenset[str]] = []  # one entry per active guard


def _allowed(host: Any) -> bool:
    if host is None or is_loopback(host):
        return True
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    name = text.strip("[]").lower()
    return any(name in allowed for allowed in _ALLOWED)


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if not _allowed(host):
        raise RealRequestBlockedError(str(host), port)
    return _ORIGINAL["getaddrinfo"](host, port, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not _allowed(address[0]):
        raise RealRequestBlockedError(str(address[0]), address[1] if len(address) > 1 else None)


def _connect(self: socket.socket, address: Any) -> Any:
    _check_address(self, address)
    return _ORIGINAL["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> Any:
    _check_address(self, address)
    return _ORIGINAL["connect_ex"](self, address)


def _check_url(request: httpx.Request) -> None:
    if not _allowed(request.url.host):
        raise RealRequestBlockedError(request.url.host, request.url.port or
                                      {"https": 443, "http": 80}.get(request.url.scheme))


def _handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
    _check_url(request)
    return _ORIGINAL["sync"](self, request)


async def _handle_async_request(self: httpx.AsyncHTTPTransport,
                                request: httpx.Request) -> httpx.Response:
    _check_url(request)  # before anyio's connect, which would wrap the error in an ExceptionGroup
    return await _ORIGINAL["async"](self, request)


#: (owner, attribute, key in _ORIGINAL, guarded replacement)
_PATCHES = (
    (socket, "getaddrinfo", "getaddrinfo", _getaddrinfo),
    (socket.socket, "connect", "connect", _connect),
    (socket.socket, "connect_ex", "connect_ex", _connect_ex),
    (httpx.HTTPTransport, "handle_request", "sync", _handle_request),
    (httpx.AsyncHTTPTransport, "handle_async_request", "async", _handle_async_request),
)


def _install() -> None:
    for owner, name, key, guarded in _PATCHES:
        _ORIGINAL[key] = getattr(owner, name)
        setattr(owner, name, guarded)


def _uninstall() -> None:
    for owner, name, key, _ in _PATCHES:
        setattr(owner, name, _ORIGINAL.pop(key))


@contextmanager
def block_real_requests(allow: Iterable[str] = ()) -> Iterator[None]:
    """Fail every connection to a host that is not loopback while the block runs.

    Example::

        from langchain_compat.testing import block_real_requests, emulate

        with block_real_requests(), emulate() as emu:
            ChatOpenAICompatible(base_url=emu.base_url, model="m").invoke("hi")  # loopback: fine
            ChatOpenAICompatible(base_url="https://api.example.com/v1", model="m").invoke("hi")
            # -> RealRequestBlockedError: real request to api.example.com:443 blocked ...

    Args:
        allow: host names or addresses that may be reached besides loopback.

    Raises:
        RealRequestBlockedError: (inside the block) a lookup of or connection to
            any other host; the error names it.
    """
    allowed = frozenset(h.strip("[]").lower() for h in allow)
    with _LOCK:
        if not _ALLOWED:
            _install()
        _ALLOWED.append(allowed)
    try:
        yield
    finally:
        with _LOCK:
            _ALLOWED.remove(allowed)
            if not _ALLOWED:
                _uninstall()
