"""Thin sync and async HTTP drivers over the sans-IO core.

All decisions live in pure code: the retry policy (``retry.py``), error
mapping (``core.errors``) and stream decoding (``core.stream``). What is left
here is the I/O: send, read, sleep. Each driver method is a short loop; the
per-chunk work is one call into the stream state's ``feed``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from langchain_compat.core.errors import error_from_response
from langchain_compat.errors import (
    APIConnectionError,
    APITimeoutError,
    CompatError,
    InvalidParameterError,
    ResponseParseError,
    StreamInterruptedError,
    redact,
)
from langchain_compat.transport.clients import (
    DEFAULT_LIMITS,
    AsyncPool,
    async_pool,
    sync_client,
)
from langchain_compat.transport.retry import RetryPolicy

__all__ = ["MAX_IN_FLIGHT", "Endpoint", "HTTPDriver", "StreamState"]

logger = logging.getLogger("langchain_compat.transport")
T = TypeVar("T")

#: Most async requests one event loop hands to the httpx pool at once (see clients.py).
MAX_IN_FLIGHT = 64
_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


class StreamState(Protocol[T]):  # pragma: no cover - typing only
    done: bool
    chunks: int
    finish_reason: str | None

    @property
    def text(self) -> str: ...
    def feed(self, raw: bytes) -> list[T]: ...
    def close(self) -> list[T]: ...


@dataclass(slots=True)
class Endpoint:
    """Where and how to send requests for one model instance.

    ``secrets`` are redacted from every error message; ``headers`` carry the
    auth header and are never logged.
    """

    base_url: str
    headers: dict[str, str]
    provider: str
    secrets: tuple[str, ...] = ()
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(60.0, connect=10.0))
    total_timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    verify: Any = True
    limits: httpx.Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    proxy: str | None = None
    rate_limiter: Any = None
    client: httpx.Client | None = None
    """A caller-owned sync client (tests, custom transports); else the shared one."""
    async_client: httpx.AsyncClient | None = None

    def sync(self) -> httpx.Client:
        return self.client or sync_client(self.verify, self.limits, self.proxy)

    def async_pool(self) -> AsyncPool | None:
        """This loop's shared sharded pool, or None with a caller-owned client."""
        return None if self.async_client is not None else async_pool(self.verify, self.limits, self.proxy)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def _request_timeout(ep: Endpoint, timeout: float | None) -> tuple[httpx.Timeout, float | None]:
    """Per-call timeout: a float overrides read/total; returns (httpx timeout, deadline)."""
    total = timeout if timeout is not None else ep.total_timeout
    t = ep.timeout
    if total is not None:
        read = min(t.read, total) if t.read is not None else total
        t = httpx.Timeout(connect=min(t.connect or total, total), read=read, write=t.write, pool=t.pool)
    return t, (time.monotonic() + total if total is not None else None)


def _map_transport_error(ep: Endpoint, exc: Exception) -> CompatError:
    msg = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, *ep.secrets)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out ({msg})", provider=ep.provider)
    err = APIConnectionError(f"connection failed ({msg})", provider=ep.provider)
    err.stale_connection = is_stale_connection(exc)  # type: ignore[attr-defined]
    return err


def is_stale_connection(exc: BaseException) -> bool:
    """True when a pooled keep-alive connection was already closed by the server.

    Nothing was processed, so one resend is safe. Seen with llama-server, which
    closes idle connections after 5 s and, about a third of the time, closes the
    connection right after a streamed response without saying so; many gateways
    close quietly too.
    """
    return isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc)


def _parse_json(ep: Endpoint, resp: httpx.Response) -> Any:
    try:
        return json.loads(resp.content)
    except ValueError:
        raise ResponseParseError(
            f"response is not JSON: {redact(resp.text[:200], *ep.secrets)!r}",
            status_code=resp.status_code, provider=ep.provider,
        ) from None


def _check_deadline(deadline: float | None, ep: Endpoint) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise APITimeoutError("total timeout exceeded", provider=ep.provider)


def _past_deadline(deadline: float | None, wait: float) -> bool:
    """Whether sleeping ``wait`` seconds before a retry would end past the total deadline."""
    return deadline is not None and time.monotonic() + wait > deadline


def _interrupted(ep: Endpoint, state: StreamState[Any], why: str) -> StreamInterruptedError:
    return StreamInterruptedError(redact(why, *ep.secrets), partial=state.text,
                                  chunks_received=state.chunks, provider=ep.provider)


def _scrub(ep: Endpoint, err: CompatError) -> CompatError:
    """Redact the key from an error raised while decoding a stream.

    HTTP error answers are redacted where they are built (``self._error``);
    an in-band ``error`` event is built by the stream state, which does not
    know the key, and providers echo it there too (``key sk-... revoked``).
    """
    if not ep.secrets:
        return err
    err.args = tuple(redact(a, *ep.secrets) if isinstance(a, str) else a for a in err.args)
    if isinstance(getattr(err, "message", None), str):
        err.message = redact(err.message, *ep.secrets)  # type: ignore[attr-defined]
    body = getattr(err, "body", None)
    if isinstance(body, str):
        err.body = redact(body, *ep.secrets)  # type: ignore[attr-defined]
    elif body is not None:
        try:
            err.body = json.loads(redact(json.dumps(body), *ep.secrets))  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            err.body = None  # type: ignore[attr-defined]
    return err


