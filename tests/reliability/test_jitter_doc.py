"""The retry backoff is what its docstring says: equal jitter (half fixed, half random)."""

from __future__ import annotations

from langchain_compat.errors import ServerError
from langchain_compat.transport import retry as retry_mod
from langchain_compat.transport.retry import RetryPolicy


def test_jitter_is_equal_jitter_as_documented(monkeypatch) -> None:
    assert "equal jitter" in (retry_mod.__doc__ or "")
    assert "full jitter" not in (retry_mod.__doc__ or "")
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=8.0)
    err = ServerError("x", status_code=500)
    for attempt in range(6):
        cap = min(8.0, 0.5 * 2**attempt)
        waits = [policy.delay(attempt, err) for _ in range(200)]
        assert all(cap / 2 <= w <= cap for w in waits)
