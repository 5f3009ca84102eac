"""Compressed streams are decoded; a non-SSE answer to a stream request says what it was.

Requests advertise ``Accept-Encoding: gzip, deflate, zstd`` (httpx's
default), so a server may compress the event stream. Before the fix streams
read raw bytes: an honest gzip SSE answer ended as "StreamInterruptedError
after 0 chunks: the stream ended without [DONE]". We keep advertising and
decode (``iter_bytes`` when a Content-Encoding is present, the raw fast path
otherwise): refusing compression would cost bandwidth on every provider that
does it right. A JSON or HTML 200 answering a stream request is reported as
such instead of as a broken stream.
"""

from __future__ import annotations

import asyncio
import zlib

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import ResponseParseError

from .rawhttp import RawServer, chunk, gzipped, ok_json, response, sse

pytestmark = pytest.mark.timeout(30)

EVENTS = sse(chunk("hello "), chunk("world"), chunk("", "stop"))


def _serve(data: bytes) -> RawServer:
    def handler(conn, n, head, body) -> bool:
        conn.sendall(data)
        return True
    return RawServer(handler)


def _chat(srv: RawServer) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                timeout=10)


async def _atext(llm: ChatOpenAICompatible) -> str:
    return "".join([c.text async for c in llm.astream("x")])


ENCODINGS = {"gzip": gzipped, "deflate": zlib.compress}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_compressed_event_stream_is_decoded(encoding: str, mode: str) -> None:
    body = ENCODINGS[encoding](EVENTS)
    data = response(200, body, {"Content-Type": "text/event-stream", "Content-Encoding": encoding})
    with _serve(data) as srv:
        llm = _chat(srv)
        if mode == "sync":
            text = "".join(c.text for c in llm.stream("x"))
        else:
            text = asyncio.run(_atext(llm))
    assert text == "hello world"


@pytest.mark.parametrize(("data", "media"), [
    (ok_json(), "application/json"),
    (response(200, b"<!DOCTYPE html><html><body>Gateway login</body></html>",
              {"Content-Type": "text/html"}), "text/html"),
])
def test_non_sse_answer_to_a_stream_says_what_it_was(data: bytes, media: str) -> None:
    with _serve(data) as srv, pytest.raises(ResponseParseError) as info:
        list(_chat(srv).stream("x"))
    assert media in str(info.value) and "not an event stream" in str(info.value)
