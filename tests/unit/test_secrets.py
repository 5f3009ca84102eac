"""A canary API key must never leak: repr/str, errors, serialization, logs, ls params."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from langchain_core.load import dumpd, dumps
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_compat import ChatAvangenio, ChatCotomi, ChatEktos, ChatOpenAICompatible, ChatTelkom
from langchain_compat import errors as E
from langchain_compat.chat_models.base import BaseChatCompat

CANARY = "sk-CANARY-3f9b2c7d1e8a4b6c"

CLASSES: list[tuple[type[BaseChatCompat], dict[str, Any]]] = [
    (ChatEktos, {}),
    (ChatAvangenio, {}),
    (ChatCotomi, {"base_url": "https://cotomi.example.jp/v1"}),
    (ChatTelkom, {"rate_limiter": InMemoryRateLimiter(requests_per_second=1000,
                                                      max_bucket_size=1000)}),
    (ChatOpenAICompatible, {"base_url": "http://127.0.0.1:8089/v1"}),
]
IDS = [c.__name__ for c, _ in CLASSES]


@pytest.fixture(params=CLASSES, ids=IDS)
def spec(request: pytest.FixtureRequest) -> tuple[type[BaseChatCompat], dict[str, Any]]:
    return request.param


def model(spec: tuple[type[BaseChatCompat], dict[str, Any]], handler: Any = None,
          **kw: Any) -> BaseChatCompat:
    cls, extra = spec
    args = {"api_key": CANARY, "temperature": 0.1, "max_tokens": 9, **extra, **kw}
    if handler is not None:
        transport = httpx.MockTransport(handler)
        args["http_client"] = httpx.Client(transport=transport)
        args["http_async_client"] = httpx.AsyncClient(transport=transport)
    return cls(**args)


def echo(status: int) -> Any:
    """A server that echoes the key (in text, JSON fields and headers) with ``status``."""
    def handler(request: httpx.Request) -> httpx.Response:
        sent = request.headers.get("authorization") or request.headers.get("x-api-key") or ""
        body = {"error": {"message": f"Incorrect API key provided: {sent}",
                          "type": "invalid_request_error", "key": CANARY,
                          "received_headers": dict(request.headers)}}
        return httpx.Response(status, json=body,
                              headers={"x-request-id": "req-1", "x-echo": CANARY})
    return handler


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "x", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "fine"},
         "finish_reason": "stop"}]})


def assert_clean(*texts: Any) -> None:
    for text in texts:
        assert CANARY not in str(text)
        assert CANARY[3:] not in str(text)  # not even without its prefix


# -- repr / str / ls params / serialization ----------------------------------------------------

def test_repr_and_str(spec: Any) -> None:
    m = model(spec)
    assert m.api_key is not None and m.api_key.get_secret_value() == CANARY  # it is really there
    assert_clean(repr(m), str(m), f"{m!r}", m.model_dump_json(), m.model_dump(mode="json"))


def test_driver_and_endpoint_repr(spec: Any) -> None:
    m = model(spec)
    # The endpoint carries the header (it must), but its repr is only shown on debugging.
    assert any(CANARY in v for v in m.driver.ep.headers.values())
    assert_clean(repr(m), m._identifying_params, m._llm_type)


def test_ls_params(spec: Any) -> None:
    m = model(spec)
    params = m._get_ls_params(stop=["x"])
    assert params["ls_provider"] == m.provider.ls_provider
    assert_clean(params, json.dumps(params))


def test_dumpd_and_dumps(spec: Any) -> None:
    m = model(spec)
    d = dumpd(m)
    assert d["kwargs"]["api_key"]["type"] == "secret"
    assert_clean(json.dumps(d), dumps(m), dumps(m, pretty=True))


def test_invocation_params_and_callbacks_metadata(spec: Any) -> None:
    m = model(spec)
    assert_clean(m._get_invocation_params(), m.model_dump(), m._identifying_params)


# -- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "cls"), [(401, E.AuthenticationError), (500, E.ServerError),
                                             (400, E.BadRequestError), (429, E.RateLimitError)])
def test_error_answers_echoing_the_key(spec: Any, status: int, cls: type[E.APIError]) -> None:
    m = model(spec, echo(status), max_retries=0)
    with pytest.raises(cls) as info:
        m.invoke("hi")
    err = info.value
    assert "Incorrect API key provided" in err.message  # the provider's message is kept...
    assert_clean(str(err), repr(err), err.message, err.args, json.dumps(err.body), err.request_id)


@pytest.mark.parametrize("status", [401, 500])
async def test_error_answers_echoing_the_key_async(spec: Any, status: int) -> None:
    with pytest.raises(E.APIError) as info:
        await model(spec, echo(status), max_retries=0).ainvoke("hi")
    assert_clean(str(info.value), json.dumps(info.value.body))


@pytest.mark.parametrize("status", [401, 500])
def test_stream_error_answers_echoing_the_key(spec: Any, status: int) -> None:
    with pytest.raises(E.APIError) as info:
        list(model(spec, echo(status), max_retries=0).stream("hi"))
    assert_clean(str(info.value), json.dumps(info.value.body))


def test_stream_error_event_echoing_the_key(spec: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        data = json.dumps({"error": {"message": f"key {CANARY} revoked", "code": 401}})
        return httpx.Response(200,
                              stream=httpx.ByteStream(f"event: error\ndata: {data}\n\n".encode()))

    with pytest.raises(E.APIError) as info:
        list(model(spec, handler, max_retries=0).stream("hi"))
    assert "revoked" in str(info.value)
    assert_clean(str(info.value), info.value.message, json.dumps(info.value.body))


def test_stream_interrupted_echoing_the_key(spec: Any) -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[override]
            yield b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            raise httpx.ReadError(f"reset while sending {CANARY}")

    with pytest.raises(E.StreamInterruptedError) as info:
        list(model(spec, lambda r: httpx.Response(200, stream=Broken())).stream("hi"))
    assert info.value.partial == "Hi"
    assert_clean(str(info.value), info.value.message)


def test_connection_error_mentioning_the_key(spec: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused Authorization: Bearer {CANARY}")

    with pytest.raises(E.APIConnectionError) as info:
        model(spec, handler, max_retries=0).invoke("hi")
    assert "proxy refused" in str(info.value)
    assert_clean(str(info.value), info.value.message)


def test_non_json_2xx_echoing_the_key(spec: Any) -> None:
    with pytest.raises(E.ResponseParseError) as info:
        model(spec, lambda r: httpx.Response(200, text=f"<html>{CANARY}</html>")).invoke("hi")
    assert_clean(str(info.value))


# -- logging ---------------------------------------------------------------------------------------

def _all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for rec in caplog.records:
        parts.append(rec.getMessage())
        parts.append(repr(rec.args))
        parts.append(repr(rec.__dict__))
    return "\n".join(parts)


def test_debug_logs_never_contain_the_key(spec: Any, caplog: pytest.LogCaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import langchain_compat.transport.driver as drv

    monkeypatch.setattr(drv.time, "sleep", lambda s: None)
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return echo(503)(request)  # a retried failure: the driver logs the retry
        return ok(request)

    with caplog.at_level(logging.DEBUG):
        logging.getLogger().setLevel(logging.DEBUG)
        m = model(spec, flaky, max_retries=2)
        assert m.invoke("hi").content == "fine"
        with pytest.raises(E.AuthenticationError):
            model(spec, echo(401), max_retries=0).invoke("hi")
    text = _all_log_text(caplog)
    assert caplog.records, "expected DEBUG/INFO records from the call (httpx, retries)"
    assert "retrying" in text
    assert CANARY not in text


async def test_debug_logs_never_contain_the_key_async(spec: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        m = model(spec, ok)
        assert (await m.ainvoke("hi")).content == "fine"
        with pytest.raises(E.ServerError):
            await model(spec, echo(500), max_retries=0).ainvoke("hi")
    assert caplog.records
    assert CANARY not in _all_log_text(caplog)
