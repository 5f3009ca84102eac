"""What goes over the wire, for every provider, through httpx.MockTransport.

Each test builds a chat model with ``http_client``/``http_async_client``
wrapping a :class:`Mock` transport that records requests and answers from a
queue, so URL, headers, body, retries and errors are asserted on the real
HTTP requests the drivers send.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_compat import ChatAvangenio, ChatCotomi, ChatEktos, ChatOpenAICompatible, ChatTelkom
from langchain_compat import errors as E
from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.transport import driver as driver_mod

KEY = "sk-wire-canary-5b1e9d"

# -- the provider table --------------------------------------------------------------


@dataclass(frozen=True)
class P:
    id: str
    cls: type[BaseChatCompat]
    env: str  # env var prefix
    base_url: str | None  # what the test passes (None: rely on the provider default)
    url: str  # expected chat-completions URL
    auth: tuple[str, str] | None  # expected (header, value) with KEY
    model: str | None  # default model sent
    stream_options: bool  # profile allows stream_options.include_usage

    def __str__(self) -> str:
        return self.id


PROVIDERS = [
    P("ektos", ChatEktos, "EKTOS", None, "https://api.ektos.ai/v1/chat/completions",
      ("authorization", f"Bearer {KEY}"), "phi-3.5-mini-4k-instruct", False),
    P("avangenio", ChatAvangenio, "AVANGENIO", None,
      "https://apigateway.avangenio.net/v1/chat/completions",
      ("authorization", f"Bearer {KEY}"), "radiance", False),
    P("cotomi", ChatCotomi, "COTOMI", "https://cotomi.example.jp/v1",
      "https://cotomi.example.jp/v1/chat/completions",
      ("authorization", f"Bearer {KEY}"), "cotomi-fast-v2.0", False),
    P("telkom", ChatTelkom, "TELKOM", None,
      "https://telkom-ai-dag.api.apilogy.id/Telkom-LLM/0.0.4/chat/completions",
      ("x-api-key", KEY), "telkom-ai-instruct", False),
    P("generic", ChatOpenAICompatible, "OPENAI_COMPATIBLE", "http://127.0.0.1:8089/v1",
      "http://127.0.0.1:8089/v1/chat/completions", ("authorization", f"Bearer {KEY}"), None, True),
]
ENV_VARS = [f"{p.env}_{s}" for p in PROVIDERS for s in ("API_KEY", "BASE_URL")]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(params=PROVIDERS, ids=str)
def prov(request: pytest.FixtureRequest) -> P:
    return request.param


# -- the mock server ----------------------------------------------------------------------

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Mock:
    """Answers requests from a queue (the last answer repeats) and records them."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers) or [completion()]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)

    @property
    def headers(self) -> httpx.Headers:
        return self.requests[-1].headers


def completion(content: str = "Hello!", *, n: int = 1, **top: Any) -> httpx.Response:
    body = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "served-model",
        "choices": [{"index": i,
                     "message": {"role": "assistant",
                                 "content": content if n == 1 else f"{content} {i}"},
                     "finish_reason": "stop"} for i in range(n)],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }
    body.update(top)
    return httpx.Response(200, json=body)


