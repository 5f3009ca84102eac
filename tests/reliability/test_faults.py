"""Fault suite: the chat classes against the emulator's injected faults.

Every fault runs through the four call paths (sync/async invoke, sync/async
stream) and asserts the exact outcome: the typed error, the provider's
message, the number of requests the emulator saw, the chunks yielded before
a break (no duplicates, no silent truncation) and the time a wait took.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_compat import ChatCotomi, ChatOpenAICompatible, ChatTelkom
from langchain_compat.errors import (
    APIConnectionError,
    APITimeoutError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    StreamInterruptedError,
)
from langchain_compat.testing import (
    emulate,
    hang,
    malformed_sse,
    no_done,
    rate_limited,
    reset_connection,
    server_error,
    stream_error,
    truncated_json,
)

from .conftest import make_chat

MODES = ["invoke", "ainvoke", "stream", "astream"]
STREAMS = ["stream", "astream"]
TEXT = "one two three four five"
#: What a clean stream of TEXT yields (role chunk, words, finish, usage...).
FULL = "Echo: one two three four five"


async def call(llm: Any, mode: str, text: str = TEXT, got: list[str] | None = None) -> str:
    """Run one call in ``mode``; stream chunks' text is appended to ``got`` as it arrives."""
    got = [] if got is None else got
    if mode == "invoke":
        return llm.invoke(text).content
    if mode == "ainvoke":
        return (await llm.ainvoke(text)).content
    if mode == "stream":
        for chunk in llm.stream(text):
            got.append(chunk.content)
    else:
        async for chunk in llm.astream(text):
            got.append(chunk.content)
    return "".join(got)


def fast_limiter() -> InMemoryRateLimiter:
    return InMemoryRateLimiter(requests_per_second=1000, check_every_n_seconds=0.001,
                               max_bucket_size=1000)


@pytest.fixture(scope="module")
def clean_chunks(emu) -> list[str]:
    """The chunk texts of a fault-free stream of TEXT (the reference for prefixes)."""
    got: list[str] = []
    for chunk in make_chat(emu).stream(TEXT):
        got.append(chunk.content)
    emu.reset()
    assert "".join(got) == FULL
    return got


# -- 5xx bursts: retried, then a typed ServerError with the provider's message --------

PROVIDERS = [("openai-compatible", ChatOpenAICompatible), ("cotomi", ChatCotomi),
             ("telkom", ChatTelkom)]


@pytest.fixture(scope="module")
def provider_emus():
    with emulate("cotomi", rate_limit=None) as cot, emulate("telkom", rate_limit=None) as tel:
        yield {"cotomi": cot, "telkom": tel}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize(("name", "cls"), PROVIDERS, ids=[p[0] for p in PROVIDERS])
async def test_5xx_burst_exhausts_retries(emu, provider_emus, fast_retry, name, cls, status,
                                          mode) -> None:
    target = emu if name == "openai-compatible" else provider_emus[name]
    target.reset()
    target.inject(server_error(status, f"provider says {status} {name}"), times=10)
    extra = {"rate_limiter": fast_limiter()} if cls is ChatTelkom else {}
    llm = make_chat(target, cls, max_retries=2, **extra)
    got: list[str] = []
    with pytest.raises(ServerError) as info:
        await call(llm, mode, got=got)
    err = info.value
    assert type(err) is ServerError
    assert err.status_code == status and err.message == f"provider says {status} {name}"
    assert len(target.requests) == 1 + 2 and [r.status for r in target.requests] == [status] * 3
    assert got == []
    target.reset()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_burst_then_recovery(emu, fast_retry, status, mode) -> None:
    emu.inject(server_error(status), times=2)
    assert await call(make_chat(emu, max_retries=2), mode) == FULL
    assert [r.status for r in emu.requests] == [status, status, 200]


@pytest.mark.parametrize("max_retries", [0, 1, 4])
async def test_request_count_follows_max_retries(emu, fast_retry, max_retries) -> None:
    emu.inject(server_error(500), times=10)
    with pytest.raises(ServerError):
        await call(make_chat(emu, max_retries=max_retries), "ainvoke")
    assert len(emu.requests) == 1 + max_retries


