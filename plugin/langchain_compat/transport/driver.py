"""Thin sync and async HTTP drivers over the sans-IO core.

All decisions live in pure code: one request's timeouts, error mapping, retry
decisions and the verdict on how a body ended are
:class:`~langchain_compat.transport.exchange.Exchange`'s (with ``retry.py`` and
``core.error_mapping``); what the body means is the caller's reader's (a whole
JSON body, or a stream of SSE events). What is left here is the I/O: send, read,
sleep. There is one loop per flavour, :meth:`HTTPDriver.send` and
:meth:`HTTPDriver.asend`; a whole answer and a stream differ only in their reader.

Total timeout: our own clients cut every socket call to the call's deadline
(``wire.py``), so a server dripping bytes cannot stretch a call past it; the
async driver also runs each attempt's send (and a stream's opening) under an
``anyio.fail_after`` scope, which bounds caller-owned async clients and the
wait for a slot. A caller-owned *sync* client is checked between body reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import anyio
import httpx
from langchain_core.rate_limiters import BaseRateLimiter

from langchain_compat.errors import InvalidParameterError
from langchain_compat.ratelimit.protocol import throttle_of
from langchain_compat.transport.clients import MAX_IN_FLIGHT, loop_state
from langchain_compat.transport.endpoint import Endpoint
from langchain_compat.transport.exchange import FAILURES, Exchange, is_stale_connection
from langchain_compat.transport.readers import JSONAnswer, Reader
from langchain_compat.transport.retry import throttle_hint

__all__ = ["MAX_IN_FLIGHT", "Endpoint", "HTTPDriver", "is_stale_connection"]

logger = logging.getLogger("langchain_compat.transport")
T = TypeVar("T")


def _direct(client: httpx.Client | httpx.AsyncClient) -> Any:
    """The client's transport selector when it is safe to skip ``Client.send``.

    ``Client.send`` walks auth, redirect, cookie and event-hook layers our own
    shared clients never use, so for those the request is built here and handed to
    the transport httpx would pick (proxy mounts kept; server cookies are not stored).
    Why and how much: docs/benchmarks.md ("Direct transport send"). Caller-owned
    clients always go through ``Client.send``.
    """
    return getattr(client, "_transport_for_url", None)


def _scope(x: Exchange[Any], *, when: bool = True) -> Any:
    """A cancel scope ending at the request's total deadline (async), or no scope."""
    left = x.left()
    if left is None or not when:
        return contextlib.nullcontext()
    return anyio.fail_after(max(left, 0.0))


