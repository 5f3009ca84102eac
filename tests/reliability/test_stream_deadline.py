"""Streams check the total-timeout deadline before sleeping for a retry.

``post_json``/``apost_json`` refused a wait that would end past the deadline;
``stream``/``astream`` slept anyway (timeout=0.5 with a 503 asking for 3 s
took 6 s and two extra requests).
"""

from __future__ import annotations

import time

import pytest

from langchain_compat.errors import APITimeoutError, ServerError
from langchain_compat.testing import server_error
from langchain_compat.transport.retry import RetryPolicy

from .conftest import make_chat


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stream_retry_respects_total_deadline(emu, mode) -> None:
    """timeout=0.5 with a 503 asking for 3 s: give up at once, not after 3 s."""
    emu.inject(server_error(503, "busy", retry_after=3), times=3)
    llm = make_chat(emu, max_retries=2, timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises((ServerError, APITimeoutError)):
        if mode == "sync":
            list(llm.stream("deadline"))
        else:
            async for _ in llm.astream("deadline"):
                pass
    assert time.monotonic() - t0 < 1.0
    assert len(emu.requests) == 1


def test_stream_retry_deadline_with_backoff(emu, monkeypatch) -> None:
    """Plain backoff (no hint) bigger than what is left of the deadline: no sleep."""
    monkeypatch.setattr(RetryPolicy, "delay",
                        lambda self, attempt, err: 2.0 if attempt < 2 else None)
    emu.inject(server_error(502), times=3)
    llm = make_chat(emu, timeout=0.4)
    t0 = time.monotonic()
    with pytest.raises(ServerError):
        list(llm.stream("x"))
    assert time.monotonic() - t0 < 1.0
