"""parse_tool_calls: the format table, validation, prose that is not a call, robustness."""

from __future__ import annotations

import json
import re

import pytest
from emulation_cases import (
    ALL_CASES,
    CASES,
    DS_CALLS,
    DS_CALLS_END,
    NOW,
    PARIS,
    TOOLS,
    WEATHER,
    seq_ids,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_compat.emulation import parse_tool_calls


def summary(reply):
    return (reply.content, [(c["name"], c["args"]) for c in reply.tool_calls],
            [(c["name"], c["error"]) for c in reply.invalid_tool_calls])


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_table(case):
    content, calls, invalid = summary(parse_tool_calls(case.text, TOOLS))
    assert content == case.content
    assert calls == case.calls
    assert len(invalid) == len(case.invalid)
    for (name, error), (want_name, want_error) in zip(invalid, case.invalid, strict=True):
        assert name == want_name
        assert want_error in error


def test_calls_are_langchain_tool_calls_with_openai_style_ids():
    reply = parse_tool_calls(next(c for c in CASES if c.id == "hermes-two").text, TOOLS)
    assert [c["type"] for c in reply.tool_calls] == ["tool_call", "tool_call"]
    for call in reply.tool_calls:
        assert re.fullmatch(r"call_[0-9a-f]{24}", call["id"])
    assert reply.tool_calls[0]["id"] != reply.tool_calls[1]["id"]


def test_id_factory_counts_valid_and_invalid_calls_in_order():
    text = ('<tool_call>{"name": "nope"}</tool_call><tool_call>{"name": "now"}</tool_call>')
    reply = parse_tool_calls(text, TOOLS, id_factory=seq_ids)
    assert reply.invalid_tool_calls[0]["id"] == seq_ids(0)
    assert reply.tool_calls[0]["id"] == seq_ids(1)
    assert reply.invalid_tool_calls[0]["type"] == "invalid_tool_call"


def test_invalid_call_keeps_raw_arguments_as_string():
    text = '<tool_call>{"name": "get_weather", "arguments": {"days": 2}}</tool_call>'
    bad = parse_tool_calls(text, TOOLS).invalid_tool_calls[0]
    assert bad["args"] == '{"days": 2}'
    assert "missing required argument 'city'" in bad["error"]


def test_unknown_tool_error_lists_available_tools():
    text = '<tool_call>{"name": "fly", "arguments": {}}</tool_call>'
    error = parse_tool_calls(text, TOOLS).invalid_tool_calls[0]["error"]
    assert "'fly'" in error and "get_weather" in error and "now" in error


def test_tools_unknown_accepts_any_call_shaped_json_without_schema_check():
    reply = parse_tool_calls('{"name": "anything", "arguments": {"x": 1}}', None)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("anything", {"x": 1})]
    # ...but a plain object with extra keys, or non-object "arguments", is still not a call
    assert not parse_tool_calls('{"name": "Alice", "age": 3}', None).has_calls
    assert not parse_tool_calls('{"name": "Bob", "input": "hello"}', None).has_calls


def test_bare_json_naming_unknown_tool_is_text_when_tools_known():
    text = '{"name": "calculator", "arguments": {"x": 1}}'
    reply = parse_tool_calls(text, TOOLS)
    assert reply.content == text and not reply.has_calls


def test_same_text_in_explicit_tag_is_an_invalid_call():
    reply = parse_tool_calls('<tool_call>{"name": "calculator", "arguments": {}}</tool_call>',
                             TOOLS)
    assert reply.content == "" and reply.invalid_tool_calls[0]["name"] == "calculator"


def test_arguments_in_a_json_string_and_nulls_for_optional_arguments():
    text = ('<tool_call>{"name": "get_weather", "arguments": '
            '"{\\"city\\": \\"Paris\\", \\"unit\\": null, \\"days\\": 2.0}"}</tool_call>')
    [call] = parse_tool_calls(text, TOOLS).tool_calls
    assert call["args"] == {"city": "Paris", "days": 2}


def test_extra_arguments_are_kept_not_dropped():
    text = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", "x": 1}}</tool_call>'
    assert parse_tool_calls(text, TOOLS).tool_calls[0]["args"] == {"city": "Paris", "x": 1}


def test_argument_string_that_is_not_an_object_is_invalid():
    text = '<tool_call>{"name": "get_weather", "arguments": "Paris"}</tool_call>'
    [bad] = parse_tool_calls(text, TOOLS).invalid_tool_calls
    assert bad["name"] == "get_weather" and "arguments" in bad["error"]


def test_positional_python_call_is_invalid_with_reason():
    [bad] = parse_tool_calls('<|python_tag|>get_weather("Paris")', TOOLS).invalid_tool_calls
    assert "positional" in bad["error"]


def test_no_argument_tool_with_empty_string_arguments():
    text = '<tool_call>{"name": "now", "arguments": ""}</tool_call>'
    assert parse_tool_calls(text, [NOW]).tool_calls[0]["args"] == {}


def test_bare_object_not_at_start_still_found_and_pythonic_list_only_at_start():
    assert parse_tool_calls('ok [now()]', TOOLS).content == "ok [now()]"
    assert [c["name"] for c in parse_tool_calls("[now()]", TOOLS).tool_calls] == ["now"]


def test_empty_tool_list_means_no_tool_is_known():
    reply = parse_tool_calls('<tool_call>{"name": "now"}</tool_call>', [])
    assert "unknown tool" in reply.invalid_tool_calls[0]["error"]
    assert parse_tool_calls('{"name": "now"}', []).content == '{"name": "now"}'


