"""Proxy mode: a real upstream answers, the provider's rules are still enforced."""

from __future__ import annotations

import json

import httpx
import pytest

from langchain_compat.testing import emulate, reset_connection, server_error

from .conftest import CLIENT, assemble, chat_body, post_chat, stream_chunks

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]


@pytest.fixture
def upstream(emulator):
    return emulator("openai-compatible", api_key="upstream-key-999", strict_models=False)


@pytest.fixture
def front(emulator, upstream):
    return emulator(
        "cotomi",
        proxy=upstream.base_url,
        proxy_api_key="upstream-key-999",
        proxy_model={"cotomi-fast-v2.0": "qwen-upstream"},
    )


def test_answers_come_from_upstream_with_the_upstream_model(front, upstream):
    r = post_chat(front, "hello upstream")
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "Echo: hello upstream"
    assert upstream.last_request.body["model"] == "qwen-upstream"
    assert upstream.last_request.headers["authorization"] == "Bearer ***"


def test_quirks_enforced_before_forwarding(front, upstream):
    assert post_chat(front, tools=TOOLS).status_code == 400
    assert post_chat(front, headers={}).status_code == 401
    assert post_chat(front, stop=list("abcde")).status_code == 400
    assert upstream.requests == []


def test_string_messages_are_forwarded_as_a_list(front, upstream):
    messages = json.dumps([{"role": "user", "content": "as string"}])
    r = CLIENT.post(
        front.chat_url,
        headers=front.headers,
        json={"model": "cotomi-fast-v2.0", "messages": messages},
    )
    assert r.status_code == 200
    assert upstream.last_request.body["messages"] == [{"role": "user", "content": "as string"}]


def test_stream_passes_through(front):
    chunks = stream_chunks(front, "streamed words", stream_options={"include_usage": True})
    assert assemble(chunks) == ("Echo: streamed words", [], "stop")
    assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_upstream_errors_pass_through(front, upstream):
    upstream.inject(server_error(503, "upstream overloaded"))
    r = post_chat(front)
    assert r.status_code == 503 and r.json()["error"]["message"] == "upstream overloaded"


def test_faults_apply_to_proxied_streams(front):
    front.inject(reset_connection(after_chunks=2))
    body = chat_body("a b c d", model="cotomi-fast-v2.0", stream=True)
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", front.chat_url, headers=front.headers, json=body) as r,
    ):
        for _ in r.iter_lines():
            pass


def test_upstream_stream_breaking_cuts_the_client_stream(front, upstream):
    upstream.inject(reset_connection(after_chunks=2))
    body = chat_body("a b c d", model="cotomi-fast-v2.0", stream=True)
    lines = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", front.chat_url, headers=front.headers, json=body) as r,
    ):
        lines.extend(r.iter_lines())
    assert len([ln for ln in lines if ln.startswith("data: ")]) == 2


def test_upstream_reset_without_stream_is_502(front, upstream):
    upstream.inject(reset_connection())
    r = post_chat(front)
    assert r.status_code == 502 and r.json()["error"]["code"] == "bad_gateway"


def test_script_takes_precedence(front, upstream):
    front.script(["scripted"])
    assert post_chat(front).json()["choices"][0]["message"]["content"] == "scripted"
    assert upstream.requests == []


def test_embeddings_stay_synthetic_unless_forwarded(front, upstream, emulator):
    body = {"model": "multilingual-e5-large", "input": "x"}
    assert CLIENT.post(front.embeddings_url, headers=front.headers, json=body).status_code == 200
    assert upstream.requests == []
    fwd = emulator(
        "cotomi",
        proxy_embeddings=upstream.base_url,
        proxy_api_key="upstream-key-999",
        proxy_model={"multilingual-e5-large": "e5-upstream"},
    )
    assert CLIENT.post(fwd.embeddings_url, headers=fwd.headers, json=body).status_code == 200
    assert upstream.last_request.body["model"] == "e5-upstream"
    too_many = {"model": "multilingual-e5-large", "input": ["x"] * 2049}
    assert CLIENT.post(fwd.embeddings_url, headers=fwd.headers, json=too_many).status_code == 400