def sse_bytes(*texts: str, finish: bool = True, done: bool = True) -> bytes:
    events = [{"id": "c1", "model": "m",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    events += [{"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": t}}]}
               for t in texts]
    if finish:
        events.append({"id": "c1", "model": "m",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return out + (b"data: [DONE]\n\n" if done else b"")


def streamed(*texts: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          stream=httpx.ByteStream(sse_bytes(*texts)))


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields ``parts`` then fails like a reset connection."""

    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for p in self.parts:
            yield p
        raise httpx.ReadError("connection reset by peer")


def broken(*parts: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          stream=BrokenStream(*parts))


def error(status: int, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message}}, headers=headers)


FAST = InMemoryRateLimiter(requests_per_second=10_000, check_every_n_seconds=0.001,
                           max_bucket_size=10_000)


def make(p: P, mock: Mock, **kw: Any) -> BaseChatCompat:
    args: dict[str, Any] = {"api_key": KEY}
    if p.base_url:
        args["base_url"] = p.base_url
    if p.cls is ChatTelkom:
        args["rate_limiter"] = FAST  # the default 7 rpm limiter would make the suite slow
    args.update(kw)
    transport = httpx.MockTransport(mock)
    return p.cls(http_client=httpx.Client(transport=transport),
                 http_async_client=httpx.AsyncClient(transport=transport), **args)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the driver's sleeps instead of sleeping (sync and async)."""
    waits: list[float] = []

    async def asleep(s: float) -> None:
        waits.append(s)

    monkeypatch.setattr(driver_mod, "time", _Proxy(time, sleep=waits.append))
    monkeypatch.setattr(driver_mod, "asyncio", _Proxy(asyncio, sleep=asleep))
    return waits


class _Proxy:
    """A module stand-in: the given attributes overridden, everything else forwarded."""

    def __init__(self, real: Any, **overrides: Any) -> None:
        self._real = real
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


# -- URL and headers -------------------------------------------------------------------------------

def test_url(prov: P) -> None:
    mock = Mock()
    assert make(prov, mock).invoke("hi").content == "Hello!"
    assert mock.calls == 1
    assert mock.requests[0].method == "POST"
    assert str(mock.requests[0].url) == prov.url


async def test_url_async(prov: P) -> None:
    mock = Mock()
    assert (await make(prov, mock).ainvoke("hi")).content == "Hello!"
    assert str(mock.requests[0].url) == prov.url


def test_base_url_trailing_slash_and_env(prov: P, monkeypatch: pytest.MonkeyPatch) -> None:
    mock = Mock()
    monkeypatch.setenv(f"{prov.env}_BASE_URL", "https://env.example.com/base/")
    make(prov, mock, base_url=None).invoke("hi")
    assert str(mock.requests[0].url) == "https://env.example.com/base/chat/completions"
    make(prov, mock, base_url="https://arg.example.com/x/").invoke("hi")  # the argument wins
    assert str(mock.requests[1].url) == "https://arg.example.com/x/chat/completions"


def test_auth_header(prov: P) -> None:
    mock = Mock()
    make(prov, mock).invoke("hi")
    header, value = prov.auth
    assert mock.headers[header] == value
    assert mock.headers["content-type"] == "application/json"
    if header != "authorization":
        assert "authorization" not in mock.headers  # Telkom: x-api-key only, no Bearer


def test_telkom_has_no_authorization_header() -> None:
    mock = Mock()
    make(PROVIDERS[3], mock).invoke("hi")
    assert "authorization" not in mock.headers
    assert mock.headers["x-api-key"] == KEY


def test_key_from_env(prov: P, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{prov.env}_API_KEY", KEY)
    mock = Mock()
    make(prov, mock, api_key=None).invoke("hi")
    assert mock.headers[prov.auth[0]] == prov.auth[1]


def test_generic_without_key_sends_no_auth_header() -> None:
    mock = Mock()
    make(PROVIDERS[4], mock, api_key=None).invoke("hi")
    assert "authorization" not in mock.headers
    assert not any(h.lower() in ("x-api-key", "api-key") for h in mock.headers)


@pytest.mark.parametrize(
    ("kw", "expected", "absent"),
    [
        ({"auth_header": "api-key"}, ("api-key", KEY), "authorization"),
        ({"auth_prefix": "Token "}, (None, f"Token {KEY}"), "api-key"),  # the provider's own header
        ({"auth_header": "X-Custom", "auth_prefix": "Key "}, ("x-custom", f"Key {KEY}"),
         "authorization"),
        ({"auth_header": "Authorization"}, ("authorization", f"Bearer {KEY}"), "x-api-key"),
    ],
    ids=["api-key", "token-prefix", "custom-both", "explicit-bearer"],
)
def test_auth_overrides(prov: P, kw: dict[str, str], expected: tuple[str, str],
                        absent: str) -> None:
    mock = Mock()
    make(prov, mock, **kw).invoke("hi")
    header = expected[0] or prov.auth[0]
    assert mock.headers[header] == expected[1]
    assert absent not in mock.headers
    assert sum(1 for h in mock.headers
               if h in ("authorization", "x-api-key", "api-key", "x-custom")) == 1


def test_empty_auth_header_sends_no_auth_and_needs_no_key(prov: P) -> None:
    mock = Mock()
    make(prov, mock, api_key=None, auth_header="").invoke("hi")
    assert "authorization" not in mock.headers and "x-api-key" not in mock.headers


def test_default_headers_are_sent(prov: P) -> None:
    mock = Mock()
    make(prov, mock, default_headers={"X-Tenant": "t1"}).invoke("hi")
    assert mock.headers["x-tenant"] == "t1"
    assert mock.headers[prov.auth[0]] == prov.auth[1]


# -- body ------------------------------------------------------------------------------------------

def test_minimal_body(prov: P) -> None:
    mock = Mock()
    make(prov, mock).invoke("hi")
    expected: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}
    if prov.model:
        expected["model"] = prov.model
    assert mock.body == expected


def test_sampling_fields_are_sent(prov: P) -> None:
    mock = Mock()
    llm = make(prov, mock, model="m1", temperature=0.3, top_p=0.9, max_tokens=64,
               presence_penalty=0.5, frequency_penalty=-0.5, seed=7, user="u-1", stop=["END"])
    llm.invoke([HumanMessage("hi")])
    body = mock.body
    assert body["model"] == "m1"
    assert {k: body[k] for k in ("temperature", "top_p", "max_tokens", "presence_penalty",
                                  "frequency_penalty", "seed", "user", "stop")} == {
        "temperature": 0.3, "top_p": 0.9, "max_tokens": 64, "presence_penalty": 0.5,
        "frequency_penalty": -0.5, "seed": 7, "user": "u-1", "stop": ["END"]}
    assert "stream" not in body and "n" not in body and "logit_bias" not in body


def test_call_kwargs_override_constructor(prov: P) -> None:
    mock = Mock()
    llm = make(prov, mock, temperature=0.3, stop=["a"])
    llm.invoke("hi", temperature=1.5, stop=["b", "c"], model="other")
    assert mock.body["temperature"] == 1.5
    assert mock.body["stop"] == ["b", "c"]
    assert mock.body["model"] == "other"


def test_model_kwargs_and_extra_body(prov: P) -> None:
    mock = Mock()
    llm = make(prov, mock, model_kwargs={"top_k": 40},
               extra_body={"chat_template_kwargs": {"x": 1}}, repetition_penalty=1.1)
    llm.invoke("hi")
    assert mock.body["top_k"] == 40
    assert mock.body["repetition_penalty"] == 1.1  # unknown constructor kwargs go to model_kwargs
    assert mock.body["chat_template_kwargs"] == {"x": 1}


def test_messages_on_the_wire(prov: P) -> None:
    mock = Mock()
    make(prov, mock).invoke([("system", "be brief"), ("human", "hi"), ("ai", "hello"),
                             ("human", "again")])
    assert mock.body["messages"] == [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"}, {"role": "user", "content": "again"}]


@pytest.mark.parametrize("prov", [p for p in PROVIDERS if p.id != "cotomi"], ids=str)
def test_logit_bias_sent_where_allowed(prov: P) -> None:
    mock = Mock()
    make(prov, mock, logit_bias={"50256": -100}).invoke("hi")
    assert mock.body["logit_bias"] == {"50256": -100}


def test_cotomi_never_receives_logit_bias_constructor() -> None:
    mock = Mock()
    with pytest.raises(E.UnsupportedParameterError) as info:
        make(PROVIDERS[2], mock, logit_bias={"1": 1.0})
    assert info.value.param == "logit_bias"
    assert "drop_unsupported_params=True" in str(info.value)
    assert mock.calls == 0


def test_cotomi_never_receives_logit_bias_call_kwarg() -> None:
    mock = Mock()
    llm = make(PROVIDERS[2], mock)
    with pytest.raises(E.UnsupportedParameterError):
        llm.invoke("hi", logit_bias={"1": 1.0})
    with pytest.raises(E.UnsupportedParameterError):
        list(llm.stream("hi", logit_bias={"1": 1.0}))
    assert mock.calls == 0


async def test_cotomi_never_receives_logit_bias_async() -> None:
    mock = Mock()
    llm = make(PROVIDERS[2], mock)
    with pytest.raises(E.UnsupportedParameterError):
        await llm.ainvoke("hi", logit_bias={"1": 1.0})
    assert mock.calls == 0


def test_cotomi_drops_logit_bias_with_a_warning() -> None:
    mock = Mock()
    with pytest.warns(UserWarning, match="logit_bias"):
        llm = make(PROVIDERS[2], mock, logit_bias={"1": 1.0}, drop_unsupported_params=True,
                   temperature=0.2)
    with pytest.warns(UserWarning, match="logit_bias"):
        assert llm.invoke("hi").content == "Hello!"
    assert mock.calls == 1
    assert "logit_bias" not in mock.body
    assert mock.body["temperature"] == 0.2


@pytest.mark.parametrize(
    "kw",
    [{"temperature": 2.5}, {"temperature": -0.1}, {"top_p": 1.2}, {"presence_penalty": 2.5},
     {"presence_penalty": -3}, {"frequency_penalty": 2.01}, {"frequency_penalty": -9},
     {"max_tokens": 0}, {"n": 0}, {"temperature": float("nan")}],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()),
)
def test_out_of_range_rejected_before_any_request(prov: P, kw: dict[str, Any]) -> None:
    mock = Mock()
    with pytest.raises(E.InvalidParameterError) as info:
        make(prov, mock, **kw)
    assert info.value.param == next(iter(kw))
    llm = make(prov, mock)
    with pytest.raises(E.InvalidParameterError):
        llm.invoke("hi", **kw)
    with pytest.raises(E.InvalidParameterError):
        list(llm.stream("hi", **kw))
    assert mock.calls == 0


async def test_out_of_range_rejected_before_any_request_async(prov: P) -> None:
    mock = Mock()
    llm = make(prov, mock)
    with pytest.raises(E.InvalidParameterError):
        await llm.ainvoke("hi", temperature=3)
    with pytest.raises(E.InvalidParameterError):
        [c async for c in llm.astream("hi", frequency_penalty=5)]
    assert mock.calls == 0


def test_too_many_stop_sequences_rejected_before_any_request() -> None:
    cotomi = PROVIDERS[2]
    mock = Mock()
    with pytest.raises(E.InvalidParameterError, match="at most 4"):
        make(cotomi, mock, stop=list("abcde"))
    llm = make(cotomi, mock)
    with pytest.raises(E.InvalidParameterError, match="at most 4"):
        llm.invoke("hi", stop=list("abcde"))
    assert mock.calls == 0
    llm.invoke("hi", stop=list("abcd"))
    assert mock.body["stop"] == list("abcd")


@pytest.mark.parametrize("prov", [p for p in PROVIDERS if p.id != "cotomi"], ids=str)
def test_five_stop_sequences_fine_elsewhere(prov: P) -> None:
    mock = Mock()
    make(prov, mock).invoke("hi", stop=list("abcde"))
    assert mock.body["stop"] == list("abcde")


# -- streaming body --------------------------------------------------------------------------------

def test_stream_body_and_stream_options(prov: P) -> None:
    mock = Mock(streamed("Hel", "lo"))
    chunks = list(make(prov, mock).stream("hi"))
    assert "".join(c.content for c in chunks) == "Hello"
    body = mock.body
    assert body["stream"] is True
    assert ("stream_options" in body) is prov.stream_options
    if prov.stream_options:
        assert body["stream_options"] == {"include_usage": True}


def test_stream_options_off_when_stream_usage_false(prov: P) -> None:
    mock = Mock(streamed("x"))
    list(make(prov, mock, stream_usage=False).stream("hi"))
    assert "stream_options" not in mock.body


async def test_astream(prov: P) -> None:
    mock = Mock(streamed("Hel", "lo", "!"))
    chunks = [c async for c in make(prov, mock).astream("hi")]
    assert "".join(c.content for c in chunks) == "Hello!"
    assert str(mock.requests[0].url) == prov.url
    assert ("stream_options" in mock.body) is prov.stream_options


def test_streaming_true_invoke_uses_the_stream(prov: P) -> None:
    mock = Mock(streamed("Hi ", "there"))
    msg = make(prov, mock, streaming=True).invoke("hi")
    assert msg.content == "Hi there"
    assert mock.body["stream"] is True


# -- n > 1 -----------------------------------------------------------------------------------------

def test_n_returns_every_choice(prov: P) -> None:
    mock = Mock(completion("answer", n=3))
    llm = make(prov, mock, n=3)
    result = llm.generate([[HumanMessage("hi")]])
    gens = result.generations[0]
    assert [g.message.content for g in gens] == ["answer 0", "answer 1", "answer 2"]
    assert mock.body["n"] == 3
    assert mock.calls == 1


async def test_n_returns_every_choice_async(prov: P) -> None:
    mock = Mock(completion("a", n=2))
    result = await make(prov, mock).agenerate([[HumanMessage("hi")]], n=2)
    assert [g.message.content for g in result.generations[0]] == ["a 0", "a 1"]
    assert mock.body["n"] == 2


# -- errors ----------------------------------------------------------------------------------------

STATUSES = [(400, E.BadRequestError), (401, E.AuthenticationError), (403, E.PermissionDeniedError),
            (404, E.NotFoundError), (409, E.ConflictError), (422, E.BadRequestError),
            (429, E.RateLimitError), (500, E.ServerError), (502, E.ServerError),
            (503, E.ServerError), (504, E.ServerError)]


@pytest.mark.parametrize(("status", "cls"), STATUSES)
def test_every_status_raises_its_class(prov: P, status: int, cls: type[E.APIError]) -> None:
    mock = Mock(error(status, "provider says no", **{"x-request-id": "req-9"}))
    with pytest.raises(cls) as info:
        make(prov, mock, max_retries=0).invoke("hi")
    err = info.value
    assert type(err) is cls
    assert err.status_code == status
    assert err.message == "provider says no"
    assert err.request_id == "req-9"
    assert err.provider == prov.cls.provider.display_name
    assert mock.calls == 1


@pytest.mark.parametrize(("status", "cls"), STATUSES)
async def test_every_status_raises_its_class_async(prov: P, status: int,
                                                   cls: type[E.APIError]) -> None:
    mock = Mock(error(status))
    with pytest.raises(cls):
        await make(prov, mock, max_retries=0).ainvoke("hi")
    assert mock.calls == 1


@pytest.mark.parametrize(("status", "cls"), [(401, E.AuthenticationError), (429, E.RateLimitError),
                                             (503, E.ServerError)])
def test_stream_status_errors(prov: P, status: int, cls: type[E.APIError]) -> None:
    mock = Mock(error(status, "denied"))
    with pytest.raises(cls) as info:
        list(make(prov, mock, max_retries=0).stream("hi"))
    assert info.value.message == "denied"


def test_non_json_2xx_is_a_parse_error(prov: P) -> None:
    mock = Mock(httpx.Response(200, text="<html>proxy login</html>"))
    with pytest.raises(E.ResponseParseError, match="not JSON"):
        make(prov, mock).invoke("hi")
    assert mock.calls == 1  # not retried


def test_connection_error_class(prov: P, sleeps: list[float]) -> None:
    mock = Mock(httpx.ConnectError("connection refused"))
    with pytest.raises(E.APIConnectionError) as info:
        make(prov, mock, max_retries=0).invoke("hi")
    assert not isinstance(info.value, E.APITimeoutError)
    assert "connection refused" in str(info.value)


def test_timeout_error_class(prov: P) -> None:
    mock = Mock(httpx.ReadTimeout("read timed out"))
    with pytest.raises(E.APITimeoutError):
        make(prov, mock, max_retries=0).invoke("hi")


# -- retries ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retried_statuses_then_success(prov: P, status: int, sleeps: list[float]) -> None:
    mock = Mock(error(status), error(status), completion("finally"))
    assert make(prov, mock, max_retries=2).invoke("hi").content == "finally"
    assert mock.calls == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(prov: P, status: int, sleeps: list[float]) -> None:
    mock = Mock(error(status), completion())
    with pytest.raises(E.APIError):
        make(prov, mock, max_retries=3).invoke("hi")
    assert mock.calls == 1
    assert sleeps == []


def test_retries_exhausted(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(503, "busy"))
    with pytest.raises(E.ServerError, match="busy"):
        make(prov, mock, max_retries=2).invoke("hi")
    assert mock.calls == 3
    assert len(sleeps) == 2
    assert all(0 < s <= 8.0 for s in sleeps)


def test_max_retries_zero(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(500))
    with pytest.raises(E.ServerError):
        make(prov, mock, max_retries=0).invoke("hi")
    assert mock.calls == 1


def test_connection_errors_are_retried(prov: P, sleeps: list[float]) -> None:
    mock = Mock(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), completion("ok"))
    assert make(prov, mock, max_retries=2).invoke("hi").content == "ok"
    assert mock.calls == 3


async def test_retries_async(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(429, **{"retry-after": "0.01"}), httpx.ConnectError("refused"),
                completion("ok"))
    assert (await make(prov, mock, max_retries=2).ainvoke("hi")).content == "ok"
    assert mock.calls == 3
    assert sleeps[0] == pytest.approx(0.01)


def test_retry_after_is_honoured(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(429, **{"retry-after": "3"}), error(429, **{"retry-after-ms": "20"}),
                completion("ok"))
    assert make(prov, mock, max_retries=2).invoke("hi").content == "ok"
    assert sleeps == [3.0, pytest.approx(0.02)]


def test_retry_after_too_long_is_not_waited(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(429, "slow down", **{"retry-after": "3600"}), completion())
    with pytest.raises(E.RateLimitError) as info:
        make(prov, mock, max_retries=2).invoke("hi")
    assert info.value.retry_after == 3600
    assert mock.calls == 1 and sleeps == []


def test_real_sleep_with_tiny_retry_after(prov: P) -> None:
    mock = Mock(error(429, **{"retry-after": "0.01"}), error(429, **{"retry-after": "0"}),
                completion("ok"))
    t0 = time.monotonic()
    assert make(prov, mock, max_retries=2).invoke("hi").content == "ok"
    assert mock.calls == 3
    assert time.monotonic() - t0 < 2


def test_stream_retried_before_first_byte(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(503), httpx.ConnectError("refused"), streamed("ok"))
    assert "".join(c.content for c in make(prov, mock, max_retries=2).stream("hi")) == "ok"
    assert mock.calls == 3


def test_stream_not_retried_after_first_chunk(prov: P, sleeps: list[float]) -> None:
    head = sse_bytes("Hel", "lo", finish=False, done=False)
    mock = Mock(broken(head), streamed("should never be used"))
    seen: list[str] = []
    with pytest.raises(E.StreamInterruptedError) as info:
        for chunk in make(prov, mock, max_retries=3).stream("hi"):
            seen.append(chunk.content)
    assert mock.calls == 1 and sleeps == []
    assert info.value.partial == "Hello"
    assert "".join(seen) == "Hello"
    assert info.value.chunks_received >= 2
    assert "connection reset" in str(info.value)


async def test_astream_not_retried_after_first_chunk(prov: P, sleeps: list[float]) -> None:
    mock = Mock(broken(sse_bytes("Par", "tial", finish=False, done=False)), streamed("never"))
    with pytest.raises(E.StreamInterruptedError) as info:
        [c async for c in make(prov, mock, max_retries=3).astream("hi")]
    assert info.value.partial == "Partial"
    assert mock.calls == 1


def test_stream_broken_inside_the_first_event_is_not_retried(prov: P, sleeps: list[float]) -> None:
    # Bytes arrived but no whole event: retrying into the same decoder would
    # glue two responses together (a spurious "not JSON" parse error).
    mock = Mock(broken(b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel'),
                streamed("ok"))
    with pytest.raises(E.StreamInterruptedError) as info:
        list(make(prov, mock, max_retries=3).stream("hi"))
    assert mock.calls == 1
    assert info.value.partial == ""


def test_stream_ending_without_finish_is_interrupted(prov: P) -> None:
    mock = Mock(httpx.Response(
        200, stream=httpx.ByteStream(sse_bytes("half", finish=False, done=False))))
    with pytest.raises(E.StreamInterruptedError) as info:
        list(make(prov, mock).stream("hi"))
    assert info.value.partial == "half"
    assert mock.calls == 1


# -- configuration errors --------------------------------------------------------------------------

@pytest.mark.parametrize("prov", [p for p in PROVIDERS if p.id != "generic"], ids=str)
def test_missing_key_names_the_env_var(prov: P) -> None:
    kw = {"base_url": prov.base_url} if prov.base_url else {}
    with pytest.raises(E.MissingAPIKeyError) as info:
        prov.cls(**kw)
    assert info.value.env_var == f"{prov.env}_API_KEY"
    assert f"{prov.env}_API_KEY" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_generic_needs_no_key() -> None:
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:1/v1")
    assert llm.api_key is None


def test_missing_cotomi_base_url_names_the_env_var() -> None:
    with pytest.raises(E.MissingBaseURLError) as info:
        ChatCotomi(api_key=KEY)
    assert info.value.env_var == "COTOMI_BASE_URL"
    assert "COTOMI_BASE_URL" in str(info.value)


def test_missing_generic_base_url_names_the_env_var() -> None:
    with pytest.raises(E.MissingBaseURLError, match="OPENAI_COMPATIBLE_BASE_URL"):
        ChatOpenAICompatible()


def test_cotomi_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTOMI_BASE_URL", "https://tenant.cotomi.example/v1")
    monkeypatch.setenv("COTOMI_API_KEY", KEY)
    mock = Mock()
    transport = httpx.MockTransport(mock)
    ChatCotomi(http_client=httpx.Client(transport=transport)).invoke("hi")
    assert str(mock.requests[0].url) == "https://tenant.cotomi.example/v1/chat/completions"


# -- no openai, no tiktoken ------------------------------------------------------------------------

def test_import_pulls_in_neither_openai_nor_tiktoken() -> None:
    code = textwrap.dedent("""
        import sys
        import langchain_compat
        from langchain_compat import ChatCotomi
        m = ChatCotomi(api_key="k" * 12, base_url="https://c.example/v1")
        m.driver  # build the HTTP layer too
        bad = sorted(n for n in sys.modules
                     if n.split(".")[0] in ("openai", "tiktoken", "langchain_openai"))
        print(",".join(bad) or "CLEAN")
        assert "langchain_compat.chat_models" in sys.modules
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "CLEAN"


def test_model_copy_with_a_new_key_sends_the_new_key(prov: P) -> None:
    from pydantic import SecretStr

    mock = Mock()
    llm = make(prov, mock)
    llm.invoke("hi")
    other = llm.model_copy(update={"api_key": SecretStr("sk-other-key-42"),
                                   "base_url": "https://copy.example/v9"})
    other.invoke("hi")
    assert str(mock.requests[1].url) == "https://copy.example/v9/chat/completions"
    assert "sk-other-key-42" in mock.headers[prov.auth[0]]
    llm.invoke("hi")  # the original is untouched
    assert mock.headers[prov.auth[0]] == prov.auth[1]
    assert str(mock.requests[2].url) == prov.url


def test_assigned_max_retries_takes_effect(prov: P, sleeps: list[float]) -> None:
    mock = Mock(error(503))
    llm = make(prov, mock, max_retries=2)
    llm.max_retries = 0
    with pytest.raises(E.ServerError):
        llm.invoke("hi")
    assert mock.calls == 1


def test_telkom_installs_a_7_rpm_limiter_by_default() -> None:
    llm = ChatTelkom(api_key=KEY)
    assert isinstance(llm.rate_limiter, InMemoryRateLimiter)
    assert llm.rate_limiter.requests_per_second == pytest.approx(7 / 60)
    assert ChatEktos(api_key=KEY).rate_limiter is None
    assert ChatTelkom(api_key=KEY, rate_limiter=FAST).rate_limiter is FAST


# -- tools on every backend (native where accepted, emulated otherwise) ----------------------------

def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _refuses_tools(request: httpx.Request) -> httpx.Response:
    if "tools" in json.loads(request.content):
        return error(400, "tools are not supported by this model")
    text = '<tool_call>{"name": "_add", "arguments": {"a": 1, "b": 2}}</tool_call>'
    if json.loads(request.content).get("stream"):
        return streamed(text[:9], text[9:30], text[30:])
    return completion(text)


def _fresh_base(prov: P) -> str:
    # auto mode remembers a refusal per (base URL, model) for the process
    import uuid

    return f"https://{prov.id}-{uuid.uuid4().hex[:8]}.example/v1"


def test_tools_work_on_every_backend(prov: P) -> None:
    mock = Mock(_refuses_tools)
    llm = make(prov, mock, base_url=_fresh_base(prov)).bind_tools([_add])
    msg = llm.invoke("add 1 and 2")
    assert [(c["name"], c["args"]) for c in msg.tool_calls] == [("_add", {"a": 1, "b": 2})]
    sent_tools = ["tools" in json.loads(r.content) for r in mock.requests]
    if prov.cls.provider.profile.native_tools is False:  # cotomi: never sent
        assert sent_tools == [False]
    else:  # probed natively once, refused, then emulated
        assert sent_tools == [True, False]
    mock.requests.clear()
    again = llm.invoke("and again")  # the refusal is remembered
    assert again.tool_calls
    assert [("tools" in json.loads(r.content)) for r in mock.requests] == [False]


def test_native_tool_calls_are_used_when_accepted() -> None:
    prov = PROVIDERS[4]

    def native(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["tools"][0]["function"]["name"] == "_add"
        return httpx.Response(200, json={"id": "x", "model": "m", "choices": [{
            "index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "_add", "arguments": '{"a": 2, "b": 3}'}}]}}]})

    mock = Mock(native)
    llm = make(prov, mock, base_url=_fresh_base(prov)).bind_tools([_add], tool_choice="_add")
    msg = llm.invoke("x")
    assert msg.tool_calls == [{"name": "_add", "args": {"a": 2, "b": 3}, "id": "call_1",
                               "type": "tool_call"}]
    assert mock.body["tool_choice"] == {"type": "function", "function": {"name": "_add"}}
    assert mock.calls == 1


def test_cotomi_never_receives_tools_even_when_forced() -> None:
    mock = Mock(_refuses_tools)
    llm = make(PROVIDERS[2], mock).bind_tools([_add], tool_choice="any")
    assert llm.invoke("x").tool_calls[0]["args"] == {"a": 1, "b": 2}
    chunks = list(llm.stream("x"))
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("_add", {"a": 1, "b": 2})]
    assert mock.calls >= 2
    for r in mock.requests:
        body = json.loads(r.content)
        assert not {"tools", "tool_choice", "parallel_tool_calls", "functions"} & set(body)


def test_tools_work_on_every_backend_streaming(prov: P) -> None:
    mock = Mock(_refuses_tools)
    llm = make(prov, mock, base_url=_fresh_base(prov)).bind_tools([_add])
    chunks = list(llm.stream("add 1 and 2"))
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("_add", {"a": 1, "b": 2})]
    assert "<tool_call>" not in merged.content
    expected = [False] if prov.cls.provider.profile.native_tools is False else [True, False]
    assert ["tools" in json.loads(r.content) for r in mock.requests] == expected


# -- connection settings ---------------------------------------------------------------------------

def test_timeouts_reach_the_request(prov: P) -> None:
    mock = Mock()
    llm = make(prov, mock, timeout=5, connect_timeout=2)
    llm.invoke("hi")
    t = mock.requests[0].extensions["timeout"]
    assert t["read"] == 5 and t["connect"] == 2
    llm.invoke("hi", timeout=1.5)  # a per-call timeout caps read and connect
    t = mock.requests[1].extensions["timeout"]
    assert t["read"] == 1.5 and t["connect"] == 1.5


def test_default_timeouts(prov: P) -> None:
    mock = Mock()
    make(prov, mock).invoke("hi")
    t = mock.requests[0].extensions["timeout"]
    assert t["read"] == 60 and t["connect"] == 10


@pytest.mark.parametrize("kw", [{"timeout": 0}, {"timeout": -1}, {"max_retries": -1},
                                {"base_url": "ftp://host/v1"}, {"base_url": "not a url"}])
def test_bad_settings_raise_before_any_request(prov: P, kw: dict[str, Any]) -> None:
    mock = Mock()
    with pytest.raises(E.InvalidParameterError):
        make(prov, mock, **kw)
    assert mock.calls == 0


def test_plain_http_to_a_remote_host_warns(prov: P) -> None:
    from langchain_compat.connection import InsecureBaseURLWarning

    mock = Mock()
    with pytest.warns(InsecureBaseURLWarning, match="unencrypted"):
        make(prov, mock, base_url="http://llm.example.com/v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureBaseURLWarning)
        make(prov, mock, base_url="http://localhost:8000/v1")
        make(prov, mock, base_url="http://[::1]:8000/v1")
