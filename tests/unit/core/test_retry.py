"""Retry policy (transport/retry.py, sans-IO): what retries, how long to wait."""

from __future__ import annotations

import pytest

from langchain_compat import errors as E
from langchain_compat.core.error_mapping import error_from_response
from langchain_compat.transport.retry import RETRY_STATUSES, RetryPolicy


def http(status: int, **headers: str) -> E.APIError:
    return error_from_response(status, b'{"error": {"message": "x"}}', headers)


RETRIED = [408, 409, 429, 500, 501, 502, 503, 504, 529]
NOT_RETRIED = [400, 401, 403, 404, 405, 413, 422]


@pytest.mark.parametrize("status", RETRIED)
def test_retried_statuses(status: int) -> None:
    assert RetryPolicy().delay(0, http(status)) is not None


@pytest.mark.parametrize("status", NOT_RETRIED)
def test_not_retried_statuses(status: int) -> None:
    assert RetryPolicy().delay(0, http(status)) is None


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (E.APIConnectionError("refused"), True),
        (E.APITimeoutError("read timeout"), True),
        (E.ResponseParseError("not json", status_code=200), False),
        (E.StreamInterruptedError("broke", partial="Hel", chunks_received=2), False),
        (E.ToolCallError("bad"), False),
        (E.InvalidParameterError("temperature", "x"), False),
        (E.MissingAPIKeyError("P", "P_API_KEY"), False),
        (E.ServerError("stream error event", status_code=None), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_retried_error_classes(error: E.CompatError, retried: bool) -> None:
    assert (RetryPolicy().delay(0, error) is not None) is retried


def test_retry_statuses_table() -> None:
    assert {408, 409, 429, 500, 502, 503, 504} <= RETRY_STATUSES
    assert not {400, 401, 403, 404, 422} & RETRY_STATUSES


@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_max_retries(max_retries: int) -> None:
    policy = RetryPolicy(max_retries=max_retries)
    err = http(503)
    waits = [policy.delay(a, err) for a in range(max_retries + 2)]
    assert all(w is not None for w in waits[:max_retries])
    assert waits[max_retries:] == [None, None]


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_bounds(attempt: int) -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=8.0)
    cap = min(8.0, 0.5 * 2**attempt)
    for _ in range(200):
        wait = policy.delay(attempt, E.APIConnectionError("x"))
        assert cap / 2 <= wait <= cap


def test_backoff_is_jittered() -> None:
    policy = RetryPolicy(max_retries=5)
    assert len({policy.delay(2, http(500)) for _ in range(50)}) > 1


def test_backoff_never_exceeds_max_delay() -> None:
    policy = RetryPolicy(max_retries=100, base_delay=1.0, max_delay=3.0)
    assert max(policy.delay(a, http(502)) for a in range(60)) <= 3.0


@pytest.mark.parametrize(("header", "expected"),
                         [("0", 0.0), ("3", 3.0), ("59.5", 59.5), ("60", 60.0)])
def test_retry_after_is_honoured(header: str, expected: float) -> None:
    err = http(429, **{"retry-after": header})
    assert RetryPolicy().delay(0, err) == expected


def test_retry_after_ms_is_honoured() -> None:
    assert RetryPolicy().delay(0, http(429, **{"retry-after-ms": "120"})) == pytest.approx(0.12)


def test_retry_after_wins_over_backoff_even_when_longer() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=0.2)
    assert policy.delay(0, http(429, **{"retry-after": "30"})) == 30.0


@pytest.mark.parametrize("header", ["61", "3600", "inf"])
def test_retry_after_above_the_cap_gives_up(header: str) -> None:
    assert RetryPolicy(max_retry_after=60).delay(0, http(429, **{"retry-after": header})) is None


def test_retry_after_cap_is_configurable() -> None:
    err = http(429, **{"retry-after": "5"})
    assert RetryPolicy(max_retry_after=4).delay(0, err) is None
    assert RetryPolicy(max_retry_after=5).delay(0, err) == 5.0


def test_retry_after_does_not_extend_max_retries() -> None:
    err = http(429, **{"retry-after": "1"})
    assert RetryPolicy(max_retries=1).delay(1, err) is None


def test_429_without_retry_after_uses_backoff() -> None:
    wait = RetryPolicy(base_delay=0.5).delay(0, http(429))
    assert 0.25 <= wait <= 0.5
