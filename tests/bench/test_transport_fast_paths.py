"""The two transport changes the benchmarks motivated, checked for behaviour (not speed).

* ``AsyncPool`` leases shards first-to-last and never more than ``per`` each
  while another shard has room;
* the direct send of our own clients puts the same request on the wire as
  ``Client.post`` would, and errors still map to our exceptions.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from langchain_compat.errors import CompatError
from langchain_compat.transport import driver as drv
from langchain_compat.transport.clients import AsyncPool
from langchain_compat.transport.driver import Endpoint, HTTPDriver

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = {"choices": [{"message": {"role": "assistant", "content": "hello"}}]}


def test_async_pool_fills_first_shard_first() -> None:
    pool = AsyncPool(True, httpx.Limits(max_connections=20, max_keepalive_connections=20), None)
    assert pool.per == 8 and len(pool.busy) == 3
    leased = [pool.acquire() for _ in range(9)]
    assert leased == [0] * 8 + [1]
    pool.release(0)
    assert pool.acquire() == 0  # a freed slot in the first shard is reused first
    for _ in range(15):
        pool.acquire()
    assert pool.busy == [8, 8, 8]
    assert pool.acquire() in (0, 1, 2)  # all full: the least busy one queues it


def _recorder(seen: list[httpx.Request], status: int = 200, body: Any = ANSWER):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body, headers={"set-cookie": "a=b; Path=/"})
    return handler


def _wire(request: httpx.Request) -> tuple[Any, ...]:
    return (request.method, str(request.url), tuple(sorted(request.headers.multi_items())),
            request.content)


def test_direct_send_matches_client_post(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(_recorder(seen)), follow_redirects=False)
    ep = Endpoint(base_url="http://stub.test/v1", headers={"authorization": "Bearer k"},
                  provider="t")
    monkeypatch.setattr(Endpoint, "sync", lambda self: client)  # shared-client path, mocked
    d = HTTPDriver(ep)
    assert drv._direct(client) is not None  # the direct path is the one under test
    assert d.post_json("/chat/completions", BODY) == ANSWER
    assert d.post_json("/chat/completions", BODY) == ANSWER  # cached headers/URL reused
    reference = client.post("http://stub.test/v1/chat/completions", content=d._encode(BODY),
                            headers=d._headers())
    assert reference.status_code == 200
    assert _wire(seen[0]) == _wire(seen[1]) == _wire(seen[2])
    assert "cookie" not in seen[1].headers  # the direct path stores no cookies


def test_direct_send_maps_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(
        _recorder(seen, 400, {"error": {"message": "bad thing", "type": "invalid_request_error"}})))
    ep = Endpoint(base_url="http://stub.test/v1", headers={}, provider="t")
    monkeypatch.setattr(Endpoint, "sync", lambda self: client)
    with pytest.raises(CompatError, match="bad thing"):
        HTTPDriver(ep).post_json("/chat/completions", BODY)


def test_async_direct_send_leases_and_releases(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    pool = AsyncPool(True, httpx.Limits(max_connections=16, max_keepalive_connections=16), None)
    pool._kwargs["transport"] = httpx.MockTransport(_recorder(seen))
    monkeypatch.setattr(Endpoint, "async_pool", lambda self: pool)
    ep = Endpoint(base_url="http://stub.test/v1", headers={"authorization": "Bearer k"},
                  provider="t")
    d = HTTPDriver(ep)

    async def main() -> list[Any]:
        return await asyncio.gather(*(d.apost_json("/chat/completions", BODY) for _ in range(20)))

    assert asyncio.run(main()) == [ANSWER] * 20
    assert pool.busy == [0, 0]
    assert len({_wire(r) for r in seen}) == 1
    assert seen[0].headers["authorization"] == "Bearer k"
    assert seen[0].headers["content-type"] == "application/json"
