"""Shared, lazily created httpx clients with deliberate pool limits.

One ``httpx.Client`` per (TLS verification, pool limits, proxy) for the whole
process, and one ``httpx.AsyncClient`` per such key *per event loop*: an
``AsyncClient`` reused on another loop fails with "Event loop is closed"
(seen with ``asyncio.run`` called repeatedly in scripts and notebooks), so
async clients are bound to the loop that made them and dropped with it.

Pool limits: httpx's default keeps 20 idle connections of 100; at high
concurrency that closes and reopens connections constantly. We keep as many
idle connections as we allow in total. httpx 0.28's pool bookkeeping grows
quadratically with waiting requests, so the async driver also bounds the
requests it hands to the pool at once (see ``driver.MAX_IN_FLIGHT``).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import httpx

__all__ = ["DEFAULT_LIMITS", "async_client", "close_all", "sync_client"]

DEFAULT_LIMITS = httpx.Limits(max_connections=128, max_keepalive_connections=128, keepalive_expiry=30)

_lock = threading.Lock()
_sync: dict[tuple[Any, ...], httpx.Client] = {}
_async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def _key(verify: Any, limits: httpx.Limits, proxy: str | None) -> tuple[Any, ...]:
    return (verify if isinstance(verify, (bool, str)) else id(verify), limits.max_connections,
            limits.max_keepalive_connections, limits.keepalive_expiry, proxy)


def sync_client(verify: Any = True, limits: httpx.Limits = DEFAULT_LIMITS,
                proxy: str | None = None) -> httpx.Client:
    """The process-wide sync client for these settings (created on first use)."""
    key = _key(verify, limits, proxy)
    client = _sync.get(key)
    if client is None or client.is_closed:
        with _lock:
            client = _sync.get(key)
            if client is None or client.is_closed:
                client = httpx.Client(verify=verify, limits=limits, proxy=proxy, timeout=None,
                                      follow_redirects=False)
                _sync[key] = client
    return client


def async_client(verify: Any = True, limits: httpx.Limits = DEFAULT_LIMITS,
                 proxy: str | None = None) -> httpx.AsyncClient:
    """The async client for these settings bound to the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _async.get(loop)
    if per_loop is None:
        with _lock:
            per_loop = _async.setdefault(loop, {})
    key = _key(verify, limits, proxy)
    client = per_loop.get(key)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(verify=verify, limits=limits, proxy=proxy, timeout=None,
                                   follow_redirects=False)
        per_loop[key] = client
    return client


def close_all() -> None:
    """Close the shared sync clients (async ones close with their loop)."""
    with _lock:
        for client in _sync.values():
            client.close()
        _sync.clear()
