"""StreamingToolParser: same result as parse_tool_calls for every split, text not delayed."""

from __future__ import annotations

import pytest
from emulation_cases import ALL_CASES, TOOLS, seq_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from test_emulation_parser import messy_text

from langchain_compat.emulation import (
    StreamingToolParser,
    TextDelta,
    ToolCallDelta,
    parse_tool_calls,
)


def stream(text, cuts, tools=TOOLS):
    parser = StreamingToolParser(tools, id_factory=seq_ids)
    events = []
    points = sorted({c % (len(text) + 1) for c in cuts}) if text else []
    last = 0
    for p in [*points, len(text)]:
        events += parser.feed(text[last:p])
        last = p
    events += parser.finish()
    return parser, events


def assert_matches_invoke(text, cuts, tools=TOOLS):
    parser, events = stream(text, cuts, tools)
    expected = parse_tool_calls(text, tools, id_factory=seq_ids)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == expected.content
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [d.index for d in deltas] == list(range(len(deltas)))
    valid = [(d.id, d.name) for d in deltas if d.valid]
    assert valid == [(c["id"], c["name"]) for c in expected.tool_calls]
    invalid = [(d.id, d.name, d.error) for d in deltas if not d.valid]
    assert invalid == [(c["id"], c["name"], c["error"]) for c in expected.invalid_tool_calls]
    assert parser.result() == expected


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_table_case_streams_like_invoke_for_any_split(case, cuts):
    assert_matches_invoke(case.text, cuts)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_table_case_char_by_char(case):
    assert_matches_invoke(case.text, list(range(len(case.text))))


@settings(max_examples=300, deadline=None)
@given(text=messy_text, cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=20),
       tools=st.sampled_from([TOOLS, None]))
def test_streaming_invariant_on_messy_text(text, cuts, tools):
    assert_matches_invoke(text, cuts, tools)


def test_plain_text_is_released_immediately():
    parser = StreamingToolParser(TOOLS)
    assert parser.feed("Hello") == [TextDelta("Hello")]
    assert parser.feed(" wor") == [TextDelta(" wor")]
    assert parser.feed("ld. ") == [TextDelta("ld.")]  # trailing space waits for what follows
    assert parser.feed("Bye") == [TextDelta(" Bye")]
    assert parser.finish() == []


def test_candidate_is_held_then_released_when_it_turns_out_to_be_prose():
    parser = StreamingToolParser(TOOLS)
    assert parser.feed("Use <tool") == [TextDelta("Use")]
    assert parser.feed("bar> now") == [TextDelta(" <toolbar> now")]


def test_json_example_is_released_as_soon_as_its_first_key_is_known():
    parser = StreamingToolParser(TOOLS)
    assert parser.feed('Like {"ci') == [TextDelta("Like")]
    assert parser.feed('ty": ') == [TextDelta(' {"city":')]


def test_call_is_emitted_once_complete_with_validated_arguments():
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"') == []
    events = parser.feed(', "days": "2"}}</tool_call>')
    assert events == [ToolCallDelta(0, seq_ids(0), "get_weather",
                                    '{"city": "Paris", "days": 2}')]
    assert parser.finish() == []


def test_a_bare_call_is_emitted_when_the_next_call_starts():
    # (a bare call has no end marker: it is whole once anything follows it; a call about to
    # start counts, so a reader that wants one call need not wait for the second to end)
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('{"name": "get_weather", "arguments": {"city": "Paris"}}\n') == []
    events = parser.feed('{"name": "get_weather", "argum')
    assert events == [ToolCallDelta(0, seq_ids(0), "get_weather", '{"city": "Paris"}')]
    [second] = parser.feed('ents": {"city": "Rome"}}') + parser.finish()
    assert (second.index, second.args_json) == (1, '{"city": "Rome"}')


def test_unclosed_call_is_flushed_by_finish():
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('<tool_call>{"name": "now"}') == []
    [event] = parser.finish()
    assert (event.name, event.args_json, event.error) == ("now", "{}", None)


def test_invalid_call_event_carries_the_error():
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    events = parser.feed('<tool_call>{"name": "fly", "arguments": {"to": "Rome"}}</tool_call>')
    assert len(events) == 1 and not events[0].valid
    assert events[0].args_json == '{"to": "Rome"}' and "unknown tool" in events[0].error


def test_feed_after_finish_raises():
    parser = StreamingToolParser(TOOLS)
    parser.finish()
    with pytest.raises(RuntimeError):
        parser.feed("x")


def test_long_call_streamed_in_small_chunks_is_linear_enough():
    args = ", ".join(f'"k{i}": "{"v" * 20}"' for i in range(400))
    text = '{"name": "search", "arguments": {"query": "q", ' + args + "}}"
    parser = StreamingToolParser(TOOLS)
    events = []
    for i in range(0, len(text), 3):
        events += parser.feed(text[i:i + 3])
    events += parser.finish()
    assert [e.name for e in events if isinstance(e, ToolCallDelta)] == ["search"]


def test_delta_converts_to_a_langchain_tool_call_chunk():
    from langchain_core.messages import AIMessageChunk

    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    [event] = parser.feed('<tool_call>{"name": "now"}</tool_call>')
    chunk = AIMessageChunk(content="", tool_call_chunks=[event.as_tool_call_chunk()])
    assert chunk.tool_calls == [{"name": "now", "args": {}, "id": seq_ids(0),
                                 "type": "tool_call"}]


CUSTOMER = {"type": "function", "function": {"name": "unicode_customer", "parameters": {
    "type": "object", "required": ["customer_name", "description"],
    "properties": {"customer_name": {"type": "string"}, "description": {"type": "string"}}}}}
_WRONG_NAME = ('```json\n{\n  "name": "你好啊集团",\n  "arguments": {\n'
               '    "customer_name": "你好啊集团",\n'
               '    "description": "一家中国科技公司"\n  }\n}\n```')


@pytest.mark.parametrize("text", [
    _WRONG_NAME,
    '<tool_call>{"name": "こんにちは株式会社", "arguments": '
    '{"customer_name": "こんにちは株式会社", "description": "日本の会社"}}</tool_call>',
])
@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=20))
def test_a_call_naming_an_argument_value_is_the_sole_tools_call(text, cuts):
    """Seen with Qwen2.5-0.5B on llama-server (standard unicode test): the value went in the
    name."""
    parsed = parse_tool_calls(text, [CUSTOMER])
    assert [c["name"] for c in parsed.tool_calls] == ["unicode_customer"]
    assert parsed.content == "" and not parsed.invalid_tool_calls
    assert_matches_invoke(text, cuts, [CUSTOMER])


@pytest.mark.parametrize("text, tools", [
    (_WRONG_NAME, [CUSTOMER, *TOOLS]),  # several tools: an unknown name is not guessed
    # not all required
    ('```json\n{"name": "Bob", "arguments": {"customer_name": "Bob"}}\n```', [CUSTOMER]),
    # a key the tool does not have
    ('```json\n{"name": "Bob", "arguments": '
     '{"customer_name": "B", "description": "d", "age": 3}}\n```', [CUSTOMER]),
])
def test_an_unknown_name_stays_text_unless_the_arguments_fit_the_only_tool(text, tools):
    parsed = parse_tool_calls(text, tools)
    assert not parsed.tool_calls and not parsed.invalid_tool_calls
    assert_matches_invoke(text, list(range(0, len(text), 7)), tools)
