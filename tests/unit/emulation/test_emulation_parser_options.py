"""parse_tool_calls(truncated=, calls_only=) and the streaming equivalents, and
unwrap_generic_response: table tests, each run one-shot and streamed with random splits."""

from __future__ import annotations

import pytest
from emulation_cases import PARIS, TOOLS, Case, seq_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from test_emulation_parser import summary

from langchain_compat.emulation import (
    StreamingToolParser,
    TextDelta,
    ToolCallDelta,
    parse_tool_calls,
    unwrap_generic_response,
)

LIMIT = "cut off at the token limit"
NOW = ("now", {})

# With truncated=True, a call the reply ends with and that has no closing marker of its own
# may be unfinished: invalid. The same texts with truncated=False give valid calls (`calls`).
TRUNCATED = [
    Case("no-closing-tag", '<tool_call>{"name": "now", "arguments": {}}', "", [NOW]),
    Case("half-closing-tag", '<tool_call>{"name": "now", "arguments": {}}</tool_ca', "", [NOW]),
    Case("bare-json-ends-reply", '{"name": "now", "arguments": {}}', "", [NOW]),
    Case("bare-json-then-whitespace", '{"name": "now", "arguments": {}}\n  ', "", [NOW]),
    Case("mistral-ends-reply", "[TOOL_CALLS]now[ARGS]{}", "", [NOW]),
    Case("unclosed-fence", '```json\n{"name": "now"}', "", [NOW]),
    Case("react-plain-input-ends-reply", "Action: lookup\nAction Input: Paris", "",
         [("lookup", {"term": "Paris"})]),
    Case("second-of-two-unclosed", '<tool_call>{"name": "now"}</tool_call><tool_call>'
         '{"name": "get_weather", "arguments": {"city": "Paris"}}', "", [NOW, PARIS]),
]
TRUNCATED_INVALID = {  # id -> names of the calls that become invalid with truncated=True
    "no-closing-tag": ["now"], "half-closing-tag": ["now"], "bare-json-ends-reply": ["now"],
    "bare-json-then-whitespace": ["now"], "mistral-ends-reply": ["now"], "unclosed-fence": ["now"],
    "react-plain-input-ends-reply": ["lookup"], "second-of-two-unclosed": ["get_weather"],
}
# ...and calls that stay valid with truncated=True: closed by their own marker, or followed
# by something (so the reply did not stop inside them).
NOT_TRUNCATED = [
    Case("closed-tag", '<tool_call>{"name": "now"}</tool_call>', "", [NOW]),
    Case("closed-tag-then-cut-text", '<tool_call>{"name": "now"}</tool_call>\nLet me', "Let me",
         [NOW]),
    Case("bare-json-then-ws-then-call", '{"name": "now"}\n<tool_call>{"name": "now"}</tool_call>',
         "", [NOW, NOW]),
    # untagged JSON followed by prose is shown, not made (issue 23, item 15): text
    Case("bare-json-then-text", 'Calling: {"name": "now"} and then I',
         'Calling: {"name": "now"} and then I', []),
    Case("closed-fence", '```json\n{"name": "now"}\n```', "", [NOW]),
    Case("forgotten-close-then-closed", '<tool_call>{"name": "now"}\n<tool_call>{"name": '
         '"get_weather", "arguments": {"city": "Paris"}}</tool_call>', "", [NOW, PARIS]),
    Case("react-observation", "Action: lookup\nAction Input: Paris\nObservation:", "",
         [("lookup", {"term": "Paris"})]),
    Case("llama-eom", '<|python_tag|>now.call()<|eom_id|>', "", [NOW]),
    Case("text-only", "I was about to say", "I was about to say", []),
]

# calls_only=True: calls only when the reply is nothing but calls; else all of it is text.
CALLS_ONLY = [
    Case("only-a-call", '<tool_call>{"name": "now"}</tool_call>', "", [NOW]),
    Case("calls-and-whitespace", '\n<tool_call>{"name": "now"}</tool_call>\n\n{"name": '
         '"get_weather", "arguments": {"city": "Paris"}}\n', "", [NOW, PARIS]),
    Case("think-then-call", '<think>the user wants the time</think>\n<tool_call>{"name": "now"}'
         "</tool_call>", "<think>the user wants the time</think>", [NOW]),
    Case("kimi-with-section-markers",
         "<|tool_calls_section_begin|><|tool_call_begin|>functions.now:0"
         "<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>", "", [NOW]),
    Case("invalid-call-only", '<tool_call>{"name": "fly"}</tool_call>', "", []),
    Case("prose-before", 'Sure! <tool_call>{"name": "now"}</tool_call>',
         'Sure! <tool_call>{"name": "now"}</tool_call>', []),
    Case("prose-after", '<tool_call>{"name": "now"}</tool_call>\nDone.',
         '<tool_call>{"name": "now"}</tool_call>\nDone.', []),
    Case("prose-between", '<tool_call>{"name": "now"}</tool_call> and <tool_call>{"name": "now"}'
         "</tool_call>", '<tool_call>{"name": "now"}</tool_call> and <tool_call>{"name": "now"}'
         "</tool_call>", []),
    Case("code-block-is-prose", '```python\nprint(1)\n```\n<tool_call>{"name": "now"}</tool_call>',
         '```python\nprint(1)\n```\n<tool_call>{"name": "now"}</tool_call>', []),
    Case("plain-answer", "  It is 4 pm.  ", "It is 4 pm.", []),
    Case("empty", "", "", []),
]
CALLS_ONLY_INVALID = {"invalid-call-only": ["fly"]}


