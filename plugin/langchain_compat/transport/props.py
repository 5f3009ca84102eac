"""Reading llama-server's ``/props`` over HTTP into a backend memory (sync and async).

What to ask and how to read the answers is :func:`~langchain_compat.core.server_props.props_steps`
(sans-IO); this module sends the requests with the model's own client, headers,
TLS settings and rate limiter, each bounded by ``timeout``, and records the
outcome in the model's :class:`~langchain_compat.core.backend_memory.BackendMemory`
under its backend (base URL, model, key digest): the server's
:class:`~langchain_compat.core.server_props.ServerDefaults` (used for
:data:`~langchain_compat.core.backend_memory.PROPS_FRESH_FOR` seconds), or
"not llama-server" (held: a server does not change kind under one URL). A failure
(refused connection, 5xx) is not an answer: it is recorded as a read to retry later
(``BackendMemory.props_due``), for callers that can do without (the context window
for memory trimming).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from langchain_compat.core.server_props import Answer, PropsRequest, props_steps
from langchain_compat.errors import APIConnectionError, APITimeoutError, redact
from langchain_compat.transport.endpoint import Endpoint

if TYPE_CHECKING:  # the memory is the caller's (a chat model's); transport only uses it
    from langchain_compat.core.backend_memory import BackendKey, BackendMemory, BackendRecord

__all__ = ["aread_server_props", "read_server_props"]


def _answer(resp: httpx.Response) -> Answer:
    try:
        body = json.loads(resp.content) if resp.content else None
    except ValueError:
        body = None
    return resp.status_code, resp.headers, resp.content, body


class _Read:
    """One read of ``/props`` for a driver: send ``request``, hand back the response."""

    __slots__ = ("_ep", "_key", "_memory", "_steps", "record", "request")

    def __init__(self, ep: Endpoint, memory: BackendMemory, key: BackendKey,
                 refresh: bool) -> None:
        self._ep, self._memory, self._key = ep, memory, key
        self.record = None if refresh else memory.fresh_props(key)
        self._steps = props_steps(key.base_url, key.model or None, provider=ep.provider,
                                  secrets=ep.secrets)
        self.request: PropsRequest | None = None if self.record is not None else next(self._steps)

    def get(self, timeout: float) -> dict[str, Any]:
        """The keyword arguments of the client's ``get`` for ``request``."""
        assert self.request is not None
        return {"url": self.request.url, "headers": self._ep.headers, "timeout": timeout,
                "params": {**dict(self._ep.query), **self.request.params}}

    def reply(self, resp: httpx.Response) -> None:
        """The answer to ``request``: the next request, or ``record`` (learned).

        Raises:
            APIError: an answer that says nothing about the server's kind.
        """
        try:
            self.request = self._steps.send(_answer(resp))
        except StopIteration as done:
            self.request = None
            self.record = self._memory.learn_props(self._key, done.value)
        except Exception:
            self._memory.learn_props_unreadable(self._key)
            raise

    def failed(self, exc: httpx.HTTPError) -> Exception:
        """The typed error for a request that got no answer (the failure is noted)."""
        self._memory.learn_props_unreadable(self._key)
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        url = self.request.url if self.request is not None else "/props"
        text = redact(f"GET {url} failed: {type(exc).__name__}: {exc}", *self._ep.secrets)
        return cls(text, provider=self._ep.provider)


def read_server_props(ep: Endpoint, memory: BackendMemory, key: BackendKey, *, timeout: float,
                      refresh: bool = False) -> BackendRecord:
    """What the backend's ``/props`` said: current in ``memory``, or read now (each request
    within ``timeout``) and learned there; ``refresh=True`` reads it in any case.

    Raises:
        APIConnectionError, APITimeoutError: the server could not be reached.
        APIError: it answered with an error that says nothing about its kind (401, 5xx...).
    """
    read = _Read(ep, memory, key, refresh)
    while read.request is not None:
        if ep.rate_limiter is not None:
            ep.rate_limiter.acquire()
        try:
            resp = ep.sync().get(**read.get(timeout))
        except httpx.HTTPError as exc:
            raise read.failed(exc) from None
        read.reply(resp)
    assert read.record is not None
    return read.record


async def aread_server_props(ep: Endpoint, memory: BackendMemory, key: BackendKey, *,
                             timeout: float, refresh: bool = False) -> BackendRecord:
    """Async :func:`read_server_props` (the event loop's shared pool, or the caller's client)."""
    read = _Read(ep, memory, key, refresh)
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
    assert read.record is not None
    return read.record