def test_whitespace_after_a_call_is_dropped_before_it_kept():
    text = 'A: <tool_call>{"name": "now"}</tool_call>  B'  # ("A <call> B" is a mention)
    assert parse_tool_calls(text, TOOLS).content == "A: B"


SECTION_MARKERS = [DS_CALLS, DS_CALLS_END, "<|tool_calls_section_begin|>",
                   "<|tool_calls_section_end|>", ">>>all\n"]  # dropped even without a call
FRAGMENTS = [*SECTION_MARKERS, *(c.text for c in ALL_CASES),
    ">>>", ">>>get_weather\n", "`", "``", "> ", "\n> ", "Action: ", "now\n", "Action Input: ",
    "\nObservation:", "Sure! ", "the call ", " which", '"tool_input": ', "lookup", '"query": "',
    "<tool_call>", "</tool_call>", "{", "}", "[", "]", "```", "```json\n", "\n", '"', "'",
    "[TOOL_CALLS]", "<|python_tag|>", "<function=", ">", "</function>", '{"name": ',
    '"get_weather"', '"arguments": ', "now()", "\\", ",", " ", "<|eom_id|>", "[ARGS]",
    "<think>", "</think>", "```xml\n", "<parameter=city>", "</parameter>", "<|tool_call|>",
    "<\uff5ctool\u2581sep\uff5c>", "<|tool_call_begin|>", "<|tool_call_argument_begin|>",
    "<arg_key>", "<arg_value>", "```tool_code\n", "<TOOLCALL>",
]
messy_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)),
                      max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=messy_text, tools=st.sampled_from([TOOLS, None, [], [WEATHER]]))
def test_never_raises_and_content_comes_from_the_text(text, tools):
    reply = parse_tool_calls(text, tools)
    assert isinstance(reply.content, str)
    assert reply.content == reply.content.strip()
    for call in reply.tool_calls:
        assert isinstance(call["args"], dict) and isinstance(call["name"], str)
        if tools is not None:
            assert call["name"] in {t["function"]["name"] for t in tools}
    for bad in reply.invalid_tool_calls:
        assert bad["error"]
    if not reply.has_calls and not any(m in text for m in SECTION_MARKERS):
        assert reply.content == text.strip()  # (section special tokens are always dropped)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters="<{[`"), max_size=200))
def test_text_without_trigger_characters_is_returned_unchanged(text):
    reply = parse_tool_calls(text, TOOLS)
    assert reply.content == text.strip() and not reply.has_calls


def test_paris_is_what_the_parser_makes_of_a_weather_call():
    """PARIS, the expected call of most table cases, is the parser's real output for a
    call written from the WEATHER tool's own name and schema (not a constant compared
    with another constant)."""
    fn = WEATHER["function"]
    args = {name: "Paris" for name in fn["parameters"]["required"]}
    text = f'<tool_call>{json.dumps({"name": fn["name"], "arguments": args})}</tool_call>'
    assert summary(parse_tool_calls(text, [WEATHER])) == ("", [PARIS], [])
    assert summary(parse_tool_calls(text, None)) == ("", [PARIS], [])


def test_schema_echoed_as_arguments_of_a_parameterless_tool_means_no_arguments() -> None:
    """Seen with Qwen2.5-0.5B in the standard no-argument test."""
    from langchain_compat.emulation import parse_tool_calls

    tools = [{"type": "function", "function": {"name": "magic", "description": "d",
                                               "parameters": {"type": "object", "properties": {}}}}]
    text = ('<tool_call>{"name": "magic", "arguments": {"type": "object", "properties": {}}}'
            "</tool_call>")
    reply = parse_tool_calls(text, tools)
    assert [c["args"] for c in reply.tool_calls] == [{}]
    partial = ('<tool_call>{"name": "magic", "arguments": {"properties": {"type": "object"}}}'
               "</tool_call>")
    assert [c["args"] for c in parse_tool_calls(partial, tools).tool_calls] == [{}]
    # a tool that really has a 'type' argument keeps it
    tools2 = [{"type": "function", "function": {"name": "pick", "parameters": {
        "type": "object",
        "properties": {"type": {"type": "string"}, "properties": {"type": "object"}}}}}]
    text2 = ('<tool_call>{"name": "pick", "arguments": {"type": "object", "properties": {}}}'
             "</tool_call>")
    assert parse_tool_calls(text2, tools2).tool_calls[0]["args"] == {"type": "object",
                                                                     "properties": {}}


@pytest.mark.parametrize("args, where", [
    ('{"city": "..."}', "city"),
    ('{"city": "Paris", "days": "<integer>"}', None),  # a type error first
    ('{"city": "Paris", "unit": "<one of: \\"c\\", \\"f\\">"}', None),
])
def test_placeholders_copied_from_the_call_shape_are_not_a_call(args, where):
    parsed = parse_tool_calls(
        f'<tool_call>{{"name": "get_weather", "arguments": {args}}}</tool_call>', TOOLS)
    assert not parsed.tool_calls and len(parsed.invalid_tool_calls) == 1
    if where:
        error = parsed.invalid_tool_calls[0]["error"]
        assert f"placeholder values copied from the example for {where}" in error


def test_real_values_with_ellipses_are_fine():
    parsed = parse_tool_calls(
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris..."}}</tool_call>', TOOLS)
    assert parsed.tool_calls[0]["args"] == {"city": "Paris..."}
