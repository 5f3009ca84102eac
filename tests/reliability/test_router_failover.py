"""The Router fails over on every deployment fault and bounds every cooldown (#23).

A broken deployment (a loopback server answering a redirect, an HTML page, a
400 "model not found", a 429 with a wild ``Retry-After``, a stream cut after its
first chunk) beside a healthy emulator. Items 7 and 8 of issue #23, and the
booking of a stream broken off after its first chunk.
"""

from __future__ import annotations

import gc
import json
import pickle

import pytest

from langchain_compat import ChatOpenAICompatible, Deployment, Router
from langchain_compat.errors import APITimeoutError, RateLimitError, StreamInterruptedError
from langchain_compat.router.core import RouterEvent
from langchain_compat.testing import emulate, reset_connection

from .rawhttp import RawServer, ok_json, response

pytestmark = pytest.mark.timeout(60)


def broken(*answers: bytes) -> RawServer:
    """A deployment answering ``answers`` in turn (the last one again and again)."""
    def handler(conn, n, head, body) -> bool:
        conn.sendall(answers[min(n, len(answers)) - 1])
        return True

    return RawServer(handler)


def error_json(status: int, message: str, headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
    return response(status, body, {"Content-Type": "application/json", **(headers or {})})


def router(srv: RawServer, emu, events: list[RouterEvent] | None = None, **kw) -> Router:
    a = ChatOpenAICompatible(base_url=srv.base_url, model="m", api_key="k", timeout=10)
    b = ChatOpenAICompatible(**emu.client_kwargs, model="m", timeout=10)
    return Router(deployments=[Deployment(model=a, name="a"), Deployment(model=b, name="b")],
                  strategy="ordered", on_event=events.append if events is not None else None,
                  **kw)


FAULTS = {
    "307": response(307, b"", {"Location": "https://elsewhere.example/v1/chat/completions"},
                    reason="Temporary Redirect"),
    "308": response(308, b"", {"Location": "https://elsewhere.example/v1/chat/completions"},
                    reason="Permanent Redirect"),
    "html 200": response(200, b"<html><body>Sign in to continue</body></html>",
                         {"Content-Type": "text/html"}),
    "400 not found": error_json(400, "model 'm' not found, try pulling it first"),
    "400 does not exist": error_json(400, "The model `m` does not exist."),
    "400 invalid model": error_json(400, "Invalid model name passed in model=m"),
}


# -- item 7 -------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_router_fails_over_and_cools_a_misbehaving_deployment(emu, fault: str) -> None:
    events: list[RouterEvent] = []
    with broken(FAULTS[fault]) as srv:
        llm = router(srv, emu, events)
        answers = [llm.invoke(f"q{i}").content for i in range(3)]
    assert answers == ["Echo: q0", "Echo: q1", "Echo: q2"]
    assert srv.requests == 1  # cooled after its first fault
    assert [e.deployment for e in events if e.kind == "cooldown"] == ["a"]
    assert llm.usage()["a"]["failures"] == 1 and llm.usage()["b"]["calls"] == 3


def test_a_bad_request_still_ends_the_call(emu) -> None:
    with broken(error_json(400, "messages: field required")) as srv:
        with pytest.raises(Exception, match="field required"):
            router(srv, emu).invoke("q")


# -- item 8 -------------------------------------------------------------------------------
def test_a_huge_retry_after_cools_at_most_max_cooldown(emu) -> None:
    events: list[RouterEvent] = []
    with broken(error_json(429, "slow down", {"Retry-After": "1e12"}), ok_json()) as srv:
        llm = router(srv, emu, events)
        assert llm.invoke("q").content == "Echo: q"
        cool = next(e for e in events if e.kind == "cooldown")
        assert cool.until - cool.at == pytest.approx(300.0)  # the default max_cooldown
        events.clear()
        short = router(srv, emu, events, max_cooldown=0.2)
        assert short.invoke("q").content == "hi"  # a's second answer: not cooled any more
        short.invoke("q")


@pytest.mark.parametrize("hint", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"], ids=["zero", "past-date"])
def test_retry_after_zero_or_past_still_cools_the_throttled_deployment(emu, hint: str) -> None:
    with broken(error_json(429, "slow down", {"Retry-After": hint})) as srv:
        llm = router(srv, emu, cooldown=30)
        answers = [llm.invoke(f"q{i}").content for i in range(3)]
    assert answers == ["Echo: q0", "Echo: q1", "Echo: q2"]
    assert srv.requests == 1


def test_when_every_deployment_cools_the_error_is_typed(emu) -> None:
    with broken(error_json(429, "slow down", {"Retry-After": "30"})) as srv:
        only = ChatOpenAICompatible(base_url=srv.base_url, model="m", api_key="k")
        llm = Router(deployments=[Deployment(model=only, name="a")], max_wait=0.2)
        with pytest.raises(RateLimitError):
            llm.invoke("first")
        with pytest.raises(APITimeoutError, match="every deployment is cooling down") as caught:
            llm.invoke("second")
        assert "a for 30" in str(caught.value) or "a for 29" in str(caught.value)
    assert srv.requests == 1


# -- low: a stream broken off after its first chunk is booked -------------------------------
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_a_stream_cut_after_its_first_chunk_is_booked_as_a_failure(
        emu, asynchronous: bool) -> None:
    events: list[RouterEvent] = []
    with emulate("openai-compatible", rate_limit=None) as flaky:
        flaky.inject(reset_connection(after_chunks=2))
        a = ChatOpenAICompatible(**flaky.client_kwargs, model="m")
        b = ChatOpenAICompatible(**emu.client_kwargs, model="m")
        llm = Router(deployments=[Deployment(model=a, name="a"), Deployment(model=b, name="b")],
                     strategy="ordered", on_event=events.append)
        got = []
        with pytest.raises(StreamInterruptedError):
            if asynchronous:
                async for chunk in llm.astream("one two three four five six"):
                    got.append(chunk)
            else:
                for chunk in llm.stream("one two three four five six"):
                    got.append(chunk)
        assert got  # the failure came after the first chunk: no failover
        assert llm.usage()["a"]["failures"] == 1
        assert [e.deployment for e in events if e.kind == "cooldown"] == ["a"]
        assert llm.invoke("again").content == "Echo: again"  # b, while a rests
        assert llm.usage()["b"]["calls"] == 1


def test_a_stream_the_caller_stops_reading_is_booked_as_a_call(emu) -> None:
    llm = Router(deployments=[Deployment(model=ChatOpenAICompatible(**emu.client_kwargs,
                                                                    model="m"), name="a")])
    stream = llm.stream("one two three four five six seven")
    next(stream)
    stream.close()
    del stream
    gc.collect()
    assert llm.usage()["a"]["calls"] == 1 and llm.usage()["a"]["failures"] == 0
    assert llm._core.states[0].in_flight == 0


def test_a_router_pickles_with_fresh_live_state(emu) -> None:
    llm = Router(deployments=[ChatOpenAICompatible(**emu.client_kwargs, model="m")])
    llm.invoke("warm")
    copy = pickle.loads(pickle.dumps(llm))
    assert copy.invoke("after").content == "Echo: after"
    assert [u["calls"] for u in copy.usage().values()] == [1]
