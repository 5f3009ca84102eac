"""The Router over real emulated deployments (issue #15, part 3)."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_compat import ChatCotomi, ChatOpenAICompatible, Deployment, Router
from langchain_compat.errors import BadRequestError
from langchain_compat.router.core import RouterEvent
from langchain_compat.testing import emulate, rate_limited, server_error

pytestmark = pytest.mark.timeout(120)
RETRY_AFTER = 1.0
PRICES = {"healthy": (1e-6, 2e-6), "throttled": (3e-6, 5e-6), "down": (7e-6, 9e-6)}


def _model(base_url: str, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=base_url, api_key="emu-key", model="m", timeout=20, **kw)


def _deployment(name: str, base_url: str) -> Deployment:
    cin, cout = PRICES[name]
    return Deployment(model=_model(base_url), name=name, input_cost_per_token=cin,
                      output_cost_per_token=cout)


@pytest.mark.load
async def test_thousand_calls_fifty_concurrent_with_a_throttled_and_a_down_deployment() -> None:
    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as healthy, \
            emulate("openai-compatible", api_key="emu-key", rate_limit=None) as throttled, \
            emulate("openai-compatible", api_key="emu-key", rate_limit=None) as gone:
        down_url = gone.base_url
        gone.stop()  # a refused connection from now on
        throttled.schedule(lambda n: rate_limited(retry_after=RETRY_AFTER) if n % 40 == 1 else None)
        events: list[RouterEvent] = []
        router = Router(deployments=[_deployment("healthy", healthy.base_url),
                                     _deployment("throttled", throttled.base_url),
                                     _deployment("down", down_url)], cooldown=5.0,
                        on_event=events.append)
        gate = asyncio.Semaphore(50)

        async def one(i: int) -> AIMessage:
            async with gate:
                return await router.ainvoke(f"question {i}")

        t0 = time.monotonic()
        results = await asyncio.gather(*(one(i) for i in range(1000)), return_exceptions=True)
        took = time.monotonic() - t0
        seen = throttled.requests
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors[:3]
    assert took < 90
    usage = router.usage()
    assert usage["down"]["calls"] == 0 and usage["down"]["failures"] >= 1
    assert usage["throttled"]["calls"] > 0 and usage["healthy"]["calls"] > 0
    assert sum(u["calls"] for u in usage.values()) == 1000
    # every 429 cooled the deployment (no retry inside the client) for its Retry-After ...
    refusals = [r for r in seen if r.status == 429]
    cooldowns = [e for e in events if e.kind == "cooldown"]
    assert refusals and usage["throttled"]["failures"] == len(refusals)
    assert all(e.until - e.at == pytest.approx(RETRY_AFTER) for e in cooldowns
               if e.deployment == "throttled")
    # ... and no call was sent to a deployment while it was cooling down
    for e in events:
        if e.kind == "dispatch":
            cooling = [c for c in cooldowns
                       if c.deployment == e.deployment and c.at <= e.at < c.until]
            assert cooling == [], f"{e} sent during {cooling[0]}"
    assert len([e for e in events if e.kind == "dispatch"]) == 1000 + len(cooldowns)
    # the cost total is the sum of each answer's own usage x its deployment's prices
    expected = 0.0
    for msg in results:
        meta = msg.response_metadata["router"]
        cin, cout = PRICES[meta["deployment"]]
        expected += (msg.usage_metadata["input_tokens"] * cin
                     + msg.usage_metadata["output_tokens"] * cout)
    assert router.total_cost == pytest.approx(expected, rel=1e-9)
    assert results[-1].response_metadata["router"]["total_cost"] <= router.total_cost
    assert expected > 0


def test_bad_request_is_not_failed_over() -> None:
    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as a, \
            emulate("openai-compatible", api_key="emu-key", rate_limit=None) as b:
        a.inject(server_error(400, "bad input"))
        router = Router(deployments=[_model(a.base_url), _model(b.base_url)], strategy="ordered")
        with pytest.raises(BadRequestError):
            router.invoke("x")
        assert b.requests == []  # the same request would fail everywhere
        assert router.usage()["0:m"]["failures"] == 1


def test_fallback_order_and_sync_stream_fail_over_before_the_first_chunk() -> None:
    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as hosted, \
            emulate("cotomi", rate_limit=None) as local:
        hosted.inject(server_error(503, "overloaded"))
        router = Router(deployments=[Deployment(model=_model(hosted.base_url), name="hosted"),
                                     Deployment(model=ChatCotomi(**local.client_kwargs),
                                                name="local", priority=1)])
        chunks = list(router.stream("hello there"))
        text = "".join(c.text for c in chunks)
        meta = [c.response_metadata["router"] for c in chunks if "router" in c.response_metadata]
        assert text == "Echo: hello there"
        assert meta[-1]["deployment"] == "local" and meta[-1]["failed_over"] == ["hosted"]
        # the hosted one is cooling: the next call goes straight to the fallback
        assert router.invoke("again").response_metadata["router"]["failed_over"] == []
        assert len(hosted.requests) == 1


class Weather(BaseModel):
    city: str
    sky: str


def test_structured_output_per_deployment() -> None:
    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as native, \
            emulate("cotomi", rate_limit=None) as emulated:
        native.inject(server_error(500, "boom"))
        emulated.script('<tool_call>{"name": "Weather", "arguments": '
                        '{"city": "Lisbon", "sky": "sunny"}}</tool_call>')
        router = Router(deployments=[_model(native.base_url, tool_calling="native"),
                                     ChatCotomi(**emulated.client_kwargs)], strategy="ordered")
        out = router.with_structured_output(Weather).invoke("weather in Lisbon?")
        assert out == Weather(city="Lisbon", sky="sunny")


@tool
def get_weather(city: str) -> str:
    """Get today's weather for a city."""
    return {"lisbon": "sunny, 24 C"}.get(city.lower(), "unknown")


