"""Reading llama-server's ``/props`` over HTTP, remembered per server (sync and async).

What to ask and how to read the answers is :func:`~langchain_compat.core.server_props.props_steps`
(sans-IO); this module sends the requests with the model's own client, headers,
TLS settings and rate limiter, each bounded by ``timeout``, and remembers the
answer per (server root, model) in a bounded process-wide cache: a found
server (its :class:`~langchain_compat.core.server_props.ServerDefaults`) for
:data:`FRESH_FOR` seconds (it may restart with another window), "not
llama-server" for the process (a server does not change kind under one URL;
:func:`clear_cache` forgets it). A failure (refused
connection, 5xx) is not remembered as an answer; :func:`recently_failed` lets
callers that can do without (the context window for memory trimming) skip the
server for :data:`RETRY_AFTER_FAILURE` seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

from langchain_compat.core.server_props import (Answer, PropsRequest, ServerDefaults, props_steps,
                                                server_root)
from langchain_compat.errors import APIConnectionError, APITimeoutError, redact
from langchain_compat.transport.endpoint import Endpoint

__all__ = ["CACHE_SIZE", "FRESH_FOR", "RETRY_AFTER_FAILURE", "Known", "aread_props", "clear_cache",
           "known", "read_props_cached", "recently_failed"]

#: Servers remembered at once (least recently used dropped first).
CACHE_SIZE = 256
#: Seconds llama-server's ``/props`` answer is reused before the server is asked again.
FRESH_FOR = 300.0
#: Seconds a server whose ``/props`` could not be read is skipped by :func:`recently_failed` users.
RETRY_AFTER_FAILURE = 60.0

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str | None], Known] = OrderedDict()
_failed: dict[tuple[str, str | None], float] = {}


@dataclass(frozen=True, slots=True)
class Known:
    """What a server's ``/props`` said: its defaults, or None for "not llama-server"."""

    defaults: ServerDefaults | None
    at: float


def _key(base_url: str, model: str | None) -> tuple[str, str | None]:
    return server_root(base_url), model


def known(base_url: str, model: str | None) -> Known | None:
    """The remembered answer for this server and model (None: not asked yet, or too old)."""
    key = _key(base_url, model)
    with _lock:
        entry = _cache.get(key)
        stale = entry is not None and entry.defaults is not None \
            and time.monotonic() - entry.at > FRESH_FOR
        if entry is None or stale:
            return None
        _cache.move_to_end(key)
        return entry


def recently_failed(base_url: str, model: str | None) -> bool:
    """Whether reading this server's ``/props`` failed less than :data:`RETRY_AFTER_FAILURE` ago."""
    with _lock:
        return time.monotonic() < _failed.get(_key(base_url, model), 0.0)


def _remember(base_url: str, model: str | None, found: ServerDefaults | None) -> Known:
    key, entry = _key(base_url, model), Known(found, time.monotonic())
    with _lock:
        _failed.pop(key, None)
        _cache[key] = entry
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def _failure(base_url: str, model: str | None) -> None:
    with _lock:
        _failed[_key(base_url, model)] = time.monotonic() + RETRY_AFTER_FAILURE


def clear_cache() -> None:
    """Forget every remembered server (tests; a server restarted with other settings)."""
    with _lock:
        _cache.clear()
        _failed.clear()


def _answer(resp: httpx.Response) -> Answer:
    try:
        body = json.loads(resp.content) if resp.content else None
    except ValueError:
        body = None
    return resp.status_code, resp.headers, resp.content, body


class _Read:
    """One read of ``/props`` for a driver: send ``request``, hand back the response."""

    __slots__ = ("_ep", "_key", "_steps", "known", "request")

    def __init__(self, ep: Endpoint, base_url: str, model: str | None, refresh: bool) -> None:
        self._ep, self._key = ep, (base_url, model)
        self.known = None if refresh else known(base_url, model)
        self._steps = props_steps(base_url, model, provider=ep.provider, secrets=ep.secrets)
        self.request: PropsRequest | None = None if self.known is not None else next(self._steps)

    def get(self, timeout: float) -> dict[str, Any]:
        """The keyword arguments of the client's ``get`` for ``request``."""
        assert self.request is not None
        return {"url": self.request.url, "headers": self._ep.headers, "timeout": timeout,
                "params": {**dict(self._ep.query), **self.request.params}}

    def reply(self, resp: httpx.Response) -> None:
        """The answer to ``request``: the next request, or ``known`` (remembered).

        Raises:
            APIError: an answer that says nothing about the server's kind.
        """
        try:
            self.request = self._steps.send(_answer(resp))
        except StopIteration as done:
            self.request = None
            self.known = _remember(*self._key, done.value)
        except Exception:
            _failure(*self._key)
            raise

    def failed(self, exc: httpx.HTTPError) -> Exception:
        """The typed error for a request that got no answer (the failure is noted)."""
        _failure(*self._key)
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        url = self.request.url if self.request is not None else "/props"
        text = redact(f"GET {url} failed: {type(exc).__name__}: {exc}", *self._ep.secrets)
        return cls(text, provider=self._ep.provider)


def read_props_cached(ep: Endpoint, base_url: str, model: str | None, *, timeout: float,
                      refresh: bool = False) -> Known:
    """The server's ``/props`` answer: remembered, or read now (each request within ``timeout``).

    Raises:
        APIConnectionError, APITimeoutError: the server could not be reached.
        APIError: it answered with an error that says nothing about its kind (401, 5xx...).
    """
    read = _Read(ep, base_url, model, refresh)
    while read.request is not None:
        if ep.rate_limiter is not None:
            ep.rate_limiter.acquire()
        try:
            resp = ep.sync().get(**read.get(timeout))
        except httpx.HTTPError as exc:
            raise read.failed(exc) from None
        read.reply(resp)
    assert read.known is not None
    return read.known


async def aread_props(ep: Endpoint, base_url: str, model: str | None, *, timeout: float,
                      refresh: bool = False) -> Known:
    """Async :func:`read_props_cached` (the event loop's shared pool, or the caller's client)."""
    read = _Read(ep, base_url, model, refresh)
    pool = ep.async_pool()
    while read.request is not None:
        if ep.rate_limiter is not None:
            await ep.rate_limiter.aacquire()
        shard = pool.acquire() if pool is not None else -1
        client: Any = pool.client(shard) if pool is not None else ep.async_client
        try:
            resp = await client.get(**read.get(timeout))
        except httpx.HTTPError as exc:
            raise read.failed(exc) from None
        finally:
            if pool is not None:
                pool.release(shard)
        read.reply(resp)
    assert read.known is not None
    return read.known