def _not_retryable_stream(state: StreamState[Any], err: CompatError, received: bool) -> bool:
    """Whether a failed stream attempt must end the call instead of being retried.

    After the first chunk nothing is retried. A connection break or timeout
    after body bytes arrived is not retried either, even before a whole
    chunk: ``state`` already holds a partial event, and feeding a fresh
    response into it would corrupt the first line (a spurious parse error).
    An error *event* (a typed APIError) arrives on an event boundary, so it
    keeps the normal policy.
    """
    if state.chunks or isinstance(err, StreamInterruptedError):
        return True
    return received and isinstance(err, APIConnectionError)


def _end_of_stream(ep: Endpoint, state: StreamState[T]) -> list[T]:
    tail = state.close()
    if not state.done and state.finish_reason is None:
        raise _interrupted(ep, state, "the stream ended without [DONE] or a finish_reason")
    return tail


def _direct(client: httpx.Client | httpx.AsyncClient) -> Any:
    """The client's transport selector when it is safe to skip ``Client.send``.

    ``Client.send`` walks auth, redirect, cookie and event-hook layers that our
    own shared clients never use (no auth object, ``follow_redirects=False``,
    no hooks); profiled on loopback (``python -m bench.profile ours invoke``)
    they were about a third of httpx's CPU per request. For those clients we
    build the request ourselves and hand it to the transport httpx would pick
    (``_transport_for_url`` keeps proxy mounts and environment proxies).
    Difference: cookies the server sets are not stored - a process-wide client
    shared by every model should not carry one server's cookies anyway.
    Caller-owned clients always go through ``Client.send``.
    """
    return getattr(client, "_transport_for_url", None)


