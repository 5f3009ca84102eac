"""One call's decisions, shared by the sync and async drivers (sans-IO).

An :class:`Exchange` is made per call. The drivers (``driver.py``) only send,
read and sleep; every decision is a method here, once:

* ``begin()`` - the timeouts (and trace hook) of the next attempt, cut to
  the call's total deadline;
* ``error_answer()`` - an error (or redirect) answer, capped at
  ``max_response_bytes``, as the typed error;
* ``open()`` / ``feed()`` / ``end()`` - a 2xx answer handed to the call's
  reader: decompress or not, the per-read deadline, and the verdict on how it
  ended. A :class:`~.readers.WholeReader` gets the decoded JSON body once, at its end (it
  is collected here, capped); a :class:`~.readers.StreamReader` gets every read as it
  arrives (the SSE decoder);
* ``error()`` / ``retry()`` - any failure as the typed error, and the wait
  before the next attempt (or the error raised).
"""

from __future__ import annotations

import json
import time
from typing import Any, Generic, TypeVar

import httpx

from langchain_compat.core.error_mapping import error_from_response
from langchain_compat.core.sse import looks_like_sse
from langchain_compat.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    CompatError,
    InvalidParameterError,
    RedirectError,
    ResponseParseError,
    ResponseTooLargeError,
    StreamInterruptedError,
    redact,
)
from langchain_compat.transport.endpoint import Endpoint
from langchain_compat.transport.readers import Reader
from langchain_compat.transport.retry import retry_after_hint
from langchain_compat.transport.validation import seconds
from langchain_compat.transport.wire import Attempt, Budget

__all__ = ["FAILURES", "Body", "Exchange", "is_stale_connection"]

T = TypeVar("T")

#: What a driver catches around one attempt (anything else is a bug and propagates).
FAILURES = (httpx.HTTPError, httpx.InvalidURL, CompatError, TimeoutError)
#: Bytes of a streamed body kept to say what it was when it is not an event stream.
HEAD_BYTES = 512


def is_stale_connection(exc: BaseException) -> bool:
    """True when the server closed the connection before any answer (h11's wording).

    Only safe to resend when the connection was a reused pooled one and no
    byte of the answer arrived - :meth:`Exchange.error` checks both. Seen
    with llama-server, which closes idle connections after 5 s and, about a
    third of the time, right after a streamed response without saying so;
    many gateways close quietly too.
    """
    return isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc)


