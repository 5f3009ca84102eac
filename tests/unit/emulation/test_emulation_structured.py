"""Prompted JSON, re-ask messages and tool_choice violations."""

from __future__ import annotations

import json

import pytest
from emulation_cases import TOOLS
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_compat.emulation import (
    parse_json_reply,
    parse_tool_calls,
    reask_message,
    render_json_instructions,
    tool_choice_violation,
)

PERSON = {"type": "object", "properties": {"name": {"type": "string"},
                                           "age": {"type": "integer"}},
          "required": ["name", "age"]}


def test_instructions_embed_the_schema():
    text = render_json_instructions(PERSON)
    assert json.dumps(PERSON) in text and "only the JSON" in text


@pytest.mark.parametrize("reply", [
    '{"name": "Ada", "age": 36}',
    '```json\n{"name": "Ada", "age": 36}\n```',
    'Here you go:\n```\n{"name": "Ada", "age": 36}\n```\nAnything else?',
    'Sure! {"name": "Ada", "age": 36} Hope this helps.',
    "{'name': 'Ada', 'age': 36,}",
    '{"name": "Ada", "age": "36"',
    '<think>maybe {"x": 1}</think>{"name": "Ada", "age": 36}',
])
def test_extracts_and_validates(reply):
    assert parse_json_reply(reply, PERSON) == ({"name": "Ada", "age": 36}, None)


def test_without_schema_returns_any_json():
    assert parse_json_reply("[1, 2, 3]") == ([1, 2, 3], None)
    assert parse_json_reply("42") == (42, None)


def test_skips_a_json_example_that_does_not_match_the_schema():
    reply = 'Input was {"q": 1}; answer: {"name": "Ada", "age": 36}'
    assert parse_json_reply(reply, PERSON) == ({"name": "Ada", "age": 36}, None)


@pytest.mark.parametrize(("reply", "reason"), [
    ("", "empty"),
    ("I cannot help with that.", "no JSON value found"),
    ('{"name": "Ada"}', "missing required argument 'age'"),
    ('{"name": "Ada", "age": "old"}', "age: expected integer"),
])
def test_failures_give_a_reason(reply, reason):
    value, error = parse_json_reply(reply, PERSON)
    assert value is None and reason in error


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_json_reply_never_raises(text):
    value, error = parse_json_reply(text, PERSON)
    assert (value is None) != (error is None)


def test_reask_message_is_a_user_message_with_the_reason():
    msg = reask_message("age: expected integer")
    assert msg["role"] == "user" and "age: expected integer" in msg["content"]


def test_violations():
    text_only = parse_tool_calls("It is sunny.", TOOLS)
    weather = parse_tool_calls('<tool_call>{"name": "get_weather", "arguments": '
                               '{"city": "Paris"}}</tool_call>', TOOLS)
    invalid = parse_tool_calls('<tool_call>{"name": "get_weather", "arguments": {}}'
                               "</tool_call>", TOOLS)
    assert tool_choice_violation(text_only, "auto", TOOLS) is None
    assert tool_choice_violation(text_only, None, TOOLS) is None
    assert tool_choice_violation(text_only, "none", TOOLS) is None
    assert "must call one of the tools" in tool_choice_violation(text_only, "required", TOOLS)
    assert tool_choice_violation(weather, "required", TOOLS) is None
    assert tool_choice_violation(weather, "any", TOOLS) is None
    assert tool_choice_violation(weather, "get_weather", TOOLS) is None
    named = {"type": "function", "function": {"name": "now"}}
    assert "must call the tool 'now'" in tool_choice_violation(weather, named, TOOLS)
    # the re-ask shows the shape of the wanted call
    assert tool_choice_violation(text_only, "get_weather", TOOLS).endswith(
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "...", '
        '"unit": <one of: "c", "f">, "days": <integer>}}\n</tool_call>')
    reason = tool_choice_violation(invalid, "required", TOOLS)
    assert "missing required argument 'city'" in reason


def test_violation_accepts_an_ai_message():
    from langchain_core.messages import AIMessage

    native = AIMessage(content="", tool_calls=[{"name": "now", "args": {}, "id": "c"}])
    assert tool_choice_violation(native, "now", TOOLS) is None
    assert "'get_weather'" in tool_choice_violation(native, "get_weather", TOOLS)
    assert "must call one" in tool_choice_violation(AIMessage(content="hi"), "required", TOOLS)
