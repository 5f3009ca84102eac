"""A ``create_agent`` agent with two tools on ChatCotomi (emulated tools) against the
cotomi emulator with scripted replies: the wire carries no ``tools`` field, the
calls are parsed out of plain text, the tool results are replayed as text
(cotomi has no ``tool`` role), and the agent completes a two-step task.
"""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_compat import ChatCotomi
from langchain_compat.testing import emulate

CALLS: list[tuple[str, dict]] = []


@tool
def get_population(city: str) -> int:
    """Population of a city, in people."""
    CALLS.append(("get_population", {"city": city}))
    return {"Lisbon": 545_000, "Porto": 232_000}[city]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    CALLS.append(("add", {"a": a, "b": b}))
    return a + b


SCRIPT = [
    # step 1: two calls in one reply, in two different formats real models emit
    'I will look both up.\n'
    '<tool_call>{"name": "get_population", "arguments": {"city": "Lisbon"}}</tool_call>\n'
    '```json\n{"name": "get_population", "arguments": {"city": "Porto"}}\n```',
    # step 2: a call written with python-literal quotes
    "<tool_call>{'name': 'add', 'arguments': {'a': 545000, 'b': 232000}}</tool_call>",
    # step 3: the answer
    "Lisbon and Porto have 777000 people together.",
]


@pytest.fixture
def cotomi():
    with emulate("cotomi") as emu:
        yield emu


def _agent(emu):
    # The scripted model plans both lookups in one reply: several calls a reply allowed.
    model = ChatCotomi(base_url=emu.base_url, api_key=emu.api_key, model="cotomi-fast-v2.0",
                       max_retries=0, profile_overrides={"several_emulated_calls": True})
    return create_agent(model, [get_population, add], system_prompt="You are a precise assistant.")


def test_two_step_agent_with_emulated_tools(cotomi) -> None:
    CALLS.clear()
    cotomi.script(SCRIPT)
    question = HumanMessage("How many people live in Lisbon and Porto?")
    result = _agent(cotomi).invoke({"messages": [question]})
    messages = result["messages"]

    # the two lookups run in parallel (ToolNode threads): their order is not fixed
    assert sorted(CALLS[:2], key=str) == [("get_population", {"city": "Lisbon"}),
                                         ("get_population", {"city": "Porto"})]
    assert CALLS[2:] == [("add", {"a": 545000, "b": 232000})]
    assert messages[-1].content == "Lisbon and Porto have 777000 people together."
    tool_results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert tool_results == ["545000", "232000", "777000"]
    first_ai = next(m for m in messages if isinstance(m, AIMessage))
    assert first_ai.content == "I will look both up."

    bodies = [r.body for r in cotomi.requests if r.path.endswith("/chat/completions")]
    assert len(bodies) == 3
    for body in bodies:
        assert "tools" not in body and "tool_choice" not in body  # cotomi refuses them
        assert all(m["role"] in ("system", "user", "assistant") for m in body["messages"])
        assert "get_population" in body["messages"][0]["content"]  # tools rendered in the prompt
    # the last request replays both earlier steps as text the backend accepts
    replay = json.dumps(bodies[-1]["messages"])
    assert "545000" in replay and "232000" in replay and "get_population" in replay


async def test_two_step_agent_async_streaming(cotomi) -> None:
    CALLS.clear()
    cotomi.script(SCRIPT)
    agent = _agent(cotomi)
    chunks = []
    async for message, _meta in agent.astream(
        {"messages": [HumanMessage("How many people live in Lisbon and Porto?")]},
        stream_mode="messages",
    ):
        chunks.append(message)
    assert sorted(c[0] for c in CALLS) == ["add", "get_population", "get_population"]
    streamed_text = "".join(m.content for m in chunks
                            if not isinstance(m, ToolMessage) and isinstance(m.content, str))
    assert "777000 people together" in streamed_text
    # calls never leak as text
    assert "<tool_call>" not in streamed_text and "```" not in streamed_text


def test_cotomi_native_tools_are_refused_before_any_request(cotomi) -> None:
    from langchain_compat.errors import UnsupportedParameterError

    model = ChatCotomi(base_url=cotomi.base_url, api_key=cotomi.api_key, tool_calling="native")
    with pytest.raises(UnsupportedParameterError, match="tool_calling='emulated'"):
        model.bind_tools([add]).invoke("1+2?")
    assert not [r for r in cotomi.requests if r.path.endswith("/chat/completions")]