# -- 429 with Retry-After: the stated time is waited -------------------------------

@pytest.mark.parametrize("mode", MODES)
async def test_429_waits_retry_after(emu, mode) -> None:
    emu.inject(rate_limited(0.4, "slow down"))
    t0 = time.monotonic()
    assert await call(make_chat(emu, max_retries=1), mode) == FULL
    elapsed = time.monotonic() - t0
    first, second = emu.requests
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 0.38  # server clock: the gap it saw
    assert 0.4 <= elapsed < 0.4 + 1.0


@pytest.mark.parametrize("mode", MODES)
async def test_429_exhausted_is_rate_limit_error(emu, mode) -> None:
    emu.inject(rate_limited(0.01, "slow down"), times=5)
    with pytest.raises(RateLimitError) as info:
        await call(make_chat(emu, max_retries=1), mode)
    assert info.value.status_code == 429 and info.value.message == "slow down"
    assert info.value.retry_after == 0.01 and len(emu.requests) == 2


async def test_429_retry_after_above_cap_is_not_waited(emu) -> None:
    """A hostile Retry-After (1 hour) ends the retries at once instead of parking the client."""
    emu.inject(rate_limited(3600), times=3)
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await call(make_chat(emu, max_retries=2), "ainvoke")
    assert info.value.retry_after == 3600 and time.monotonic() - t0 < 1.0
    assert len(emu.requests) == 1


# -- connection reset -----------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
async def test_reset_before_first_byte_is_retried(emu, fast_retry, mode) -> None:
    emu.inject(reset_connection(after_chunks=0))
    got: list[str] = []
    assert await call(make_chat(emu), mode, got=got) == FULL
    assert len(emu.requests) == 2
    assert "".join(got) == (FULL if mode in STREAMS else "")


@pytest.mark.parametrize("mode", STREAMS)
@pytest.mark.parametrize("after", [1, 2, 3, 5])
async def test_reset_mid_stream_interrupts_with_partial(emu, clean_chunks, mode, after) -> None:
    emu.inject(reset_connection(after_chunks=after))
    got: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        await call(make_chat(emu), mode, got=got)
    err = info.value
    assert got == clean_chunks[:after]  # exactly the chunks sent: none twice, none dropped
    assert err.partial == "".join(got) and err.chunks_received == after
    assert len(emu.requests) == 1  # never retried after the first chunk
    assert isinstance(err.__cause__, APIConnectionError)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_reset_every_attempt_is_connection_error(emu, fast_retry, mode) -> None:
    emu.inject(reset_connection(), times=5)
    with pytest.raises(APIConnectionError) as info:
        await call(make_chat(emu, max_retries=2), mode)
    assert not isinstance(info.value, APITimeoutError)
    assert len(emu.requests) == 3


# -- broken bodies ----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_truncated_json_body(emu, mode) -> None:
    emu.inject(truncated_json())
    with pytest.raises(ResponseParseError) as info:
        await call(make_chat(emu), mode)
    assert info.value.status_code == 200 and "not JSON" in info.value.message
    assert len(emu.requests) == 1  # a 2xx that cannot be read is not retried


@pytest.mark.parametrize("mode", STREAMS)
async def test_truncated_json_in_stream(emu, clean_chunks, mode) -> None:
    """The emulator cuts the second event's JSON: one chunk was yielded, then a typed break
    whose cause is the ResponseParseError."""
    emu.inject(truncated_json())
    got: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        await call(make_chat(emu), mode, got=got)
    assert got == clean_chunks[:1] and info.value.partial == "".join(got)
    assert "not JSON" in str(info.value)
    assert isinstance(info.value.__cause__, ResponseParseError)
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", STREAMS)
async def test_malformed_sse(emu, clean_chunks, mode) -> None:
    emu.inject(malformed_sse())
    got: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        await call(make_chat(emu), mode, got=got)
    assert got == clean_chunks[: len(got)] and info.value.partial == "".join(got)
    assert isinstance(info.value.__cause__, ResponseParseError)