def stream(text, cuts, *, calls_only=False, truncated=False):
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids, calls_only=calls_only)
    points = sorted({c % (len(text) + 1) for c in cuts}) if text else []
    events, last = [], 0
    for p in [*points, len(text)]:
        events += parser.feed(text[last:p])
        last = p
    events += parser.finish(truncated=truncated)
    return parser, events


def check(case, invalid_names, cuts, **options):
    reply = parse_tool_calls(case.text, TOOLS, id_factory=seq_ids, **options)
    content, calls, invalid = summary(reply)
    assert content == case.content
    assert calls == [c for c in case.calls if c[0] not in invalid_names]
    assert [name for name, _ in invalid] == invalid_names
    parser, events = stream(case.text, cuts, **options)
    assert parser.result() == reply
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == reply.content
    assert [e.index for e in events if isinstance(e, ToolCallDelta)] == \
        list(range(len(reply.tool_calls) + len(reply.invalid_tool_calls)))
    return reply


cuts_strategy = st.lists(st.integers(min_value=0, max_value=1000), max_size=25)


@pytest.mark.parametrize("case", TRUNCATED, ids=[c.id for c in TRUNCATED])
@settings(max_examples=40, deadline=None)
@given(cuts=cuts_strategy)
def test_truncated_reply_ending_in_an_unclosed_call_makes_it_invalid(case, cuts):
    reply = check(case, TRUNCATED_INVALID[case.id], cuts, truncated=True)
    assert all(LIMIT in c["error"] for c in reply.invalid_tool_calls)
    check(case, [], cuts)  # without the flag, the same text is a valid call


@pytest.mark.parametrize("case", NOT_TRUNCATED, ids=[c.id for c in NOT_TRUNCATED])
@settings(max_examples=40, deadline=None)
@given(cuts=cuts_strategy)
def test_truncated_reply_keeps_calls_closed_or_followed(case, cuts):
    check(case, [], cuts, truncated=True)


@pytest.mark.parametrize("case", CALLS_ONLY, ids=[c.id for c in CALLS_ONLY])
@settings(max_examples=40, deadline=None)
@given(cuts=cuts_strategy)
def test_calls_only_accepts_calls_only_when_the_reply_is_nothing_else(case, cuts):
    check(case, CALLS_ONLY_INVALID.get(case.id, []), cuts, calls_only=True)


def test_truncated_error_keeps_the_arguments_and_a_prior_reason():
    [bad] = parse_tool_calls('{"name": "get_weather", "arguments": {"city": "Paris"}}', TOOLS,
                             truncated=True).invalid_tool_calls
    assert bad["name"] == "get_weather" and bad["args"] == '{"city": "Paris"}'
    [bad] = parse_tool_calls('<tool_call>{"name": "get_weather", "arguments": {}}', TOOLS,
                             truncated=True).invalid_tool_calls
    assert LIMIT in bad["error"] and "missing required argument 'city'" in bad["error"]


def test_stream_holds_a_bare_call_until_it_is_known_not_to_end_the_reply():
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('{"name": "now"}') == []
    assert parser.feed("\n") == []  # whitespace: the reply may still end here or go on
    out = parser.feed('<tool_call>{"name": "now"}</tool_call>')  # another call follows
    assert [(c.name, c.valid) for c in out] == [("now", True), ("now", True)]
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('{"name": "now"}') == []
    # prose follows: the JSON was an example the reply showed, and it is released as text
    assert parser.feed(" and more") == [TextDelta('{"name": "now"} and more')]
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids)
    assert parser.feed('{"name": "now"}\n') == []
    [call] = parser.finish(truncated=True)
    assert not call.valid and LIMIT in call.error


def test_calls_only_stream_releases_everything_as_text_once_prose_appears():
    parser = StreamingToolParser(TOOLS, id_factory=seq_ids, calls_only=True)
    assert parser.feed('<tool_call>{"name": "now"}</tool_call>\n') == []
    assert parser.feed("Done") == [TextDelta('<tool_call>{"name": "now"}</tool_call>\nDone')]
    assert parser.feed(" soon.") == [TextDelta(" soon.")]
    assert parser.finish() == []
    assert not parser.result().has_calls


@pytest.mark.parametrize("text, inner", [
    ('{"response": "Hello!"}', "Hello!"),
    ('  \n{"response": "line1\\nline2 {x}"}\n', "line1\nline2 {x}"),
    ('{"response": ""}', ""),
    ('{"response": "Hi", "extra": 1}', None),
    ('{"response": 42}', None),
    ('{"response": "Hi"} and more', None),
    ('Sure: {"response": "Hi"}', None),
    ('{"response": "Hi"', None),
    ('{"tool_call": {"name": "now", "arguments": {}}}', None),
    ('["response"]', None),
    ("", None),
])
def test_unwrap_generic_response(text, inner):
    assert unwrap_generic_response(text) == inner


def test_generic_shapes_are_calls_and_the_response_shape_is_not():
    reply = parse_tool_calls('{"tool_call": {"name": "now", "arguments": {}}}', TOOLS)
    assert [c["name"] for c in reply.tool_calls] == ["now"]
    reply = parse_tool_calls('{"response": "It is 4 pm."}', TOOLS)
    assert not reply.has_calls and unwrap_generic_response(reply.content) == "It is 4 pm."
