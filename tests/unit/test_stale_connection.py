"""A pooled keep-alive connection closed by the server before it read the request
("Server disconnected without sending a response") is resent once at once, even with
max_retries=0; any other connection error follows the retry policy."""

from __future__ import annotations

import httpx
import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import APIConnectionError
from langchain_compat.transport.retry import RetryPolicy

OK = {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": "hi"}}]}


def _model(errors: list[Exception], calls: list[int]) -> ChatOpenAICompatible:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return httpx.Response(200, json=OK)

    return ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0,
                                http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_stale_pooled_connection_is_resent_once_even_without_retries() -> None:
    calls: list[int] = []
    stale = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    assert _model([stale], calls).invoke("x").content == "hi"
    assert len(calls) == 2


def test_a_second_stale_failure_is_not_retried_without_retries() -> None:
    calls: list[int] = []
    errs = [httpx.RemoteProtocolError("Server disconnected without sending a response.")] * 2
    with pytest.raises(APIConnectionError):
        _model(list(errs), calls).invoke("x")
    assert len(calls) == 2


def test_other_connection_errors_follow_max_retries() -> None:
    calls: list[int] = []
    with pytest.raises(APIConnectionError):
        _model([httpx.ConnectError("refused")], calls).invoke("x")
    assert len(calls) == 1


def test_policy_free_retry_only_on_first_attempt() -> None:
    err = APIConnectionError("x")
    err.stale_connection = True  # type: ignore[attr-defined]
    policy = RetryPolicy(max_retries=0)
    assert policy.delay(0, err) == 0.0
    assert policy.delay(1, err) is None