def test_agent_fails_over_mid_loop_from_native_to_emulated_tools() -> None:
    from langchain.agents import create_agent

    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as native, \
            emulate("cotomi", rate_limit=None) as emulated:
        native.script({"tool_calls": [{"name": "get_weather", "arguments": {"city": "Lisbon"}}]})
        native.schedule({2: server_error(503, "provider outage")})  # the agent's 2nd model call
        emulated.script("It is sunny, 24 C in Lisbon.")
        router = Router(deployments=[
            Deployment(model=_model(native.base_url, tool_calling="native"), name="native"),
            Deployment(model=ChatCotomi(**emulated.client_kwargs), name="emulated", priority=1)])
        agent = create_agent(router, [get_weather])
        state = agent.invoke({"messages": [("user", "Weather in Lisbon?")]})
        sent = emulated.last_request.body
    messages = state["messages"]
    assert isinstance(messages[1], AIMessage) and messages[1].tool_calls[0]["name"] == "get_weather"
    assert messages[1].response_metadata["router"]["deployment"] == "native"
    assert isinstance(messages[2], ToolMessage) and messages[2].content == "sunny, 24 C"
    final = messages[-1]
    assert final.text == "It is sunny, 24 C in Lisbon." and not final.tool_calls
    assert final.response_metadata["router"] == {**final.response_metadata["router"],
                                                  "deployment": "emulated",
                                                  "failed_over": ["native"]}
    # the emulated deployment got the native turn's tool call and result, in its own format
    assert "tools" not in sent
    assert "sunny, 24 C" in str(sent["messages"]) and "get_weather" in str(sent["messages"])
    assert len(native.requests) == 2


async def test_async_stream_fails_over_on_a_timeout_and_the_deployment_rests() -> None:
    from langchain_compat.testing import latency

    with emulate("openai-compatible", api_key="emu-key", rate_limit=None) as slow, \
            emulate("cotomi", rate_limit=None) as spare:
        slow.inject(latency(5.0))
        router = Router(deployments=[
            Deployment(model=ChatOpenAICompatible(base_url=slow.base_url, api_key="emu-key",
                                                  model="m", timeout=1.0), name="slow"),
            Deployment(model=ChatCotomi(**spare.client_kwargs), name="spare", priority=1)],
            cooldown=30.0)
        chunks = [c async for c in router.astream("hello")]
        assert "".join(c.text for c in chunks) == "Echo: hello"
        meta = [c.response_metadata["router"] for c in chunks if "router" in c.response_metadata]
        assert meta[-1]["failed_over"] == ["slow"]
        assert router.usage()["slow"]["failures"] == 1
        await router.ainvoke("again")  # "slow" rests for 30 s: not asked again
        assert len(slow.requests) <= 1  # (under load the timeout may fire before it arrives)
