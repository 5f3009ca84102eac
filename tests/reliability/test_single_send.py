"""A POST is never sent twice with ``max_retries=0`` unless it is provably safe.

The free resend for a stale keep-alive connection used to be chosen by the
error text alone ("Server disconnected without sending a response"), so a
*fresh* connection that the server closed after reading the request got the
request a second time - a duplicated completion (and bill). Now the resend
happens only when the request went out on a reused pooled connection and no
byte of the answer arrived (the idle-close race it exists for).
"""

from __future__ import annotations

import asyncio

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import APIConnectionError, StreamInterruptedError

from .rawhttp import RawServer, chunk, ok_json, response, sse

pytestmark = pytest.mark.timeout(30)


def _chat(srv: RawServer) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                timeout=10)


def _close_after_reading(conn, n, head, body) -> bool:
    return False  # read the request, answer nothing, close


async def _adrain(llm: ChatOpenAICompatible) -> None:
    async for _ in llm.astream("x"):
        pass


CALLS = {
    "invoke": lambda llm: llm.invoke("x"),
    "ainvoke": lambda llm: asyncio.run(llm.ainvoke("x")),
    "stream": lambda llm: list(llm.stream("x")),
    "astream": lambda llm: asyncio.run(_adrain(llm)),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_fresh_connection_closed_after_the_request_is_not_resent(name: str) -> None:
    with RawServer(_close_after_reading) as srv:
        with pytest.raises((APIConnectionError, StreamInterruptedError)):
            CALLS[name](_chat(srv))
        assert srv.requests == 1


@pytest.mark.parametrize("mode", ["sync", "async", "stream-then-invoke"])
def test_reused_pooled_connection_closed_unanswered_is_resent_once(mode: str) -> None:
    """The idle-close race: the second request on a kept-alive connection finds it closed
    (llama-server does this after streams): one free resend, even with max_retries=0."""
    def handler(conn, n, head, body) -> bool:
        if n == 2:
            return False  # close the pooled connection without answering
        if b'"stream":true' in body:
            conn.sendall(response(200, sse(chunk("hi", "stop")),
                                  {"Content-Type": "text/event-stream"}))
        else:
            conn.sendall(ok_json())
        return True

    with RawServer(handler) as srv:
        llm = _chat(srv)
        if mode == "sync":
            assert [llm.invoke("a").content, llm.invoke("b").content] == ["hi", "hi"]
        elif mode == "stream-then-invoke":
            assert "".join(c.text for c in llm.stream("a")) == "hi"
            assert llm.invoke("b").content == "hi"
        else:
            async def two() -> list[str]:
                return [(await llm.ainvoke("a")).content, (await llm.ainvoke("b")).content]
            assert asyncio.run(two()) == ["hi", "hi"]
        assert srv.requests == 3 and srv.connections == 2


def test_reused_connection_that_sent_part_of_an_answer_is_not_resent() -> None:
    def handler(conn, n, head, body) -> bool:
        if n == 2:
            conn.sendall(b"HTTP/1.1 20")  # a byte of the answer arrived: the server acted
            return False
        conn.sendall(ok_json())
        return True

    with RawServer(handler) as srv:
        llm = _chat(srv)
        assert llm.invoke("a").content == "hi"
        with pytest.raises(APIConnectionError):
            llm.invoke("b")
        assert srv.requests == 2


def test_caller_owned_client_fresh_connection_is_not_resent() -> None:
    """``http_client=`` clients do not get our socket wrapper: httpcore's trace hook
    tells that the attempt opened its connection."""
    import httpx

    with RawServer(_close_after_reading) as srv, httpx.Client() as client:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                   timeout=10, http_client=client)
        with pytest.raises(APIConnectionError):
            llm.invoke("x")
        assert srv.requests == 1
