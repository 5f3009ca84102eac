"""Constrained emulation on the emulator: the schema sent (narrowed by tool_choice), the
answer streamed as plain text however the JSON is cut, calls read, and a server that
refuses the schema downgraded to plain emulation (learned)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_compat import BackendMemory, ChatOpenAICompatible
from langchain_compat.emulation.formats.constrained import MAX_CALLS, AnswerReader
from langchain_compat.testing import emulate
from tools.paths import run
from tools.tool_specs import ADD, WEATHER



def _model(emu, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="emulated",
                                max_retries=0, backend_memory=BackendMemory(),
                                profile_overrides={"constrained": True, "json_schema": True}, **kw)


def _schema(body: dict) -> dict:
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    return fmt["json_schema"]["schema"]


def _options(schema: dict) -> list[dict]:
    return schema.get("anyOf", [schema])


def _kind(option: dict) -> str:
    if option.get("type") == "array":
        items = option["items"].get("anyOf", [option["items"]])
        assert option["maxItems"] == MAX_CALLS
        return "list:" + ",".join(i["properties"]["name"]["const"] for i in items)
    if "response" in option["properties"]:
        assert option["required"] == ["response"] and option["additionalProperties"] is False
        return "answer"
    return option["properties"]["name"]["const"]


@pytest.mark.parametrize(("choice", "parallel", "want"), [
    (None, None, ["add", "get_weather", "answer"]),  # one call a reply unless True
    (None, True, ["add", "get_weather", "list:add,get_weather", "answer"]),
    ("auto", False, ["add", "get_weather", "answer"]),
    ("required", None, ["add", "get_weather"]),
    ("required", True, ["add", "get_weather", "list:add,get_weather"]),
    ("get_weather", None, ["get_weather"]),
])
def test_the_schema_admits_an_answer_or_the_bound_calls_narrowed_by_tool_choice(
        choice, parallel, want) -> None:
    with emulate() as emu:
        emu.script(['{"name": "get_weather", "arguments": {"city": "Paris"}}']
                   if choice else ['{"response": "hi"}'])
        llm = _model(emu).bind_tools([ADD, WEATHER], tool_choice=choice,
                                     parallel_tool_calls=parallel)
        llm.invoke("weather in Paris?")
        body = emu.requests[0].body
    assert "tools" not in body and "tool_choice" not in body
    options = _options(_schema(body))
    assert [_kind(o) for o in options] == want
    for option in options:  # a call's arguments follow the tool's own schema
        if option.get("properties", {}).get("name", {}).get("const") == "add":
            assert option["properties"]["arguments"] == ADD["function"]["parameters"]
    # the tool block is the same bytes whatever tool_choice is (a prefix cache reuses it)
    system = body["messages"][0]["content"]
    assert system.startswith("# Tools") and "<tools>" in system and "You MUST" not in system


def test_the_tool_block_is_byte_identical_across_turns_and_choices() -> None:
    prompts = []
    with emulate() as emu:
        for choice in (None, "required", "add"):
            emu.reset()
            emu.script(['{"name": "add", "arguments": {"a": 1, "b": 2}}'])
            _model(emu).bind_tools([ADD, WEATHER], tool_choice=choice).invoke("1+2?")
            prompts.append(emu.requests[0].body["messages"][0]["content"])
    assert len(set(prompts)) == 1


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_an_answer_is_plain_text_and_streams_as_it_is_decoded(path: str) -> None:
    text = 'Paris is "lovely" —\nsunny, 24 °C. \\o/'
    with emulate() as emu:
        emu.script([json.dumps({"response": text})])
        msg, pieces = run(_model(emu).bind_tools([ADD, WEATHER]), path, "weather?")
    assert msg.content == text and not msg.tool_calls
    assert msg.response_metadata["tool_calling"] == "constrained"
    if path == "stream":  # yielded as it came, several pieces, none of them JSON
        assert len(pieces) > 3 and not any('"response"' in p for p in pieces)


def test_calls_are_read_and_identical_ones_fold() -> None:
    call = {"name": "add", "arguments": {"a": 1, "b": 2}}
    reply = json.dumps([call, call, {"name": "get_weather", "arguments": {"city": "Oslo"}}])
    with emulate() as emu:
        emu.script([reply])
        msg = _model(emu).bind_tools([ADD, WEATHER], parallel_tool_calls=True).invoke("go")
    assert [(c["name"], c["args"]) for c in msg.tool_calls] == [
        ("add", {"a": 1, "b": 2}), ("get_weather", {"city": "Oslo"})]
    assert [c["name"] for c in msg.response_metadata["dropped_tool_calls"]] == ["add"]


# Each constraint a server refuses falls back one step, and that is learned: the grammar to
# the JSON schema (a constrained call), the schema to plain emulation.
@pytest.mark.parametrize(("refused", "overrides", "reply", "row", "instead", "mode"), [
    ("json_schema", {"constrained": True},
     '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>',
     "constrained", None, "emulated"),
    ("grammar", {"constrained": True, "call_grammar": True, "json_schema": True,
                 "server_kind": "llama.cpp"},
     '{"name": "add", "arguments": {"a": 1, "b": 2}}', "call_grammar", "json_schema",
     "constrained"),
], ids=["schema-to-plain", "grammar-to-schema"])
def test_a_refused_constraint_falls_back_one_step_learned(refused, overrides, reply, row,
                                                          instead, mode) -> None:
    memory = BackendMemory()
    field = "grammar" if refused == "grammar" else "response_format"
    with emulate(refuse=[refused]) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="emulated",
                                   max_retries=0, backend_memory=memory,
                                   profile_overrides=overrides)
        emu.script([reply] * 2)
        first = llm.bind_tools([ADD]).invoke("1+2?")
        assert len(emu.requests) == 2 and field not in emu.requests[1].body
        if instead is not None:
            assert emu.requests[1].body["response_format"]["type"] == instead
        assert first.tool_calls[0]["args"] == {"a": 1, "b": 2}
        assert first.response_metadata["tool_calling"] == mode
        assert first.response_metadata["downgrades"] == [row]
        second = llm.bind_tools([ADD]).invoke("1+2?")
        assert len(emu.requests) == 3  # learned: one request
        assert second.response_metadata["downgrades"] == [row]
    [record] = memory.records()
    assert record.refused_fields == {row}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), seed=st.integers(0, 10**6), ascii_only=st.booleans())
def test_the_answer_reader_decodes_whatever_the_cuts(text: str, seed: int,
                                                     ascii_only: bool) -> None:
    raw = ' {\n "response" :  ' + json.dumps(text, ensure_ascii=ascii_only) + "\n}"
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(raw)), min(len(raw) - 1, rng.randint(0, 10))))
    reader = AnswerReader()
    got = "".join(reader.feed(raw[a:b]) for a, b in zip([0, *cuts], [*cuts, len(raw)],
                                                          strict=True))
    assert got == text and reader.answer is True and reader.closed


def test_a_call_is_not_an_answer() -> None:
    reader = AnswerReader()
    assert reader.feed('{"name": "add"') == "" and reader.answer is False
