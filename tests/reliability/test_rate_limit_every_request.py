"""Hardening #13 item 11: every HTTP request passes the rate limiter, and instances of
one provider and key share one bucket.

Before: the limiter gated only the first request of a call (LangChain's hook), so a
structured-output re-ask or a transport retry went out back to back; and each
instance built its own bucket (5 instances sent 5 requests at once). The emulator
enforces its own window here (``set_rate_limit``, answering 429), and the clients
run with ``max_retries=0`` so any request the limiter let through too early is an
error the test sees. Loopback only, a few seconds each.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel

from langchain_compat import ChatOpenAICompatible, ChatTelkom
from langchain_compat.testing import emulate
from langchain_compat.testing.faults import server_error
from langchain_compat.transport.rate_limit import limiter_for_rpm, shared_limiter

from .conftest import make_chat

pytestmark = [pytest.mark.timeout(60)]

RPM = 60.0  # one request per second (a bucket of one)
WINDOW = 0.5  # the emulator refuses a second request within 0.5 s (arrival jitter margin)


class City(BaseModel):
    name: str
    country: str



@pytest.mark.parametrize("mode", ["invoke", "stream", "ainvoke"])
def test_structured_reask_waits_for_the_limiter(mode: str) -> None:
    """A re-ask (the first reply is not the JSON asked for) is a second request of the
    same call: it waits its turn. Before the fix it went out at once and got a 429."""
    with emulate("openai-compatible", rate_limit=None) as emu:
        emu.set_rate_limit(1, WINDOW)
        llm = make_chat(emu, rate_limiter=limiter_for_rpm(RPM), max_retries=0,
                        tool_calling="emulated")
        emu.script(["I think it is Lisbon.", '{"name": "Lisbon", "country": "Portugal"}'])
        structured = llm.with_structured_output(City, method="json_schema")
        if mode == "invoke":
            out = structured.invoke("Capital of Portugal?")
        elif mode == "ainvoke":
            out = asyncio.run(structured.ainvoke("Capital of Portugal?"))
        else:
            out = list(structured.stream("Capital of Portugal?"))[-1]
        assert out == City(name="Lisbon", country="Portugal")
        assert len(emu.requests) == 2
        assert all(r.status == 200 for r in emu.requests)


def test_transport_retry_waits_for_the_limiter() -> None:
    """A retried attempt (here after a 503) passes the limiter again."""
    with emulate("openai-compatible", rate_limit=None) as emu:
        llm = make_chat(emu, rate_limiter=limiter_for_rpm(RPM), max_retries=1)
        llm.invoke("warm-up")  # takes the bucket's one token
        emu.reset()
        emu.inject(server_error(503), times=1)
        t0 = time.monotonic()
        assert llm.invoke("after a 503").content == "Echo: after a 503"
        assert len(emu.requests) == 2
        # two admissions after the warm-up: ~2 s at one per second (backoff alone is shorter)
        assert time.monotonic() - t0 >= 1.7


def test_instances_of_one_provider_and_key_share_a_bucket() -> None:
    """Five ChatTelkom instances with one key take turns; another key has its own bucket."""
    with emulate("telkom", rate_limit=None) as emu:
        emu.set_rate_limit(1, WINDOW)
        over = {"rate_limit_rpm": RPM}
        llms = [make_chat(emu, ChatTelkom, max_retries=0, profile_overrides=over) for _ in range(5)]
        assert len({id(m.rate_limiter) for m in llms}) == 1
        for i, llm in enumerate(llms):
            assert llm.invoke(f"instance {i}").content == f"Echo: instance {i}"
        assert len(emu.requests) == 5 and all(r.status == 200 for r in emu.requests)
        other = ChatTelkom(api_key="another-key", base_url=emu.base_url, profile_overrides=over)
        assert other.rate_limiter is not llms[0].rate_limiter


def test_shared_bucket_is_keyed_by_a_digest_not_the_key() -> None:
    a = shared_limiter("telkom", "sk-secret-1", 7)
    assert shared_limiter("telkom", "sk-secret-1", 7) is a
    assert shared_limiter("telkom", "sk-secret-2", 7) is not a
    assert shared_limiter("ektos", "sk-secret-1", 7) is not a
    from langchain_compat.transport import rate_limit

    assert not any("sk-secret" in repr(slot) for slot in rate_limit._SHARED)


def test_a_callers_own_limiter_is_kept() -> None:
    mine = limiter_for_rpm(600)
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", rate_limiter=mine)
    assert llm.rate_limiter is mine
