"""Testing an app offline with the provider emulator (run by pytest in this project's CI).

The "app" is a small function that asks a chat model about the weather and runs the tool
it calls. The tests point it at an emulated NEC cotomi API on loopback: a real HTTP server
that enforces cotomi's Bearer auth, paths and refusals, and answers with scripted replies.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_compat import ChatCotomi
from langchain_compat.errors import UnsupportedParameterError
from langchain_compat.testing import Emulator, emulate, server_error


# ---------------------------------------------------------------- the app under test
@tool
def get_weather(city: str) -> str:
    """Get today's weather for a city."""
    return {"tokyo": "rain, 19 °C", "lisbon": "sunny, 24 °C"}.get(city.lower(), "unknown")


def weather_answer(llm: ChatCotomi, question: str) -> str:
    """Ask, run the tool the model calls, and return the model's final answer."""
    model = llm.bind_tools([get_weather])
    messages = [HumanMessage(question)]
    reply = model.invoke(messages)
    messages.append(reply)
    for call in reply.tool_calls:
        messages.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
    return model.invoke(messages).text if reply.tool_calls else reply.text


# --------------------------------------------------------------------------- tests
@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulated cotomi API, started for one test."""
    with emulate("cotomi") as emulator:
        yield emulator


@pytest.fixture
def llm(emu: Emulator) -> ChatCotomi:
    # base_url and api_key point the client at the emulator (emu.env has the same as
    # COTOMI_BASE_URL / COTOMI_API_KEY, for apps that read the environment).
    return ChatCotomi(base_url=emu.base_url, api_key=emu.api_key, max_retries=2)


def test_tool_round_trip(emu: Emulator, llm: ChatCotomi) -> None:
    # cotomi has no native function calling: the model is prompted and its text parsed,
    # so the scripted replies are what a model would write.
    emu.script([
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Tokyo"}}</tool_call>',
        "It is raining in Tokyo, 19 °C.",
    ])

    assert weather_answer(llm, "Weather in Tokyo?") == "It is raining in Tokyo, 19 °C."

    first, second = emu.requests
    assert first.path.endswith("/chat/completions")
    assert first.headers["authorization"] == "Bearer ***"        # keys are masked in the log
    assert "tools" not in first.body                              # never sent to cotomi
    assert "<tools>" in first.body["messages"][0]["content"]      # rendered into the prompt
    # No `tool` role on cotomi: the result is replayed as user text.
    assert second.body["messages"][-1]["role"] == "user"
    assert "rain, 19 °C" in second.body["messages"][-1]["content"]


def test_streamed_tool_call(emu: Emulator, llm: ChatCotomi) -> None:
    call = '<tool_call>{"name": "get_weather", "arguments": {"city": "Lisbon"}}</tool_call>'
    emu.script([f"Let me check. {call}"])

    full = None
    for chunk in llm.bind_tools([get_weather]).stream("Weather in Lisbon?"):
        full = chunk if full is None else full + chunk

    assert full.text.strip() == "Let me check."
    assert [c["name"] for c in full.tool_calls] == ["get_weather"]
    assert full.tool_calls[0]["args"] == {"city": "Lisbon"}


def test_retries_server_errors(emu: Emulator, llm: ChatCotomi) -> None:
    emu.inject(server_error(503, retry_after=0), times=2)   # two 503s, then the scripted reply
    emu.script(["Recovered."])

    assert llm.invoke("hi").content == "Recovered."
    assert [r.status for r in emu.requests] == [503, 503, 200]


def test_refused_parameter_never_reaches_the_server(emu: Emulator) -> None:
    with pytest.raises(UnsupportedParameterError, match="logit_bias"):
        ChatCotomi(base_url=emu.base_url, api_key=emu.api_key, logit_bias={"42": 5.0})
    assert emu.requests == []


def test_default_reply_echoes(emu: Emulator, llm: ChatCotomi) -> None:
    # Unscripted requests get a deterministic "Echo: <last user message>".
    assert llm.invoke("ping").content == "Echo: ping"