def _scrub(ep: Endpoint, err: CompatError) -> CompatError:
    """Redact the key from an error raised while decoding a stream.

    HTTP error answers are redacted where they are built; an in-band
    ``error`` event is built by the stream state, which does not know the
    key, and providers echo it there too (``key sk-... revoked``).
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
            scrubbed = json.loads(redact(json.dumps(body), *ep.secrets))
            err.body = scrubbed  # type: ignore[attr-defined]
        except (TypeError, ValueError, RecursionError):
            err.body = None  # type: ignore[attr-defined]
    return err


def _where(location: str, secrets: tuple[str, ...]) -> str:
    """A redirect target fit for an error: no userinfo, no query string, keys redacted."""
    try:
        url = httpx.URL(location)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(an invalid Location header)"
    return redact(str(url.copy_with(userinfo=b"", query=None, fragment=None)), *secrets)


def _cut(value: float | None, left: float | None) -> float | None:
    if left is None:
        return value
    return left if value is None else min(value, left)


class Body:
    """A whole answer body read in pieces, refused past ``limit`` bytes (decoded size)."""

    __slots__ = ("_exchange", "parts", "size", "status")

    def __init__(self, exchange: Exchange[Any], status: int) -> None:
        self._exchange, self.status = exchange, status
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._exchange.ep.max_response_bytes:
            self.parts = []
            raise self._exchange.too_large(self.status)
        self.parts.append(chunk)

    def content(self) -> bytes:
        return b"".join(self.parts)


class Exchange(Generic[T]):
    """The state and decisions of one request (all its attempts)."""

    __slots__ = ("_async", "_body", "_owned", "attempt", "attempts", "content", "deadline", "ep",
                 "head", "media", "method", "reader", "received", "total", "whole")

    def __init__(self, ep: Endpoint, content: bytes | None, reader: Reader[T],
                 timeout: Any = None, *, owned: bool, is_async: bool = False) -> None:
        """Start a request.

        Args:
            ep: the endpoint.
            content: the encoded request body (None: a GET).
            reader: what turns a 2xx answer into items (whole JSON, or a stream).
            timeout: the per-call total timeout (None: the endpoint's).
            owned: the client is one of ours (its sockets honour budgets).
            is_async: the async driver runs it (selects the trace hook flavour).

        Raises:
            InvalidParameterError: ``timeout`` is not a positive finite number.
        """
        total = seconds("timeout", timeout) if timeout is not None else ep.total_timeout
        self.ep, self.content, self.reader = ep, content, reader
        self.method = "GET" if content is None else "POST"
        self.whole: bool = reader.whole
        self._owned, self._async = owned, is_async
        self.total = total
        self.deadline = None if total is None else time.monotonic() + total
        self.attempt = Attempt(self.deadline)
        self.attempts = 0  # failed attempts so far
        self.received = False  # bytes of a 2xx streamed body were fed to the reader
        self._body: Body | None = None
        self.head = b""
        self.media = ""
        if not self.whole:
            reader.max_event_bytes = ep.max_response_bytes  # type: ignore[union-attr]

    # -- attempts --------------------------------------------------------
    def begin(self) -> dict[str, Any]:
        """Start an attempt; return its request extensions (timeouts, trace hook).

        Raises:
            APITimeoutError: the total deadline has already passed.
        """
        a = self.attempt = Attempt(self.deadline)
        left = a.left()
        if left is not None and left <= 0:
            raise APITimeoutError("total timeout exceeded", provider=self.ep.provider)
        t = self.ep.timeout
        if self._owned:  # our sockets cut every call to the deadline (wire.py)
            return {"timeout": {"connect": Budget(t.connect, a), "read": Budget(t.read, a),
                                "write": Budget(t.write, a), "pool": _cut(t.pool, left)}}
        cap = self.total if self.attempts == 0 else left  # a retry gets what is left
        timeouts = {name: _cut(value, cap) for name, value in t.as_dict().items()}
        return {"timeout": timeouts, "trace": a.atrace if self._async else a.trace}

    def left(self) -> float | None:
        """Seconds left of the total deadline (None: none), for the async shell's scope."""
        return self.attempt.left()

    def error(self, exc: BaseException) -> CompatError:
        """Any failure of an attempt as the typed error (keys redacted)."""
        ep = self.ep
        if isinstance(exc, CompatError):
            return _scrub(ep, exc)
        msg = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                     *ep.secrets)
        if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
            hint = ep.connect_hint if isinstance(exc, httpx.ConnectTimeout) else ""
            return APITimeoutError(f"request timed out ({msg}){hint}", provider=ep.provider)
        if isinstance(exc, httpx.DecodingError):
            return ResponseParseError(
                f"the response body does not match its Content-Encoding header ({msg}); the "
                "server (or a proxy) sent a wrong header - fix it there", provider=ep.provider)
        if isinstance(exc, httpx.InvalidURL):
            return InvalidParameterError("base_url", f"httpx cannot send to it ({msg})")
        err = APIConnectionError(f"connection failed ({msg}){ep.connect_hint}",
                                 provider=ep.provider)
        a = self.attempt
        err.stale_connection = (  # type: ignore[attr-defined]
            is_stale_connection(exc) and not a.connected and a.received == 0)
        return err

    def retry(self, err: CompatError) -> float:
        """The wait before the next attempt.

        Raises:
            CompatError: ``err`` (or :class:`StreamInterruptedError` with it as
                the cause) when the request is over: not retried by the policy,
                retries exhausted, the wait would pass the total deadline, or a
                stream that already delivered data.
        """
        if not self.whole and self._stream_over(err):
            if isinstance(err, StreamInterruptedError):
                raise err
            raise self._interrupted(str(err)) from err  # keep the typed cause
        wait = self.ep.retry.delay(self.attempts, err)
        if wait is None or (self.deadline is not None and time.monotonic() + wait > self.deadline):
            raise err
        self.attempts += 1
        return wait

    def _stream_over(self, err: CompatError) -> bool:
        """Whether a failed stream attempt ends the request instead of being retried.

        After the first chunk nothing is retried. A connection break or timeout
        after body bytes arrived is not retried either, even before a whole
        chunk: the reader already holds a partial event, and feeding a fresh
        response into it would corrupt the first line (a spurious parse error).
        An error *event* (a typed APIError) arrives on an event boundary, so it
        keeps the normal policy. (A whole body is collected afresh by every
        attempt: nothing of a failed one was handed out.)
        """
        chunks = self.reader.chunks  # type: ignore[union-attr]
        if chunks or isinstance(err, StreamInterruptedError):
            return True
        return self.received and isinstance(err, APIConnectionError)

    # -- error answers ---------------------------------------------------
    def too_large(self, status: int) -> ResponseTooLargeError:
        return ResponseTooLargeError(self.ep.max_response_bytes, status_code=status,
                                     provider=self.ep.provider)

    def body(self, status: int, headers: httpx.Headers) -> Body:
        """A collector for a whole body.

        Raises:
            ResponseTooLargeError: ``Content-Length`` is already over the cap.
        """
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.ep.max_response_bytes:
            raise self.too_large(status)
        return Body(self, status)

    def error_answer(self, status: int, headers: httpx.Headers, content: bytes) -> CompatError:
        """The typed error for an HTTP error or redirect answer (usable ``Retry-After`` only)."""
        ep = self.ep
        if status < 400:
            return RedirectError(status, _where(headers.get("location", ""), ep.secrets),
                                 provider=ep.provider)
        try:
            err = error_from_response(status, content, headers, provider=ep.provider,
                                      secrets=ep.secrets)
        except RecursionError:  # a JSON error body nested deeper than the decoder goes
            err = error_from_response(status, b"(error body nested too deeply to decode)", headers,
                                      provider=ep.provider)
        if isinstance(err, APIError):
            err.retry_after = retry_after_hint(headers)
            if status == 404:  # the fix: the model name, or the base URL's path
                model = "model" in err.message.lower()
                err.args = (str(err) + (ep.unknown_model_hint if model else ep.not_found_hint),)
        return err

    # -- 2xx answers -----------------------------------------------------
    def open(self, status: int, headers: httpx.Headers) -> bool:
        """A 2xx answer's head arrived; True when its body is read through httpx's decoders
        (a whole body, or a compressed stream), False for a stream's raw bytes.

        Raises:
            ResponseTooLargeError: a whole body whose ``Content-Length`` is over the cap.
        """
        self.media = headers.get("content-type", "")
        fallback = None if self.whole else getattr(self.reader, "whole_answer", None)
        if fallback is not None and "json" in self.media.lower():
            self.reader, self.whole = fallback, True  # a stream we asked for, answered whole
        if self.whole:
            self._body = self.body(status, headers)
            return True
        return headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")

    def feed(self, raw: bytes) -> list[T]:
        """Bytes of the body -> the items the reader makes of them (none for a whole body).

        Raises:
            APITimeoutError: the total deadline passed.
            ResponseTooLargeError: a whole body grew past the cap.
        """
        if self._body is not None:
            self._body.add(raw)
            out: list[T] = []
        else:
            if raw:
                self.received = True
                if len(self.head) < HEAD_BYTES:
                    self.head += raw[: HEAD_BYTES - len(self.head)]
            out = self.reader.feed(raw)  # type: ignore[union-attr]
        left = self.attempt.left()
        if left is not None and left <= 0:
            raise APITimeoutError("total timeout exceeded", provider=self.ep.provider)
        return out

    def end(self) -> list[T]:
        """The body ended: the last items, or why it is not a complete answer.

        Raises:
            ResponseParseError: a whole body that is not JSON (or nested too
                deeply), a stream whose body is not an event stream (a JSON or
                HTML answer), or that held ``[DONE]`` and no chunk.
            StreamInterruptedError: a stream that ended without ``[DONE]`` or a
                finish reason.
        """
        if self._body is not None:
            body, self._body = self._body, None
            return self.reader.parse(self._decode(body))  # type: ignore[union-attr]
        reader = self.reader
        tail = reader.close()  # type: ignore[union-attr]
        provider = self.ep.provider
        if reader.chunks == 0 and not looks_like_sse(self.head):  # type: ignore[union-attr]
            media = self.media.split(";")[0] or "no content type"
            text = redact(self.head[:200].decode("utf-8", "replace"), *self.ep.secrets)
            raise ResponseParseError(
                f"a stream was requested but the server answered with {media}, not an event "
                f"stream: {text!r}; if this endpoint cannot stream, call invoke() "
                f"(streaming=False)",
                provider=provider)
        if reader.done and reader.chunks == 0:  # type: ignore[union-attr]
            raise ResponseParseError(
                "the stream held [DONE] and no completion chunk: the server produced no answer "
                "(retry, or check the server's logs)", provider=provider)
        if not reader.done and reader.finish_reason is None:  # type: ignore[union-attr]
            raise self._interrupted("the stream ended without [DONE] or a finish_reason")
        return tail

    def _decode(self, body: Body) -> Any:
        content = body.content()
        try:
            return json.loads(content)
        except (ValueError, RecursionError) as exc:
            why = "nested too deeply to decode" if isinstance(exc, RecursionError) else "not JSON"
            text = redact(content[:200].decode("utf-8", "replace"), *self.ep.secrets)
            raise ResponseParseError(f"response is {why}: {text!r}", status_code=body.status,
                                     provider=self.ep.provider) from None

    def _interrupted(self, why: str) -> StreamInterruptedError:
        reader = self.reader
        return StreamInterruptedError(redact(why, *self.ep.secrets),
                                      partial=reader.text,  # type: ignore[union-attr]
                                      chunks_received=reader.chunks,  # type: ignore[union-attr]
                                      provider=self.ep.provider)
