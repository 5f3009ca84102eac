"""Unusable ``Retry-After`` hints fall back to backoff; response sizes are capped;
a long stream is not held in memory.

Before the fix ``Retry-After: -5`` or ``nan`` became a 0 s wait (an
immediate retry hammering a server that asked for a pause); a body of any
size was read into memory (a ``Content-Length`` of 100 MiB was waited for);
an SSE line without a newline grew without bound; and the stream decoder kept
every character of the answer for ``StreamInterruptedError.partial``, so a
50 MB stream cost 50 MB more even when the consumer kept nothing.
"""

from __future__ import annotations

import gc
import time
import types

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.core.stream import ChatStream
from langchain_compat.errors import ResponseTooLargeError, StreamInterruptedError
from langchain_compat.testing import server_error
from langchain_compat.transport import retry
from langchain_compat.transport.driver import Endpoint, HTTPDriver

from .conftest import make_chat
from .rawhttp import RawServer, chunk, response, sse

pytestmark = pytest.mark.timeout(60)

BACKOFF = 0.4
MiB = 1024 * 1024


@pytest.mark.parametrize("hint", [-5, float("nan")])
def test_unusable_retry_after_falls_back_to_backoff(emu, monkeypatch, hint) -> None:
    monkeypatch.setattr(retry, "random", types.SimpleNamespace(uniform=lambda a, b: BACKOFF))
    emu.inject(server_error(503, "busy", retry_after=hint))
    msg = make_chat(emu, max_retries=1).invoke("again")
    assert msg.content == "Echo: again"
    assert [r.status for r in emu.requests] == [503, 200]
    assert emu.requests[1].time - emu.requests[0].time >= BACKOFF - 0.05


def _serve(data: bytes) -> RawServer:
    def handler(conn, n, head, body) -> bool:
        conn.sendall(data)
        return False
    return RawServer(handler)


def test_declared_oversized_body_is_refused_without_reading_it() -> None:
    """A Content-Length over the default 64 MiB cap fails at once (the body never comes)."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n{")
    with _serve(head) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                   timeout=10)
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
            llm.invoke("x")


def _driver(srv: RawServer, cap: int | None = None) -> HTTPDriver:
    extra = {} if cap is None else {"max_response_bytes": cap}
    return HTTPDriver(Endpoint(base_url=srv.base_url, headers={}, provider="raw", **extra))


def test_undeclared_oversized_body_is_cut_at_the_cap() -> None:
    """No Content-Length (read until close): refused once the decoded size passes the cap."""
    big = b'{"pad": "' + b"x" * (2 * MiB) + b'"}'
    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + big
    with _serve(data) as srv, pytest.raises(ResponseTooLargeError):
        _driver(srv, MiB).post_json("/chat/completions", {"m": 1})


def test_stream_line_without_end_is_cut_at_the_cap() -> None:
    data = response(200, b"data: " + b"x" * (2 * MiB), {"Content-Type": "text/event-stream"})
    with (_serve(data) as srv,
          pytest.raises((ResponseTooLargeError, StreamInterruptedError)) as info):
        list(_driver(srv, MiB).send("/chat/completions", {"m": 1}, ChatStream()))
    err = info.value
    assert (isinstance(err, ResponseTooLargeError)
            or isinstance(err.__cause__, ResponseTooLargeError))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_fifty_megabyte_stream_keeps_rss_bounded() -> None:
    """A consumer that keeps nothing: resident memory grows by far less than the stream."""
    piece = sse(chunk("y" * 8192), done=False)
    count = 50 * MiB // 8192

    def handler(conn, n, head, body) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Connection: close\r\n\r\n")
        for _ in range(count):
            conn.sendall(piece)
        conn.sendall(sse(chunk("", "stop")))
        return False

    with RawServer(handler) as srv:
        gc.collect()
        base = peak = _rss()
        n = 0
        t0 = time.monotonic()
        for _ in _driver(srv).send("/chat/completions", {"m": 1}, ChatStream()):
            n += 1
            if n % 256 == 0:
                peak = max(peak, _rss())
        assert n >= count and time.monotonic() - t0 < 50
    assert peak - base < 20 * MiB, f"RSS grew by {(peak - base) / MiB:.0f} MiB over a 50 MiB stream"


def test_max_response_bytes_is_a_model_setting() -> None:
    """The cap is set on the chat model and embeddings (it was reachable only through the
    internal Endpoint); a value below 1 byte is a typed error at construction."""
    big = b'{"pad": "' + b"x" * (2 * MiB) + b'"}'
    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + big
    with _serve(data) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, model="m", max_retries=0,
                                   max_response_bytes=MiB)
        with pytest.raises(ResponseTooLargeError, match=f"max_response_bytes={MiB}"):
            llm.invoke("x")
    from langchain_compat import OpenAICompatibleEmbeddings
    from langchain_compat.errors import InvalidParameterError

    for cls in (ChatOpenAICompatible, OpenAICompatibleEmbeddings):
        with pytest.raises(InvalidParameterError, match="max_response_bytes"):
            cls(base_url="http://127.0.0.1:9/v1", model="m", max_response_bytes=0)
