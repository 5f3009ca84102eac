"""Retry-After is honoured on every retried status (429 and 503), proven on the emulator.

Before the fix only ``RateLimitError`` carried ``retry_after``; a 503 with
``Retry-After: 0.6`` was retried after the plain backoff instead.
"""

from __future__ import annotations

import time

import pytest

from langchain_compat.core.error_mapping import error_from_response
from langchain_compat.errors import RateLimitError, ServerError
from langchain_compat.testing import rate_limited, server_error
from langchain_compat.transport.retry import RetryPolicy

from .conftest import make_chat


def test_503_error_carries_retry_after() -> None:
    err = error_from_response(503, b'{"error":{"message":"busy"}}', {"retry-after": "1.5"})
    assert isinstance(err, ServerError) and err.retry_after == 1.5
    ms = error_from_response(503, b"", {"retry-after-ms": "250"})
    assert ms.retry_after == 0.25
    assert error_from_response(500, b"", {}).retry_after is None


def test_policy_honours_retry_after_on_503_and_bounds_it() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=5)
    assert policy.delay(0, error_from_response(503, b"", {"retry-after": "2"})) == 2.0
    assert policy.delay(0, error_from_response(503, b"", {"retry-after": "60"})) is None
    # not retried statuses stay not retried even with a hint
    assert policy.delay(0, error_from_response(400, b"", {"retry-after": "1"})) is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_waited_end_to_end(emu, status) -> None:
    """The client waits the stated 0.6 s (bounded: < 0.6 + 1.0 s slack)."""
    emu.inject(rate_limited(0.6) if status == 429 else server_error(503, retry_after=0.6))
    llm = make_chat(emu, max_retries=1)
    t0 = time.monotonic()
    msg = llm.invoke("wait for me")
    elapsed = time.monotonic() - t0
    assert msg.content == "Echo: wait for me"
    assert [r.status for r in emu.requests] == [status, 200]
    gap = emu.requests[1].time - emu.requests[0].time
    assert 0.6 <= elapsed < 1.6 and gap >= 0.55


async def test_retry_after_503_async(emu) -> None:
    emu.inject(server_error(503, "busy", retry_after=0.5))
    llm = make_chat(emu, max_retries=1)
    t0 = time.monotonic()
    msg = await llm.ainvoke("async wait")
    assert msg.content == "Echo: async wait"
    assert 0.5 <= time.monotonic() - t0 < 1.5


def test_retry_after_exhausted_raises_typed_error(emu) -> None:
    emu.inject(rate_limited(0.05, "slow down"), times=3)
    with pytest.raises(RateLimitError) as info:
        make_chat(emu, max_retries=2).invoke("x")
    assert info.value.message == "slow down" and info.value.retry_after == 0.05
    assert len(emu.requests) == 3
