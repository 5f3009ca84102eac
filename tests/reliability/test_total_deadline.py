"""``timeout`` is a total deadline for the whole call, also against a dripping server.

httpx's timeouts bound each socket read; a server sending one byte every
0.25 s never trips them. Before the fix ``timeout=1.5`` on a non-streamed
call waited for the whole dripped body (many seconds), and a stream whose
*headers* dripped was not bounded either (the deadline was only checked
between body chunks). Every wait below is bounded by the server's own drip
limit, so the old code fails on the time assertion instead of hanging.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import APITimeoutError

from .rawhttp import RawServer, chunk, drip, ok_json, sse

pytestmark = pytest.mark.timeout(60)

TIMEOUT, EVERY, SLACK = 1.5, 0.25, 1.5


def _drip_body(conn, n, head, body) -> bool:
    whole = ok_json()
    cut = whole.index(b"\r\n\r\n") + 4
    conn.sendall(whole[:cut])  # the head at once, then the body byte by byte
    drip(conn, whole[cut:], EVERY, stop_after=12)
    return False


def _drip_head(conn, n, head, body) -> bool:
    data = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Padding: "
            + b"x" * 80 + b"\r\n\r\n" + sse(chunk("hi", "stop")))
    drip(conn, data, EVERY, stop_after=12)
    return False


def _chat(srv: RawServer) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                timeout=TIMEOUT)


async def _adrain(llm: ChatOpenAICompatible) -> None:
    async for _ in llm.astream("x"):
        pass


CALLS = {
    "invoke": (_drip_body, lambda llm: llm.invoke("x")),
    "ainvoke": (_drip_body, lambda llm: asyncio.run(llm.ainvoke("x"))),
    "stream-head": (_drip_head, lambda llm: list(llm.stream("x"))),
    "astream-head": (_drip_head, lambda llm: asyncio.run(_adrain(llm))),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_dripping_server_is_cut_at_the_total_timeout(name: str) -> None:
    handler, call = CALLS[name]
    with RawServer(handler) as srv:
        llm = _chat(srv)
        t0 = time.monotonic()
        with pytest.raises(APITimeoutError):
            call(llm)
        elapsed = time.monotonic() - t0
    assert elapsed < TIMEOUT + SLACK, (
        f"{name}: returned after {elapsed:.1f}s with timeout={TIMEOUT}")


def test_per_call_timeout_is_total_too() -> None:
    with RawServer(_drip_body) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0)
        t0 = time.monotonic()
        with pytest.raises(APITimeoutError):
            llm.invoke("x", timeout=TIMEOUT)
        assert time.monotonic() - t0 < TIMEOUT + SLACK
