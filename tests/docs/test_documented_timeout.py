"""What the docs say ``timeout`` bounds (README "Timeouts", docs/quickstart.md "Timeouts and
retries", the field's docstring), checked against the emulator: one HTTP request with its
retries and the waits between them, not a whole call that re-asks."""

from __future__ import annotations

import time

import pytest

from langchain_compat import ChatCotomi, ChatOpenAICompatible
from langchain_compat.errors import APITimeoutError

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")

from langchain_compat.testing import emulate, latency, server_error


def test_timeout_covers_a_request_and_its_retries() -> None:
    with emulate("openai-compatible") as emu:
        emu.inject(latency(5.0), times=10)  # every attempt would hang past the deadline
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", timeout=1.0, max_retries=2)
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            llm.invoke("hi")
        assert time.monotonic() - start < 2.5  # not 3 attempts x 1 s (or x 60 s)

        emu.reset()
        emu.inject(server_error(503, retry_after=0), times=1)  # a retry inside the same deadline
        assert llm.invoke("hi").content == "Echo: hi"
        assert [r.status for r in emu.requests] == [503, 200]


def test_each_reask_gets_its_own_timeout() -> None:
    with emulate("cotomi") as emu:
        emu.inject(latency(0.6), times=10)  # each reply takes 0.6 s; none is a call
        llm = ChatCotomi(base_url=emu.base_url, api_key=emu.api_key, timeout=1.0, max_tool_reasks=2)
        start = time.monotonic()
        msg = llm.bind_tools([{"type": "function", "function": {
            "name": "noop", "parameters": {"type": "object", "properties": {}}}}],
            tool_choice="required").invoke("call it")
        took = time.monotonic() - start
    assert len(emu.requests) == 3 and msg.tool_calls == []   # the first request and 2 re-asks
    assert took > 1.5  # longer than `timeout`: the deadline is per request, as documented
