"""Pathological replies stay cheap (no quadratic rescans, no deep-recursion blowups).

Bounds are generous (seconds) so slow CI machines do not flake; the quadratic versions
these guard against took minutes.
"""

from __future__ import annotations

import time

import pytest
from emulation_cases import TOOLS

from langchain_compat.emulation import StreamingToolParser, parse_json_reply, parse_tool_calls


def stream(text: str, step: int = 1) -> StreamingToolParser:
    parser = StreamingToolParser(TOOLS)
    for i in range(0, len(text), step):
        parser.feed(text[i:i + step])
    parser.finish()
    return parser


def short_id(text: str) -> str:
    return f"{text[:20]}...({len(text)})"


@pytest.mark.parametrize("text", [
    "{" * 30_000, "[" * 30_000, "<" * 30_000, "`" * 30_000, "<tool_call>" * 3_000,
    "<tool_call>" + "{" * 30_000, "<tool_call>" + "[" * 30_000, '{"name": "x", ' * 3_000,
    "[TOOL_CALLS]" + "[" * 30_000, ">" * 30_000, ">>>" * 10_000, "A" * 30_000, "Action" * 5_000,
    "`a" * 15_000, "<tool_call>{" + '"' * 30_000, "<tool_call>{" + "\\" * 30_000,
], ids=short_id)
def test_one_shot_parse_is_fast_and_safe(text):
    start = time.perf_counter()
    reply = parse_tool_calls(text, TOOLS)
    assert time.perf_counter() - start < 5
    assert isinstance(reply.content, str)


@pytest.mark.parametrize("text", ["{" * 30_000, "[" * 30_000, "x {" * 10_000],
                         ids=short_id)
def test_json_reply_is_fast_and_safe(text):
    start = time.perf_counter()
    value, error = parse_json_reply(text)
    assert time.perf_counter() - start < 5
    assert value is None and error


@pytest.mark.parametrize("text", [
    "[TOOL_CALLS]" + "a" * 20_000, "```" + "a" * 20_000, "<function=" + "a" * 20_000,
    "[" + "a" * 20_000, "<|python_tag|>" + "x" * 20_000,
    '<tool_call>{"name": "search", "arguments": {"query": "' + "q" * 30_000 + '"}}</tool_call>',
    '{"name": "search", "arguments": {"query": "' + "q" * 30_000 + '"}}',
    "`" + "a" * 20_000, "Action: lookup\nAction Input: " + "a" * 20_000, ">>>" + "a" * 20_000,
    '<tool_call>{"name": "search", "arguments": {"query": "' + "q<" * 15_000 + '"}}</tool_call>',
    'x <tool_call>{"name": "now"}</tool_call>' + " " * 20_000,
], ids=short_id)
def test_streaming_char_by_char_is_not_quadratic(text):
    start = time.perf_counter()
    parser = stream(text)
    assert time.perf_counter() - start < 5
    expected = parse_tool_calls(text, TOOLS)
    assert parser.result().content == expected.content
    assert [c["name"] for c in parser.result().tool_calls] == \
        [c["name"] for c in expected.tool_calls]


def test_prose_after_a_long_unterminated_name_is_released_before_the_end():
    parser = StreamingToolParser(TOOLS)
    shown = "".join(e.text for e in parser.feed("```" + "a" * 500 + " more"))
    assert shown.startswith("```aaa")


@pytest.mark.parametrize("depth", [50, 150, 995, 5000])
def test_deeply_nested_arguments_never_raise(depth):
    args = '{"a": ' * depth + "1" + "}" * depth
    text = f'<tool_call>{{"name": "now", "arguments": {args}}}</tool_call>'
    reply = parse_tool_calls(text, TOOLS)
    assert len(reply.tool_calls) + len(reply.invalid_tool_calls) == 1
    stream_reply = stream(text, 7).result()
    assert len(stream_reply.tool_calls) == len(reply.tool_calls)
