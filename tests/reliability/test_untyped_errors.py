"""Bad answers and bad settings raise typed errors from ``langchain_compat.errors``.

Before the fix each of these escaped as a bare Python/httpx exception:
RecursionError (deeply nested JSON), httpx.DecodingError (a lying
``Content-Encoding``), ValueError("No generation chunks were returned") from
langchain-core (a stream of only ``[DONE]``, or whose choice ``index`` is the
string "0"), ValueError/TypeError or no timeout at all (``timeout=-1``,
``"abc"``, ``nan``, ``connect_timeout=-1``), a hang or "min() arg is an empty
sequence" (``max_connections`` 0 or negative), httpx.InvalidURL (bad ports,
NUL bytes in ``base_url``).
"""

from __future__ import annotations

import asyncio
import math

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import (
    InvalidParameterError,
    ResponseParseError,
    ServerError,
)

from .rawhttp import RawServer, chunk, ok_json, response, sse

pytestmark = pytest.mark.timeout(30)

DEEP = b"[" * 200_000 + b"]" * 200_000


def chat(srv: RawServer, **kw) -> ChatOpenAICompatible:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 10)
    return ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", **kw)


def serve(data: bytes) -> RawServer:
    def handler(conn, n, head, body) -> bool:
        conn.sendall(data)
        return True
    return RawServer(handler)


def _stream(**headers: str) -> dict[str, str]:
    return {"Content-Type": "text/event-stream", **headers}


def test_deeply_nested_json_body_is_a_parse_error() -> None:
    with serve(response(200, DEEP)) as srv, pytest.raises(ResponseParseError, match="nested"):
        chat(srv).invoke("x")


def test_deeply_nested_error_body_keeps_its_status_class() -> None:
    with serve(response(500, DEEP)) as srv, pytest.raises(ServerError):
        chat(srv).invoke("x")


def test_deeply_nested_stream_event_is_a_parse_error() -> None:
    body = b"data: " + DEEP + b"\n\ndata: [DONE]\n\n"
    with (serve(response(200, body, _stream())) as srv,
          pytest.raises(ResponseParseError, match="nested")):
        list(chat(srv).stream("x"))


def test_lying_content_encoding_is_a_parse_error() -> None:
    plain = ok_json().split(b"\r\n\r\n", 1)[1]
    data = response(200, plain, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    with serve(data) as srv, pytest.raises(ResponseParseError, match="Content-Encoding"):
        chat(srv).invoke("x")


def test_lying_content_encoding_on_a_stream_is_a_parse_error() -> None:
    data = response(200, sse(chunk("hi", "stop")), _stream(**{"Content-Encoding": "gzip"}))
    with serve(data) as srv, pytest.raises(ResponseParseError, match="Content-Encoding"):
        list(chat(srv).stream("x"))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_of_only_done_is_a_parse_error(mode: str) -> None:
    with serve(response(200, b"data: [DONE]\n\n", _stream())) as srv:
        llm = chat(srv)
        with pytest.raises(ResponseParseError, match=r"\[DONE\] and no completion chunk"):
            if mode == "sync":
                list(llm.stream("x"))
            else:
                asyncio.run(_drain(llm))


async def _drain(llm: ChatOpenAICompatible) -> None:
    async for _ in llm.astream("x"):
        pass


def test_string_choice_index_is_a_parse_error() -> None:
    event = chunk("hi", "stop")
    event["choices"][0]["index"] = "0"
    with serve(response(200, sse(event), _stream())) as srv, \
            pytest.raises(ResponseParseError, match="index must be an integer"):
        list(chat(srv).stream("x"))


@pytest.mark.parametrize("bad", [-1, 0, "abc", math.nan, math.inf, True])
def test_bad_per_call_timeout_is_refused_before_sending(bad) -> None:
    with serve(ok_json()) as srv:
        with pytest.raises(InvalidParameterError, match="timeout"):
            chat(srv).invoke("x", timeout=bad)
        with pytest.raises(InvalidParameterError, match="timeout"):
            list(chat(srv).stream("x", timeout=bad))
        assert srv.requests == 0


def test_negative_connect_timeout_is_refused() -> None:
    with serve(ok_json()) as srv:
        with pytest.raises(InvalidParameterError, match="connect_timeout"):
            chat(srv, connect_timeout=-1).invoke("x")
        assert srv.requests == 0


@pytest.mark.parametrize("n", [0, -1])
def test_max_connections_below_one_is_refused_sync(n: int) -> None:
    with serve(ok_json()) as srv, pytest.raises(InvalidParameterError, match="max_connections"):
        chat(srv, max_connections=n, timeout=3).invoke("x")


@pytest.mark.parametrize("n", [0, -1])
def test_max_connections_below_one_is_refused_async(n: int) -> None:
    with serve(ok_json()) as srv, pytest.raises(InvalidParameterError, match="max_connections"):
        asyncio.run(chat(srv, max_connections=n, timeout=3).ainvoke("x"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/v1", "http://127.0.0.1:0/v1",
                                 "http://127.0.0.1:abc/v1", "http://127.0.0.1:9/v\x00"])
def test_bad_base_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidParameterError, match="base_url"):
        ChatOpenAICompatible(base_url=url, api_key="k", model="m", max_retries=0,
                             timeout=3).invoke("x")
