"""Fault injection: each kind, per request and by schedule."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from langchain_compat.testing import (
    hang,
    latency,
    malformed_sse,
    no_done,
    rate_limited,
    reset_connection,
    server_error,
    stream_error,
    truncated_json,
)

from .conftest import CLIENT, assemble, chat_body, post_chat, stream_events


def raw_stream(emu, text="one two three four five", timeout=10.0, **extra):
    """(raw lines received, exception or None) of a streamed request."""
    body = chat_body(text, model=emu.provider.default_model, stream=True, **extra)
    lines: list[str] = []
    try:
        with httpx.stream(
            "POST", emu.chat_url, headers=emu.headers, json=body, timeout=timeout
        ) as r:
            assert r.status_code == 200
            lines.extend(r.iter_lines())
    except httpx.HTTPError as exc:
        return lines, exc
    return lines, None


def data_lines(lines):
    return [ln[6:] for ln in lines if ln.startswith("data: ")]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_burst_then_recovery(cotomi, status):
    cotomi.inject(server_error(status), times=3)
    codes = [post_chat(cotomi).status_code for _ in range(4)]
    assert codes == [status] * 3 + [200]
    assert [r.status for r in cotomi.requests] == codes


def test_server_error_body_and_retry_after(cotomi):
    cotomi.inject(server_error(503, "overloaded, try later", retry_after=3))
    r = post_chat(cotomi)
    assert r.status_code == 503 and r.headers["Retry-After"] == "3"
    assert r.json()["error"]["message"] == "overloaded, try later"


def test_faults_come_before_auth_like_a_gateway(cotomi):
    cotomi.inject(server_error(502))
    assert post_chat(cotomi, headers={}).status_code == 502


def test_rate_limited(cotomi):
    cotomi.inject(rate_limited(retry_after=2))
    r = post_chat(cotomi)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json()["error"]["type"] == "rate_limit_exceeded"
    assert post_chat(cotomi).status_code == 200


def test_faults_in_order(cotomi):
    cotomi.inject(server_error(500), rate_limited(1), times=1)
    assert [post_chat(cotomi).status_code for _ in range(3)] == [500, 429, 200]


def test_latency(cotomi):
    cotomi.inject(latency(0.3))
    t = time.monotonic()
    assert post_chat(cotomi).status_code == 200
    assert time.monotonic() - t >= 0.3


def test_latency_between_chunks(cotomi):
    cotomi.inject(latency(0, per_chunk=0.05))
    t = time.monotonic()
    lines, exc = raw_stream(cotomi, "a b c d")
    assert exc is None and data_lines(lines)[-1] == "[DONE]"
    assert time.monotonic() - t >= 0.05 * 5


def test_hang_until_client_gives_up(cotomi):
    cotomi.inject(hang())
    with pytest.raises(httpx.ReadTimeout):
        CLIENT.post(
            cotomi.chat_url,
            headers=cotomi.headers,
            json=chat_body(model="cotomi-fast-v2.0"),
            timeout=0.3,
        )
    assert post_chat(cotomi).status_code == 200  # the next one is answered


def test_hang_mid_stream(cotomi):
    cotomi.inject(hang(after_chunks=2))
    lines, exc = raw_stream(cotomi, timeout=0.5)
    assert isinstance(exc, httpx.ReadTimeout)
    assert len(data_lines(lines)) == 2


def test_reset_mid_stream_really_aborts(cotomi):
    cotomi.inject(reset_connection(after_chunks=3))
    lines, exc = raw_stream(cotomi)
    assert isinstance(exc, httpx.RemoteProtocolError)
    got = data_lines(lines)
    assert len(got) == 3 and "[DONE]" not in got
    assert post_chat(cotomi).status_code == 200


def test_reset_before_the_body_completes(cotomi):
    cotomi.inject(reset_connection())
    with pytest.raises(httpx.RemoteProtocolError):
        post_chat(cotomi)


def test_truncated_json_body(cotomi):
    cotomi.inject(truncated_json())
    r = post_chat(cotomi)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_truncated_json_in_a_stream(cotomi):
    cotomi.inject(truncated_json())
    data = data_lines(raw_stream(cotomi)[0])
    bad = [d for d in data if d != "[DONE]" and not _is_json(d)]
    assert len(bad) == 1 and data[-1] == "[DONE]"


def test_stream_without_done(cotomi):
    cotomi.inject(no_done())
    lines, exc = raw_stream(cotomi, "a b")
    data = data_lines(lines)
    assert exc is None and "[DONE]" not in data
    assert assemble([json.loads(d) for d in data]) == ("Echo: a b", [], "stop")


def test_malformed_sse(cotomi):
    cotomi.inject(malformed_sse())
    lines, exc = raw_stream(cotomi)
    assert exc is None
    assert any(ln and not ln.startswith(("data:", "event:", ":")) for ln in lines)
    assert any(not _is_json(d) for d in data_lines(lines) if d != "[DONE]")


def test_stream_error_event(cotomi):
    cotomi.inject(stream_error("engine crashed", after_chunks=2))
    lines, exc = raw_stream(cotomi)
    assert exc is None
    assert "event: error" in lines
    data = data_lines(lines)
    assert len(data) == 3 and "[DONE]" not in data
    assert json.loads(data[-1])["error"]["message"] == "engine crashed"


def test_stream_only_faults_wait_for_a_stream(cotomi):
    cotomi.inject(no_done())
    assert post_chat(cotomi).status_code == 200  # not consumed by a non-stream request
    assert "[DONE]" not in data_lines(raw_stream(cotomi)[0])
    assert stream_events(cotomi)[-1] == "[DONE]"


def test_schedule_by_request_number(cotomi):
    cotomi.schedule({2: server_error(500), 4: rate_limited(1)})
    assert [post_chat(cotomi).status_code for _ in range(5)] == [200, 500, 200, 429, 200]


def test_schedule_callable(cotomi):
    cotomi.schedule(lambda n: server_error(503) if n % 2 else None)
    assert [post_chat(cotomi).status_code for _ in range(4)] == [503, 200, 503, 200]
    cotomi.schedule(None)
    assert post_chat(cotomi).status_code == 200


def test_fault_for_one_endpoint(cotomi):
    cotomi.inject(server_error(500).only("embeddings"))
    assert post_chat(cotomi).status_code == 200
    r = CLIENT.post(
        cotomi.embeddings_url,
        headers=cotomi.headers,
        json={"model": "multilingual-e5-large", "input": "x"},
    )
    assert r.status_code == 500


def test_reset_clears_faults_script_and_log(cotomi):
    cotomi.inject(server_error(500), times=5)
    cotomi.script(["scripted"])
    post_chat(cotomi)
    cotomi.reset()
    assert cotomi.requests == []
    r = post_chat(cotomi, "x")
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "Echo: x"
    assert cotomi.requests[0].number == 1


def test_inject_validates_times(cotomi):
    with pytest.raises(ValueError):
        cotomi.inject(server_error(), times=0)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
