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
requests it hands to the pool at once (``MAX_IN_FLIGHT``).

Async pool shards: each (settings, loop) gets an :class:`AsyncPool` of small
clients (``SHARD_SIZE`` connections each, the same total), filled first-to-last,
because httpcore's pool bookkeeping grows with the square of the pool size; the
profile and the A/B numbers are in docs/benchmarks.md ("What we changed").
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from typing import Any

import httpx

from langchain_compat.transport.wire import install

__all__ = ["DEFAULT_LIMITS", "MAX_IN_FLIGHT", "SHARD_SIZE", "AsyncPool", "LoopState", "async_pool",
           "close_all", "loop_state", "sync_client"]

DEFAULT_LIMITS = httpx.Limits(max_connections=128, max_keepalive_connections=128,
                              keepalive_expiry=30)
#: Connections per async pool shard (see the module docstring).
SHARD_SIZE = 8
#: Most async requests one event loop hands to the httpx pool at once (see the module docstring).
MAX_IN_FLIGHT = 64

logger = logging.getLogger("langchain_compat.transport")
_lock = threading.Lock()
_sync: dict[tuple[Any, ...], httpx.Client] = {}
_loops: dict[asyncio.AbstractEventLoop, LoopState] = {}  # the state holds its loop: not weak


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
                client = install(httpx.Client(verify=verify, limits=limits, proxy=proxy,
                                              timeout=None, follow_redirects=False))
                _sync[key] = client
    return client


class AsyncPool:
    """Small async clients for one (settings, event loop), leased first-to-last.

    ``acquire()`` returns the index of the first shard with a free
    connection (the least busy one when all are full) and counts the lease;
    ``release(i)`` gives it back. Only the event loop's thread touches it.
    """

    __slots__ = ("_clients", "_kwargs", "busy", "per")

    def __init__(self, verify: Any, limits: httpx.Limits, proxy: str | None) -> None:
        total = limits.max_connections or DEFAULT_LIMITS.max_connections or 128
        self.per = max(1, min(SHARD_SIZE, total))
        shards = math.ceil(total / self.per)
        keepalive = limits.max_keepalive_connections
        shard_limits = httpx.Limits(
            max_connections=self.per,
            max_keepalive_connections=self.per if keepalive is None else min(self.per, keepalive),
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._kwargs = {"verify": verify, "limits": shard_limits, "proxy": proxy, "timeout": None,
                        "follow_redirects": False}
        self._clients: list[httpx.AsyncClient | None] = [None] * shards
        self.busy = [0] * shards

    def acquire(self) -> int:
        busy, per = self.busy, self.per
        for i, n in enumerate(busy):
            if n < per:
                break
        else:
            i = busy.index(min(busy))
        busy[i] += 1
        return i

    def release(self, i: int) -> None:
        self.busy[i] -= 1

    def client(self, i: int) -> httpx.AsyncClient:
        client = self._clients[i]
        if client is None or client.is_closed:
            client = self._clients[i] = install(httpx.AsyncClient(**self._kwargs))
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            if client is not None:
                await client.aclose()


class LoopState:
    """What one event loop owns: its pools per settings and its in-flight semaphore."""

    __slots__ = ("_closer", "loop", "pools", "semaphore")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pools: dict[tuple[Any, ...], AsyncPool] = {}
        self.semaphore = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._closer = _close_at_shutdown(self)
        # Register the generator with the running loop (its first-iteration hook) and run
        # it to its ``yield``: it awaits nothing before, so one ``send`` completes the step.
        _step(self._closer.asend(None))

    async def aclose(self) -> None:
        """Close every pool (on the loop, while it still runs) and forget the loop."""
        with _lock:
            if _loops.get(self.loop) is self:
                del _loops[self.loop]
        pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            try:
                await pool.aclose()
            except Exception:
                logger.debug("closing a connection pool at loop shutdown failed", exc_info=True)

    def discard(self) -> None:
        """The loop was closed without shutting down: drop the pools (nothing left to await)."""
        self.pools = {}
        _step(self._closer.aclose())


def _step(awaitable: Any) -> None:
    try:
        awaitable.send(None)
    except StopIteration:
        pass


async def _close_at_shutdown(state: LoopState) -> Any:
    """Parked at ``yield`` until the loop shuts down its async generators, then closes ``state``."""
    try:
        yield
    finally:
        await state.aclose()


def loop_state() -> LoopState:
    """The running event loop's :class:`LoopState` (created on first use)."""
    loop = asyncio.get_running_loop()
    state = _loops.get(loop)
    if state is None:
        with _lock:  # other threads run their own loops
            closed = [st for lp, st in _loops.items() if lp.is_closed()]
            state = _loops[loop] = LoopState(loop)
        for old in closed:
            old.discard()
    return state


def async_pool(verify: Any = True, limits: httpx.Limits = DEFAULT_LIMITS,
               proxy: str | None = None) -> AsyncPool:
    """The async client pool for these settings bound to the running event loop."""
    pools = loop_state().pools
    key = _key(verify, limits, proxy)
    pool = pools.get(key)
    if pool is None:
        pool = pools[key] = AsyncPool(verify, limits, proxy)
    return pool


def close_all() -> None:
    """Close the shared sync clients (async ones close with their loop)."""
    with _lock:
        for client in _sync.values():
            client.close()
        _sync.clear()
