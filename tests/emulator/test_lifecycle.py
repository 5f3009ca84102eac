"""Lifecycle (sync/async context managers, clean shutdown), masking, concurrency."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest

from langchain_compat.testing import emulate, hang, latency

from .conftest import CLIENT, chat_body, post_chat


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_with_starts_and_stops():
    with emulate("cotomi") as emu:
        assert post_chat(emu).status_code == 200
        url = emu.chat_url
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json={}, timeout=2)


async def test_async_with():
    async with emulate("telkom") as emu:
        async with httpx.AsyncClient() as client:
            r = await client.post(
                emu.chat_url, headers=emu.headers, json=chat_body(model="telkom-ai-instruct")
            )
        assert r.status_code == 200


def test_fixed_port(emulator):
    probe = emulate("ektos").start()
    port = probe.port
    probe.stop()
    emu = emulator("ektos", port=port)
    assert emu.port == port and emu.base_url == f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize(
    "fault", [hang(), hang(after_chunks=1)], ids=["before-headers", "mid-stream"]
)
def test_clean_quick_shutdown_with_a_hung_request(fault):
    emu = emulate("cotomi").start()
    emu.inject(fault)
    outcome: dict = {}

    def call():
        body = chat_body(model="cotomi-fast-v2.0", stream=fault.after_chunks is not None)
        try:
            with httpx.stream(
                "POST", emu.chat_url, headers=emu.headers, json=body, timeout=30
            ) as r:
                outcome["status"] = r.status_code
                r.read()
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=call)
    t.start()
    _wait_for(lambda: len(emu.requests) == 1)
    time.sleep(0.1)
    assert t.is_alive()  # really hung
    start = time.monotonic()
    emu.stop()
    assert time.monotonic() - start < 2.0
    t.join(5)
    assert not t.is_alive()
    # before headers: a 503 "shutting down"; mid-stream: the connection is cut
    assert outcome.get("status") == 503 or isinstance(outcome.get("error"), httpx.HTTPError)


def test_restart_keeps_port_key_and_log():
    emu = emulate("cotomi").start()
    emu.inject(hang())
    with pytest.raises(httpx.ReadTimeout):
        CLIENT.post(
            emu.chat_url, headers=emu.headers, json=chat_body(model="cotomi-fast-v2.0"), timeout=0.3
        )
    url, key = emu.base_url, emu.api_key
    emu.stop()
    emu.start()
    try:
        assert (emu.base_url, emu.api_key) == (url, key)
        assert post_chat(emu).status_code == 200
        assert len(emu.requests) == 2
        emu.inject(hang())  # waits again after a restart (a fresh shutdown event)
        with pytest.raises(httpx.ReadTimeout):
            CLIENT.post(
                emu.chat_url,
                headers=emu.headers,
                json=chat_body(model="cotomi-fast-v2.0"),
                timeout=0.3,
            )
    finally:
        emu.stop()


def test_client_kwargs(emulator):
    emu = emulator("cotomi")
    assert emu.client_kwargs == {"base_url": emu.base_url, "api_key": emu.api_key}
    local = emulator("local")
    assert local.client_kwargs == {"base_url": local.base_url}


def test_stop_is_idempotent():
    emu = emulate("cotomi").start()
    assert post_chat(emu).status_code == 200
    url = emu.chat_url
    emu.stop()
    assert repr(emu).endswith("stopped>")
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json={}, timeout=2)
    start = time.monotonic()
    emu.stop()  # again: no error, no wait, still stopped
    assert time.monotonic() - start < 0.5
    assert repr(emu).endswith("stopped>")
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json={}, timeout=2)
    emu.start()  # and a stopped-twice emulator starts again on its port
    try:
        assert emu.chat_url == url and post_chat(emu).status_code == 200
    finally:
        emu.stop()


def test_key_never_in_the_request_log(emulator):
    emu = emulator("cotomi", api_key="sk-super-secret-123")
    CLIENT.post(
        emu.chat_url + "?api_key=sk-super-secret-123",
        headers={**emu.headers, "x-debug": "token=sk-super-secret-123"},
        json=chat_body(model="cotomi-fast-v2.0", user="sk-super-secret-123"),
    )
    CLIENT.post(emu.chat_url, headers={"Authorization": "Bearer wrong-guess"}, json=chat_body())
    telkom = emulator("telkom", api_key="tk-secret-4567", rate_limit=None)
    post_chat(telkom)
    logged = repr(emu.requests) + repr(telkom.requests)
    assert "sk-super-secret-123" not in logged and "tk-secret-4567" not in logged
    assert "wrong-guess" not in logged  # any credential header is masked, right or wrong
    first = emu.requests[0]
    assert first.headers["authorization"] == "Bearer ***"
    assert first.headers["x-debug"] == "token=***"
    assert first.query == "api_key=***" and first.body["user"] == "***"
    assert telkom.requests[0].headers["x-api-key"] == "***"


def test_request_log_contents(cotomi):
    post_chat(cotomi, "hi", temperature=0.5)
    (rec,) = cotomi.requests
    assert (rec.number, rec.method, rec.path, rec.status) == (
        1,
        "POST",
        "/v1/chat/completions",
        200,
    )
    assert rec.body["temperature"] == 0.5 and rec.json is rec.body
    assert rec.headers["content-type"] == "application/json"


@pytest.mark.load
async def test_200_concurrent_requests(emulator):
    emu = emulator("cotomi")
    emu.schedule(
        lambda number: latency(0.5)
    )  # every request waits: only concurrency keeps this fast
    n = 200
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)

    async def one(client: httpx.AsyncClient, i: int) -> str:
        body = chat_body(f"request {i}", model="cotomi-fast-v2.0", stream=bool(i % 2))
        if i % 2 == 0:
            r = await client.post(emu.chat_url, headers=emu.headers, json=body)
            assert r.status_code == 200
            return r.json()["choices"][0]["message"]["content"]
        text = ""
        async with client.stream("POST", emu.chat_url, headers=emu.headers, json=body) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if line.startswith("data: {"):
                    for choice in json.loads(line[6:])["choices"]:
                        text += choice["delta"].get("content") or ""
        return text

    start = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        results = await asyncio.wait_for(asyncio.gather(*(one(client, i) for i in range(n))), 30)
    assert results == [f"Echo: request {i}" for i in range(n)]
    assert len(emu.requests) == n and {r.status for r in emu.requests} == {200}
    assert time.monotonic() - start < 20  # served one by one it would take 100 s