class HTTPDriver:
    """Sends requests for one :class:`Endpoint`, sync or async."""

    __slots__ = ("_urls", "_wire_headers", "ep")

    def __init__(self, endpoint: Endpoint) -> None:
        self.ep = endpoint
        self._wire_headers: httpx.Headers | None = None
        self._urls: dict[str, httpx.URL] = {}

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

    def _direct_request(self, client: httpx.Client | httpx.AsyncClient, path: str, content: bytes,
                        t: httpx.Timeout) -> httpx.Request:
        return httpx.Request("POST", self._direct_url(path), content=content,
                             headers=self._direct_headers(client), extensions={"timeout": t.as_dict()})

    def _send(self, client: httpx.Client, path: str, url: str, content: bytes,
              headers: dict[str, str], t: httpx.Timeout) -> httpx.Response:
        select = _direct(client) if self.ep.client is None else None
        if select is None:
            return client.post(url, content=content, headers=headers, timeout=t)
        request = self._direct_request(client, path, content, t)
        resp = select(request.url).handle_request(request)
        resp.request = request
        try:
            resp.read()
        finally:
            resp.close()
        return resp

    async def _asend(self, client: httpx.AsyncClient, path: str, url: str, content: bytes,
                     headers: dict[str, str], t: httpx.Timeout, owned: bool) -> httpx.Response:
        select = _direct(client) if owned else None
        if select is None:
            return await client.post(url, content=content, headers=headers, timeout=t)
        request = self._direct_request(client, path, content, t)
        resp = await select(request.url).handle_async_request(request)
        resp.request = request
        try:
            await resp.aread()
        finally:
            await resp.aclose()
        return resp

    def _error(self, resp: httpx.Response) -> CompatError:
        return error_from_response(resp.status_code, resp.content, resp.headers,
                                   provider=self.ep.provider, secrets=self.ep.secrets)

    def _encode(self, body: dict[str, Any]) -> bytes:
        """The JSON request body.

        Raises:
            InvalidParameterError: a value is not JSON (an object in a tool
                schema, ``extra_body`` or ``model_kwargs``; NaN/inf, which
                ``json.dumps`` would send as invalid JSON).
        """
        try:
            return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                "request body",
                f"it cannot be sent as JSON ({exc}); tool schemas, extra_body and model_kwargs "
                "must hold only JSON values (str, int, float, bool, None, lists and dicts "
                "with string keys; no NaN or infinity)",
            ) from None

    def _headers(self) -> dict[str, str]:
        return {**self.ep.headers, "content-type": "application/json"}

    # -- sync ------------------------------------------------------------
    def post_json(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        """POST ``body`` and return the decoded JSON answer (retried per policy)."""
        ep = self.ep
        client = ep.sync()
        t, deadline = _request_timeout(ep, timeout)
        content, headers, url = self._encode(body), self._headers(), ep.url(path)
        if ep.rate_limiter is not None:
            ep.rate_limiter.acquire()
        attempt = 0
        while True:
            try:
                resp = self._send(client, path, url, content, headers, t)
                if resp.status_code < 400:
                    return _parse_json(ep, resp)
                err: CompatError = self._error(resp)
            except httpx.TransportError as exc:
                err = _map_transport_error(ep, exc)
            wait = ep.retry.delay(attempt, err)
            if wait is None or _past_deadline(deadline, wait):
                raise err
            logger.info("retrying %s after %s (attempt %d, %.2fs)", path, type(err).__name__, attempt + 1, wait)
            time.sleep(wait)
            attempt += 1

    def stream(self, path: str, body: dict[str, Any], state: StreamState[T], *,
               timeout: float | None = None) -> Iterator[T]:
        """POST ``body`` and yield what ``state.feed`` makes of the SSE bytes.

        Retried only until the first chunk is yielded; a break after that
        raises :class:`StreamInterruptedError` carrying the partial text.
        """
        ep = self.ep
        client = ep.sync()
        t, deadline = _request_timeout(ep, timeout)
        content, headers, url = self._encode(body), self._headers(), ep.url(path)
        attempt = 0
        received = False  # bytes of a 2xx body were fed to ``state``
        while True:
            try:
                with client.stream("POST", url, content=content, headers=headers, timeout=t) as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        raise self._error(resp)
                    for raw in resp.iter_raw():
                        received = received or bool(raw)
                        yield from state.feed(raw)
                        _check_deadline(deadline, ep)
                yield from _end_of_stream(ep, state)
                return
            except httpx.TransportError as exc:
                err: CompatError = _map_transport_error(ep, exc)
            except CompatError as exc:
                err = _scrub(ep, exc)
            if _not_retryable_stream(state, err, received):
                if isinstance(err, StreamInterruptedError):
                    raise err
                raise _interrupted(ep, state, str(err)) from err  # keep the typed cause
            wait = ep.retry.delay(attempt, err)
            if wait is None or _past_deadline(deadline, wait):
                raise err
            time.sleep(wait)
            attempt += 1

    # -- async -----------------------------------------------------------
    async def apost_json(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Async :meth:`post_json`."""
        ep = self.ep
        pool = ep.async_pool()
        client = ep.async_client
        t, deadline = _request_timeout(ep, timeout)
        content, headers, url = self._encode(body), self._headers(), ep.url(path)
        if ep.rate_limiter is not None:
            await ep.rate_limiter.aacquire()
        attempt = 0
        while True:
            try:
                async with _semaphore():
                    if pool is None:
                        resp = await self._asend(client, path, url, content, headers, t, False)
                    else:  # lease a connection of the first shard with one free (clients.py)
                        shard = pool.acquire()
                        try:
                            resp = await self._asend(pool.client(shard), path, url, content, headers, t,
                                                     True)
                        finally:
                            pool.release(shard)
                if resp.status_code < 400:
                    return _parse_json(ep, resp)
                err: CompatError = self._error(resp)
            except httpx.TransportError as exc:
                err = _map_transport_error(ep, exc)
            wait = ep.retry.delay(attempt, err)
            if wait is None or _past_deadline(deadline, wait):
                raise err
            await asyncio.sleep(wait)
            attempt += 1

    async def astream(self, path: str, body: dict[str, Any], state: StreamState[T], *,
                      timeout: float | None = None) -> AsyncIterator[T]:
        """Async :meth:`stream`."""
        ep = self.ep
        pool = ep.async_pool()
        t, deadline = _request_timeout(ep, timeout)
        content, headers, url = self._encode(body), self._headers(), ep.url(path)
        attempt = 0
        received = False
        while True:
            shard = -1
            try:
                if pool is None:
                    client = ep.async_client
                else:  # the connection stays leased until the stream is closed
                    shard = pool.acquire()
                    client = pool.client(shard)
                async with client.stream("POST", url, content=content, headers=headers, timeout=t) as resp:
                    if resp.status_code >= 400:
                        await resp.aread()
                        raise self._error(resp)
                    async for raw in resp.aiter_raw():
                        received = received or bool(raw)
                        for item in state.feed(raw):
                            yield item
                        _check_deadline(deadline, ep)
                for item in _end_of_stream(ep, state):
                    yield item
                return
            except httpx.TransportError as exc:
                err: CompatError = _map_transport_error(ep, exc)
            except CompatError as exc:
                err = _scrub(ep, exc)
            finally:
                if shard >= 0:
                    pool.release(shard)  # type: ignore[union-attr]
            if _not_retryable_stream(state, err, received):
                if isinstance(err, StreamInterruptedError):
                    raise err
                raise _interrupted(ep, state, str(err)) from err  # keep the typed cause
            wait = ep.retry.delay(attempt, err)
            if wait is None or _past_deadline(deadline, wait):
                raise err
            await asyncio.sleep(wait)
            attempt += 1


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    sem = _semaphores.get(loop)
    if sem is None:
        sem = _semaphores[loop] = asyncio.Semaphore(MAX_IN_FLIGHT)
    return sem