@pytest.mark.parametrize("mode", STREAMS)
async def test_stream_error_event(emu, clean_chunks, mode) -> None:
    emu.inject(stream_error("model crashed", after_chunks=2))
    got: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        await call(make_chat(emu), mode, got=got)
    assert got == clean_chunks[:2] and info.value.partial == "".join(got)
    assert "model crashed" in str(info.value)
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.__cause__.message == "model crashed"


@pytest.mark.parametrize("mode", STREAMS)
async def test_stream_without_done_but_with_finish_reason_completes(emu, clean_chunks,
                                                                    mode) -> None:
    """The driver ends a stream without [DONE] normally when a finish_reason arrived
    (driver._end_of_stream); the text is whole and nothing is retried."""
    emu.inject(no_done())
    got: list[str] = []
    assert await call(make_chat(emu), mode, got=got) == FULL
    assert got == clean_chunks and len(emu.requests) == 1


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_stream_only_faults_skip_non_stream_calls(emu, mode) -> None:
    emu.inject(no_done(), malformed_sse(), stream_error())
    assert await call(make_chat(emu), mode) == FULL
    assert emu._state.faults.pending() == 3


# -- hung server: the timeout fires within its bound ---------------------------------

@pytest.mark.parametrize("mode", MODES)
async def test_hang_before_headers_times_out(emu, mode) -> None:
    emu.inject(hang())
    bound = 0.5
    t0 = time.monotonic()
    with pytest.raises(APITimeoutError):
        await call(make_chat(emu, timeout=bound, max_retries=2), mode)
    assert time.monotonic() - t0 <= bound + 0.5
    assert len(emu.requests) == 1  # no retry past the total deadline


@pytest.mark.parametrize("mode", STREAMS)
async def test_hang_mid_stream_times_out_with_partial(emu, clean_chunks, mode) -> None:
    emu.inject(hang(after_chunks=2))
    bound = 0.5
    got: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(StreamInterruptedError) as info:
        await call(make_chat(emu, timeout=bound), mode, got=got)
    assert time.monotonic() - t0 <= bound + 0.5
    assert got == clean_chunks[:2] and info.value.partial == "".join(got)
    assert isinstance(info.value.__cause__, APITimeoutError)


# -- connection refused -----------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode", MODES)
async def test_connection_refused(fast_retry, mode) -> None:
    port = _closed_port()
    llm = ChatOpenAICompatible(base_url=f"http://127.0.0.1:{port}/v1", api_key="k" * 8, model="m",
                               max_retries=1, timeout=5)
    t0 = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        await call(llm, mode)
    assert type(info.value) is APIConnectionError
    assert "connection failed" in info.value.message and time.monotonic() - t0 < 2.0


def _sse_without_end() -> bytes:
    events = [{"id": "x", "model": "m",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None}]},
              {"id": "x", "model": "m",
               "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]},
              {"id": "x", "model": "m",
               "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]}]
    import json

    return "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()


@pytest.mark.parametrize("mode", STREAMS)
async def test_stream_ending_without_done_or_finish_reason_is_interrupted(mode) -> None:
    """No [DONE] and no finish_reason: a silent truncation, so driver._end_of_stream raises
    StreamInterruptedError with everything yielded as ``partial`` (never a short success)."""
    import httpx

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=httpx.ByteStream(_sse_without_end()))

    kw = ({"http_client": httpx.Client(transport=httpx.MockTransport(handler))} if mode == "stream"
          else {"http_async_client": httpx.AsyncClient(transport=httpx.MockTransport(handler))})
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", max_retries=2, **kw)
    got: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        await call(llm, mode, got=got)
    assert got == ["", "Hel", "lo"] and info.value.partial == "Hello"
    assert info.value.chunks_received == 3 and "without [DONE]" in str(info.value)
    assert len(calls) == 1
