"""prompt_request: emulation's one request-side entry (messages and fields from a PromptSpec)."""

from __future__ import annotations

import copy

import pytest
from emulation_cases import TOOLS, WEATHER

from langchain_compat.emulation.prompt import PromptSpec, prompt_request

CALL = {"id": "c1", "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
WIRE = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "c1", "content": "21 C"},
]


def spec(**kw) -> PromptSpec:
    return PromptSpec(**{"mode": "emulated", "tools": TOOLS, "stop_max": None, **kw})


def test_inputs_are_not_modified() -> None:
    wire, params = copy.deepcopy(WIRE), {"stop": ["x"]}
    prompt_request(wire, params, spec(one_call=True, json_schema={"type": "object"}))
    assert wire == WIRE and params == {"stop": ["x"]}


def test_emulated_tools_go_into_the_system_message_and_history_becomes_text() -> None:
    messages, params = prompt_request(WIRE, {}, spec())
    assert messages[0]["content"].startswith("Be brief.\n\n")
    assert "get_weather" in messages[0]["content"]
    assert not any(m.get("tool_calls") for m in messages)
    assert "<tool_call>" in messages[2]["content"]
    assert params == {}
    without_role, _ = prompt_request(WIRE, {}, spec(tool_role=False))
    assert not any(m["role"] == "tool" for m in without_role)


@pytest.mark.parametrize(("stop", "stop_max", "want"), [
    (None, None, ["</tool_call>"]),
    ("END", None, ["END", "</tool_call>"]),
    (["a", "b"], 3, ["a", "b", "</tool_call>"]),
    (["a", "b"], 2, ["a", "b"]),       # the backend takes no more
    (None, 0, None),                   # the backend takes no stop at all
    (["</tool_call>"], None, ["</tool_call>"]),
])
def test_one_call_ends_the_reply_with_the_end_of_a_call(stop, stop_max, want) -> None:
    params = {} if stop is None else {"stop": stop}
    _, out = prompt_request(WIRE, params, spec(one_call=True, stop_max=stop_max))
    assert out.get("stop") == (want if want is not None else params.get("stop"))


def test_several_calls_add_no_stop() -> None:
    assert "stop" not in prompt_request(WIRE, {}, spec(one_call=False))[1]


def test_a_format_without_an_end_marker_adds_no_stop() -> None:
    assert "stop" not in prompt_request(WIRE, {}, spec(one_call=True, fmt="llama3"))[1]


def test_an_answer_asked_for_keeps_the_prompt_the_same_bytes() -> None:
    # (the tool block stays: a prompt without it made llama-server evaluate the whole
    # conversation again; the re-ask's own message asks for the answer, the judge refuses
    # a call)
    messages, params = prompt_request(WIRE, {}, spec(answer_only=True, one_call=True))
    assert (messages, params) == prompt_request(WIRE, {}, spec(one_call=True))
    assert "get_weather" in messages[0]["content"]
    assert not any(m.get("tool_calls") for m in messages)


def test_constrained_sends_a_schema_narrowed_by_the_choice() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    _, params = prompt_request(WIRE, {}, spec(mode="constrained", tool_choice=named,
                                              one_call=True))
    schema = params["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["name"] == {"const": "get_weather"}  # one call, that tool
    _, auto = prompt_request(WIRE, {}, spec(mode="constrained"))
    options = auto["response_format"]["json_schema"]["schema"]["anyOf"]
    assert any(o.get("type") == "array" for o in options)  # several calls are allowed
    assert any(o.get("required") == ["response"] for o in options)  # an answer is allowed
    _, one = prompt_request(WIRE, {}, spec(mode="constrained", one_call=True))
    assert not any(o.get("type") == "array"
                   for o in one["response_format"]["json_schema"]["schema"]["anyOf"])
    _, withheld = prompt_request(WIRE, {}, spec(mode="constrained", answer_only=True))
    assert withheld["response_format"]["json_schema"]["schema"]["required"] == ["response"]


def test_replay_describes_no_tools() -> None:
    messages, params = prompt_request(WIRE, {}, spec(mode="replay", tools=[WEATHER]))
    assert messages[0]["content"] == "Be brief."
    assert not any(m["role"] == "tool" or m.get("tool_calls") for m in messages)
    assert params == {}


def test_a_json_schema_is_asked_for_in_the_system_message() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    messages, _ = prompt_request(WIRE[1:2], {}, spec(mode=None, tools=[], json_schema=schema))
    assert messages[0]["role"] == "system" and '"answer"' in messages[0]["content"]
    assert messages[1:] == WIRE[1:2]