class HTTPDriver:
    """Sends requests for one :class:`Endpoint`, sync or async."""

    __slots__ = ("_urls", "_wire_headers", "ep")

    def __init__(self, endpoint: Endpoint) -> None:
        self.ep = endpoint
        self._wire_headers: httpx.Headers | None = None
        self._urls: dict[str, httpx.URL] = {}

    # -- building requests -----------------------------------------------
    def _direct_headers(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Headers:
        """The headers ``Client.send`` would send: the client's defaults, ours, content-type.

        Built once: ``httpx.Request`` copies a ``Headers`` object without
        re-normalising every header, as it would for a dict or list.
        """
        if self._wire_headers is None:
            merged = httpx.Headers(client.headers)
            merged.update(self._headers())
            self._wire_headers = merged
        return self._wire_headers

    def _direct_url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self.ep.url(path))
        return url

    def _request(self, client: httpx.Client | httpx.AsyncClient, x: Exchange[Any], path: str,
                 direct: bool) -> httpx.Request:
        ext = x.begin()
        if direct:
            return httpx.Request(x.method, self._direct_url(path), content=x.content,
                                 headers=self._direct_headers(client), extensions=ext)
        return client.build_request(x.method, self.ep.url(path), content=x.content,
                                    headers=self._headers(), extensions=ext)

    def _encode(self, body: dict[str, Any] | None) -> bytes | None:
        """The JSON request body.

        Raises:
            InvalidParameterError: a value is not JSON (an object in a tool
                schema, ``extra_body`` or ``model_kwargs``; NaN/inf, which
                ``json.dumps`` would send as invalid JSON).
        """
        if body is None:  # a GET
            return None
        try:
            return json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                "request body",
                f"it cannot be sent as JSON ({exc}); tool schemas, extra_body and model_kwargs "
                "must hold only JSON values (str, int, float, bool, None, lists and dicts "
                "with string keys; no NaN or infinity)",
            ) from None

    def _headers(self) -> dict[str, str]:
        return {**self.ep.headers, "content-type": "application/json"}

    # -- a shared limiter (ratelimit/protocol.py) ---------------------------
    def _note(self, err: Exception) -> None:
        """Tell a shared limiter that the provider refused for its rate limit."""
        hit, hint = throttle_hint(err)  # type: ignore[arg-type]
        if hit and (throttle := throttle_of(self.ep.rate_limiter)) is not None:
            throttle.throttled(hint)

    async def _anote(self, err: Exception) -> None:
        hit, hint = throttle_hint(err)  # type: ignore[arg-type]
        if hit and (throttle := throttle_of(self.ep.rate_limiter)) is not None:
            await throttle.athrottled(hint)

    # -- the loops ---------------------------------------------------------
    def _limiter(self, retry: bool, admitted: bool = False) -> BaseRateLimiter | None:
        """The limiter an attempt must pass first, or None.

        Every HTTP request passes the rate limiter: retries and a call's later
        requests (re-asks, recoveries) too. ``admitted`` says the caller's own
        hook (LangChain's ``rate_limiter`` on the chat model) already let the
        first attempt through. The first attempt waits before its deadline
        starts, so queueing does not eat the call's ``timeout``.
        """
        if self.ep.rate_limiter is None or (admitted and not retry):
            return None
        return self.ep.rate_limiter

    def send(self, path: str, body: dict[str, Any] | None, reader: Reader[T], *,
             timeout: float | None = None, admitted: bool = False) -> Iterator[T]:
        """POST ``body`` (GET when None); yield what ``reader`` makes of the answer (retried
        per policy).

        A whole reader's items come when the body is complete, so every failure
        before it may be retried; a stream is retried only until its first item
        (a break after that raises :class:`StreamInterruptedError` with the
        partial text).

        Args:
            path: the endpoint path under the base URL.
            body: the JSON body.
            reader: what turns a 2xx answer into items.
            timeout: this request's total deadline (None: the endpoint's).
            admitted: the rate limiter already let the first attempt through
                (see :meth:`_limiter`).
        """
        ep = self.ep
        client = ep.sync()
        direct = _direct(client) if ep.client is None else None
        if (limiter := self._limiter(False, admitted)) is not None:
            limiter.acquire()
        x = Exchange(ep, self._encode(body), reader, timeout, owned=ep.client is None)
        while True:
            try:
                resp = self._open(client, x, path, direct)
                try:
                    if resp.status_code >= 300:  # an error, or a redirect (never followed)
                        raise x.error_answer(resp.status_code, resp.headers, self._read(resp, x))
                    decode = x.open(resp.status_code, resp.headers) or resp.is_stream_consumed
                    for raw in resp.iter_bytes() if decode else resp.iter_raw():
                        yield from x.feed(raw)
                finally:
                    resp.close()
                yield from x.end()
                return
            except FAILURES as exc:
                err = x.error(exc)
            self._note(err)
            wait = x.retry(err)  # raises ``err`` when the request is over
            logger.info("retrying %s after %s (attempt %d, %.2fs)", path, type(err).__name__,
                        x.attempts, wait)
            time.sleep(wait)
            if (limiter := self._limiter(True)) is not None:
                limiter.acquire()

    def _open(self, client: httpx.Client, x: Exchange[Any], path: str,
              direct: Any) -> httpx.Response:
        """Send one attempt; the answer's head is read, its body is not (close it)."""
        if direct is None:
            return client.send(self._request(client, x, path, False), stream=True,
                               follow_redirects=False)
        request = self._request(client, x, path, True)
        resp = direct(request.url).handle_request(request)
        resp.request = request
        return resp

    @staticmethod
    def _read(resp: httpx.Response, x: Exchange[Any]) -> bytes:
        """A whole error body (decoded), capped at ``max_response_bytes``."""
        body = x.body(resp.status_code, resp.headers)
        for chunk in resp.iter_bytes():
            body.add(chunk)
        return body.content()

    def post_json(self, path: str, body: dict[str, Any], *, timeout: float | None = None,
                  admitted: bool = False) -> Any:
        """POST ``body`` and return the decoded JSON answer (:meth:`send` with one item)."""
        [answer] = self.send(path, body, JSONAnswer(), timeout=timeout, admitted=admitted)
        return answer

    # -- async -----------------------------------------------------------
    async def asend(self, path: str, body: dict[str, Any] | None, reader: Reader[T], *,
                    timeout: float | None = None, admitted: bool = False) -> AsyncIterator[T]:
        """Async :meth:`send`.

        The head of each attempt (and a whole body, or an error answer) is read
        under a cancel scope ending at the total deadline, which also bounds a
        caller-owned client and the wait for a pooled connection; a stream's
        reads are cut to the deadline by the exchange. The attempt holds one
        connection of this loop's sharded pool (``clients.py``) until its
        body is read, and passes the loop's in-flight bound while it opens.
        """
        ep = self.ep
        pool = ep.async_pool()
        if (limiter := self._limiter(False, admitted)) is not None:
            await limiter.aacquire()
        x = Exchange(ep, self._encode(body), reader, timeout, owned=pool is not None,
                     is_async=True)
        while True:
            shard = -1
            try:
                if pool is None:
                    client = ep.async_client
                else:
                    shard = pool.acquire()
                    client = pool.client(shard)
                with _scope(x):
                    async with loop_state().semaphore:
                        direct = pool is not None
                        resp = await self._aopen(client, x, path, direct)  # type: ignore[arg-type]
                try:
                    if resp.status_code >= 300:  # an error, or a redirect (never followed)
                        with _scope(x):
                            content = await self._aread(resp, x)
                        raise x.error_answer(resp.status_code, resp.headers, content)
                    # (a caller's transport may hand back a body it already read: decoded then)
                    decode = x.open(resp.status_code, resp.headers) or resp.is_stream_consumed
                    # A whole body is read under the deadline's scope; feed() yields
                    # nothing for it, so no item is ever yielded inside the scope.
                    with _scope(x, when=x.whole):
                        async for raw in resp.aiter_bytes() if decode else resp.aiter_raw():
                            for item in x.feed(raw):
                                yield item
                finally:
                    await resp.aclose()
                for item in x.end():
                    yield item
                return
            except FAILURES as exc:
                err = x.error(exc)
            finally:
                if shard >= 0:
                    pool.release(shard)  # type: ignore[union-attr]
            await self._anote(err)
            wait = x.retry(err)
            logger.info("retrying %s after %s (attempt %d, %.2fs)", path, type(err).__name__,
                        x.attempts, wait)
            await asyncio.sleep(wait)
            if (limiter := self._limiter(True)) is not None:
                await limiter.aacquire()

    async def _aopen(self, client: httpx.AsyncClient, x: Exchange[Any], path: str,
                     direct: bool) -> httpx.Response:
        select = _direct(client) if direct else None
        if select is None:
            return await client.send(self._request(client, x, path, False), stream=True,
                                     follow_redirects=False)
        request = self._request(client, x, path, True)
        resp = await select(request.url).handle_async_request(request)
        resp.request = request
        return resp

    @staticmethod
    async def _aread(resp: httpx.Response, x: Exchange[Any]) -> bytes:
        body = x.body(resp.status_code, resp.headers)
        async for chunk in resp.aiter_bytes():
            body.add(chunk)
        return body.content()

    async def apost_json(self, path: str, body: dict[str, Any], *, timeout: float | None = None,
                         admitted: bool = False) -> Any:
        """Async :meth:`post_json`."""
        items = [item async for item in self.asend(path, body, JSONAnswer(), timeout=timeout,
                                                   admitted=admitted)]
        return items[0]
