"""Thinking models, both ways: reasoning replayed where the backend requires it,
and shown as standard ``reasoning`` content blocks (invoke, stream, v1).

The emulator plays a DeepSeek-style thinking model: its profile requires
``reasoning_content`` on assistant turns with tool calls (400 without it).
"""

from __future__ import annotations

import dataclasses

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import BadRequestError
from langchain_compat.providers import GENERIC

THINKING = dataclasses.replace(
    GENERIC, profile=GENERIC.profile.replace(native_tools=True, reasoning_replay="required"))
FORBIDS = dataclasses.replace(
    GENERIC, profile=GENERIC.profile.replace(reasoning_replay="forbidden"))


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


STEP_1 = {"reasoning_content": "The user wants the weather. I should call get_weather.",
          "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"}]}
STEP_2 = {"reasoning_content": "The tool says sunny.", "content": "It is sunny in Paris."}


def _llm(emu, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="thinker", max_retries=0,
                                profile_overrides={"reasoning_replay": "required"}, **kw)


def _replayed(emu) -> dict:
    second = emu.requests[1].body["messages"]
    return next(m for m in second if m["role"] == "assistant")


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
def test_two_step_agent_replays_reasoning_and_shows_blocks(emulator, streaming):
    emu = emulator(THINKING)
    emu.script([STEP_1, STEP_2])
    agent = create_agent(_llm(emu, streaming=streaming), tools=[get_weather])
    out = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert [r.status for r in emu.requests] == [200, 200]
    assistant = _replayed(emu)
    assert assistant["reasoning_content"] == STEP_1["reasoning_content"]
    assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    first, last = out["messages"][1], out["messages"][-1]
    assert isinstance(first, AIMessage) and isinstance(last, AIMessage)
    blocks = first.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": STEP_1["reasoning_content"]}
    assert blocks[-1]["type"] == "tool_call" and blocks[-1]["name"] == "get_weather"
    assert [b["type"] for b in last.content_blocks] == ["reasoning", "text"]
    assert last.content_blocks[0]["reasoning"] == STEP_2["reasoning_content"]
    assert last.text == "It is sunny in Paris."
    assert last.additional_kwargs["reasoning_content"] == STEP_2["reasoning_content"]  # kept


def _history() -> list:
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    return [HumanMessage("Weather in Paris?"),
            AIMessage("", tool_calls=[call],
                      additional_kwargs={"reasoning_content": "I should call get_weather."}),
            ToolMessage("sunny", tool_call_id="call_1")]


def test_without_the_profile_flag_the_thinking_backend_refuses(emulator):
    # The replay matters: the same history, reasoning stripped (the old behaviour), is a 400.
    emu = emulator(THINKING)
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="thinker", max_retries=0)
    with pytest.raises(BadRequestError, match="reasoning_content"):
        llm.invoke(_history())


def test_forbidden_backend_never_gets_reasoning(emulator):
    emu = emulator(FORBIDS)
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", max_retries=0,
                               profile_overrides={"reasoning_replay": "forbidden"})
    assert llm.invoke(_history()).text.startswith("Echo")
    assert all("reasoning_content" not in m for m in emu.last_request.body["messages"])


def test_v1_output_replays_reasoning_blocks(emulator):
    emu = emulator(THINKING)
    emu.script([STEP_1, STEP_2])
    llm = _llm(emu, output_version="v1").bind_tools([get_weather])
    first = llm.invoke("Weather in Paris?")
    assert [b["type"] for b in first.content] == ["reasoning", "tool_call"]
    history = [HumanMessage("Weather in Paris?"), first,
               ToolMessage("sunny", tool_call_id="call_1")]
    last = llm.invoke(history)
    assert _replayed(emu)["reasoning_content"] == STEP_1["reasoning_content"]
    assert [b["type"] for b in last.content] == ["reasoning", "text"]


def test_v1_stream_aggregates_one_reasoning_and_one_text_block(emulator):
    emu = emulator(THINKING)
    emu.script([STEP_2])
    llm = _llm(emu, output_version="v1")
    total = None
    for chunk in llm.stream("Weather?"):
        total = chunk if total is None else total + chunk
    assert isinstance(total, AIMessageChunk)
    kinds = [b["type"] for b in total.content_blocks]
    assert kinds == ["reasoning", "text"]
    assert total.content_blocks[0]["reasoning"] == STEP_2["reasoning_content"]
    assert total.content_blocks[1]["text"] == STEP_2["content"]


def test_scripted_usage_details_and_logprobs(emulator):
    emu = emulator(THINKING)
    logprobs = {"content": [{"token": "It", "logprob": -0.1, "bytes": None, "top_logprobs": []}]}
    usage = {"completion_tokens_details": {"reasoning_tokens": 7},
             "prompt_tokens_details": {"cached_tokens": 3}}
    emu.script([{**STEP_2, "logprobs": logprobs, "usage": usage}] * 2)
    llm = _llm(emu)
    msg = llm.invoke("hi")
    assert msg.usage_metadata["output_token_details"] == {"reasoning": 7}
    assert msg.usage_metadata["input_token_details"] == {"cache_read": 3}
    assert msg.response_metadata["logprobs"] == logprobs
    chunks = list(llm.stream("hi"))
    total = sum(chunks[1:], chunks[0])
    assert total.usage_metadata["output_token_details"] == {"reasoning": 7}
    assert total.additional_kwargs["reasoning_content"] == STEP_2["reasoning_content"]
    assert total.content_blocks[0]["type"] == "reasoning"
    assert total.content_blocks[0]["reasoning"] == STEP_2["reasoning_content"]


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
def test_prefilled_think_template_through_the_chat_model(emulator, streaming):
    emu = emulator("openai-compatible")
    emu.script(["Short plan.</think>\n\nHello there!"])
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", streaming=streaming,
                               profile_overrides={"think_prefilled": True})
    msg = llm.invoke("hi")
    assert msg.text == "Hello there!"
    assert msg.content_blocks[0]["reasoning"].strip() == "Short plan."


def test_an_unknown_reasoning_replay_value_is_a_typed_error():
    from langchain_compat.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="reasoning_replay"):
        ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                             profile_overrides={"reasoning_replay": "always"})


def test_v1_stream_with_a_call_keeps_reasoning_text_and_call_apart(emulator):
    # Every chunk names our translator: a tool_call_chunk's index 0 must not merge into the
    # reasoning or text block of an aggregated v1 stream.
    emu = emulator("openai-compatible")
    emu.script(['<think>plan it</think>Let me check. '
                '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'])
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", output_version="v1",
                               tool_calling="emulated").bind_tools([get_weather])
    total = None
    for chunk in llm.stream("Weather in Paris?"):
        total = chunk if total is None else total + chunk
    assert [b["type"] for b in total.content] == ["reasoning", "text", "tool_call"]
    assert total.content[0]["reasoning"] == "plan it"
    assert total.content[1]["text"] == "Let me check."
    assert total.tool_calls[0]["args"] == {"city": "Paris"}