def test_unreachable_upstream_is_502(emulator):
    dead = emulate("openai-compatible").start()
    url = dead.base_url
    dead.stop()
    emu = emulator("cotomi", proxy=url)
    r = post_chat(emu)
    assert r.status_code == 502 and r.json()["error"]["code"] == "bad_gateway"


# ------------------------------------------------------------- real servers


@pytest.mark.local_llm
def test_cotomi_with_a_real_model(local_llm, emulator):
    emu = emulator("cotomi", proxy=local_llm.base_url, proxy_model=local_llm.model)
    body = chat_body(
        "Reply with the single word: pong", model="cotomi-fast-v2.0", max_tokens=8, temperature=0
    )
    # the shared llama-server has one slot and may be busy with other tests: be patient
    with httpx.Client(timeout=300) as client:
        r = client.post(emu.chat_url, headers=emu.headers, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"].strip()
        with client.stream(
            "POST", emu.chat_url, headers=emu.headers, json={**body, "stream": True}
        ) as s:
            data = [ln[6:] for ln in s.iter_lines() if ln.startswith("data: ")]
        assert data[-1] == "[DONE]"
        assert assemble([json.loads(d) for d in data[:-1]])[0].strip()
    assert post_chat(emu, tools=TOOLS).status_code == 400  # still cotomi: no native tools


@pytest.mark.local_llm
def test_proxied_requests_after_a_stream_do_not_turn_into_502(local_llm, emulator):
    """llama-server silently closes many keep-alive connections right after a stream.

    The proxy resends once on such a stale connection instead of answering 502.
    """
    emu = emulator("cotomi", proxy=local_llm.base_url, proxy_model=local_llm.model)
    body = chat_body("Say hi", model="cotomi-fast-v2.0", max_tokens=4, temperature=0)
    with httpx.Client(timeout=300) as client:
        for _ in range(10):
            with client.stream(
                "POST", emu.chat_url, headers=emu.headers, json={**body, "stream": True}
            ) as s:
                assert s.status_code == 200
                s.read()
            r = client.post(emu.chat_url, headers=emu.headers, json=body)
            assert r.status_code == 200, r.text


@pytest.mark.local_llm
def test_cotomi_embeddings_with_real_e5(e5_server, emulator):
    emu = emulator(
        "cotomi",
        proxy_embeddings=e5_server.base_url,
        proxy_model={"multilingual-e5-large": e5_server.model},
    )
    body = {"model": "multilingual-e5-large", "input": ["query: hello", "passage: world"]}
    r = CLIENT.post(emu.embeddings_url, headers=emu.headers, json=body)
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]) == 2
    assert (
        CLIENT.post(
            emu.embeddings_url,
            headers=emu.headers,
            json={"model": "multilingual-e5-large", "input": ""},
        ).status_code
        == 400
    )


@pytest.mark.parametrize("stream", [False, True])
def test_stop_is_quick_while_waiting_on_a_hung_upstream(upstream, stream):
    import threading
    import time

    from langchain_compat.testing import hang

    upstream.inject(hang() if not stream else hang(after_chunks=1))
    front = emulate("cotomi", proxy=upstream.base_url, proxy_api_key="upstream-key-999").start()
    outcome: dict = {}

    def call():
        body = chat_body(model="cotomi-fast-v2.0", stream=stream)
        try:
            with httpx.stream(
                "POST", front.chat_url, headers=front.headers, json=body, timeout=30
            ) as r:
                outcome["status"] = r.status_code
                r.read()
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 5
    while len(upstream.requests) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.1)
    start = time.monotonic()
    front.stop()
    assert time.monotonic() - start < 2.0
    t.join(5)
    assert not t.is_alive()
    assert outcome.get("status") == 503 or "error" in outcome
