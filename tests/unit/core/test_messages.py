"""LangChain messages -> OpenAI wire dicts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_compat.core.messages import content_to_wire, message_to_wire, messages_to_wire
from langchain_compat.errors import CompatError, InvalidParameterError

IMG = "https://example.com/cat.png"

CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("system", SystemMessage("be brief"), {"role": "system", "content": "be brief"}),
    ("user", HumanMessage("hi"), {"role": "user", "content": "hi"}),
    ("assistant", AIMessage("hello"), {"role": "assistant", "content": "hello"}),
    ("assistant-empty", AIMessage(""), {"role": "assistant", "content": ""}),
    ("tool", ToolMessage("42", tool_call_id="call_1"),
     {"role": "tool", "tool_call_id": "call_1", "content": "42"}),
    # status: a typed failed id, not a wire key
    ("tool-error", ToolMessage("boom", tool_call_id="c", status="error"),
     {"role": "tool", "tool_call_id": "c", "content": "boom"}),
    ("function", FunctionMessage("r", name="f"), {"role": "function", "content": "r", "name": "f"}),
    ("user-name", HumanMessage("hi", name="alice"),
     {"role": "user", "content": "hi", "name": "alice"}),
    ("system-name", SystemMessage("s", name="sys"),
     {"role": "system", "content": "s", "name": "sys"}),
    ("assistant-name", AIMessage("a", name="bot"),
     {"role": "assistant", "content": "a", "name": "bot"}),
    ("tool-name-not-sent", ToolMessage("x", tool_call_id="c", name="adder"),
     {"role": "tool", "tool_call_id": "c", "content": "x"}),
    ("chat-user", ChatMessage(role="user", content="u"), {"role": "user", "content": "u"}),
    ("chat-developer", ChatMessage(role="developer", content="d"),
     {"role": "developer", "content": "d"}),
    ("text-parts-flattened",
     HumanMessage([{"type": "text", "text": "a"}, "b", {"type": "text", "text": "c"}]),
     {"role": "user", "content": "abc"}),
    ("image_url-str",
     HumanMessage([{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": IMG}]),
     {"role": "user", "content": [{"type": "text", "text": "what?"},
                                  {"type": "image_url", "image_url": {"url": IMG}}]}),
    ("image_url-dict",
     HumanMessage([{"type": "image_url", "image_url": {"url": IMG, "detail": "low"}}]),
     {"role": "user",
      "content": [{"type": "image_url", "image_url": {"url": IMG, "detail": "low"}}]}),
    ("standard-image-url", HumanMessage([{"type": "image", "url": IMG}]),
     {"role": "user", "content": [{"type": "image_url", "image_url": {"url": IMG}}]}),
    ("standard-image-base64",
     HumanMessage([{"type": "image", "base64": "AAAA", "mime_type": "image/png"}]),
     {"role": "user",
      "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}),
    ("v0-image-source-type", HumanMessage([{"type": "image", "source_type": "url", "url": IMG}]),
     {"role": "user", "content": [{"type": "image_url", "image_url": {"url": IMG}}]}),
    ("reasoning-block-dropped",
     AIMessage([{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "ok"}]),
     {"role": "assistant", "content": "ok"}),
]


@pytest.mark.parametrize(("message", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message_to_wire(message: Any, expected: dict[str, Any]) -> None:
    assert message_to_wire(message) == expected


def test_assistant_tool_calls() -> None:
    msg = AIMessage(
        "",
        tool_calls=[
            {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_a", "type": "tool_call"},
            {"name": "echo", "args": {"s": "日本"}, "id": None, "type": "tool_call"},
        ],
        invalid_tool_calls=[{"name": "bad", "args": "{oops", "id": "call_x", "error": "x",
                             "type": "invalid_tool_call"}],
    )
    wire = message_to_wire(msg)
    assert wire["role"] == "assistant"
    assert wire["content"] is None  # null beside tool_calls, as OpenAI wants
    calls = wire["tool_calls"]
    assert [c["id"] for c in calls] == ["call_a", "call_1", "call_x"]
    assert all(c["type"] == "function" for c in calls)
    assert json.loads(calls[0]["function"]["arguments"]) == {"a": 1, "b": 2}
    assert calls[1]["function"] == {"name": "echo", "arguments": '{"s": "日本"}'}
    assert calls[2]["function"] == {"name": "bad", "arguments": "{oops"}  # replayed verbatim


def test_assistant_text_kept_beside_tool_calls() -> None:
    msg = AIMessage("let me add",
                    tool_calls=[{"name": "add", "args": {}, "id": "c1", "type": "tool_call"}])
    wire = message_to_wire(msg)
    assert wire["content"] == "let me add"
    assert wire["tool_calls"][0]["function"]["arguments"] == "{}"


def test_assistant_list_content_with_image_is_flattened_to_text() -> None:
    msg = AIMessage([{"type": "text", "text": "see"}, {"type": "image_url", "image_url": IMG}])
    assert message_to_wire(msg)["content"] == "see"


def test_tool_message_list_content() -> None:
    msg = ToolMessage([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                      tool_call_id="c")
    assert message_to_wire(msg)["content"] == "ab"


@pytest.mark.parametrize("role", ["bot", "ai", "human", "", "System"])
def test_invalid_chat_role(role: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        message_to_wire(ChatMessage(role=role, content="x"))
    assert info.value.param == "messages"
    assert repr(role) in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "video", "url": "x"}],
        [{"type": "mystery"}],
        [{"type": "image"}],  # no source
        [{"type": "file", "base64": "AAA"}],  # no mime type
    ],
    ids=["video", "unknown", "image-no-source", "file-no-mime"],
)
def test_unsendable_content_raises_typed_error(content: list[Any]) -> None:
    with pytest.raises(InvalidParameterError) as info:
        message_to_wire(HumanMessage(content=content))
    assert info.value.param == "content"


def test_messages_to_wire_empty_raises() -> None:
    with pytest.raises(InvalidParameterError):
        messages_to_wire([])


def test_messages_to_wire_keeps_order() -> None:
    wire = messages_to_wire([SystemMessage("s"), HumanMessage("u"), AIMessage("a")])
    assert [m["role"] for m in wire] == ["system", "user", "assistant"]


def test_content_to_wire_str_is_identity() -> None:
    s = "plain"
    assert content_to_wire(s) is s


# -- property: only typed errors ------------------------------------------------

_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=8))
_json = st.recursive(_scalar,
                     lambda c: st.one_of(st.lists(c, max_size=3),
                                         st.dictionaries(st.text(max_size=5), c, max_size=3)),
                     max_leaves=6)
_types = st.one_of(
    st.sampled_from(["text", "text-plain", "image_url", "image", "file", "audio", "input_audio",
                     "tool_call", "reasoning", "video", "", "mystery"]),
    _scalar, st.lists(_scalar, max_size=2),
)
_block = st.one_of(  # pydantic only lets str and dict blocks into a message
    st.text(max_size=10),
    st.fixed_dictionaries(
        {"type": _types},
        optional={
            "text": _json, "image_url": _json, "url": _json, "base64": _json,
            "mime_type": _json, "source_type": _json, "id": _json, "data": _json,
        },
    ),
)
_content = st.one_of(st.text(max_size=10), st.lists(_block, max_size=4))


@st.composite
def messages(draw: st.DrawFn) -> Any:
    content = draw(_content)
    kind = draw(st.sampled_from(["human", "system", "ai", "tool", "chat", "function"]))
    name = draw(st.one_of(st.none(), st.text(max_size=5)))
    if kind == "human":
        return HumanMessage(content=content, name=name)
    if kind == "system":
        return SystemMessage(content=content, name=name)
    if kind == "ai":
        return AIMessage(content=content, name=name)
    if kind == "tool":
        return ToolMessage(content=content, tool_call_id=draw(st.text(max_size=5)), name=name)
    if kind == "function":
        return FunctionMessage(content=content, name=name or "f")
    return ChatMessage(content=content, role=draw(st.one_of(st.text(max_size=6),
                                                            st.sampled_from(["user", "tool"]))))


@settings(max_examples=400, deadline=None)
@given(msg=messages())
def test_conversion_raises_only_typed_errors(msg: Any) -> None:
    try:
        wire = message_to_wire(msg)
    except CompatError:
        return
    assert wire["role"] in {"system", "developer", "user", "assistant", "tool", "function"}
    json.dumps(wire)  # what we send must be JSON-serialisable


@pytest.mark.parametrize(
    "block",
    [{"type": "text", "text": None}, {"type": "text", "text": 3}, {"type": ["text"]},
     {"type": None}, {"type": "image_url"}, {"type": "image_url", "image_url": {"detail": "low"}},
     {"type": "audio", "base64": None, "mime_type": None}],
    ids=["text-none", "text-int", "type-list", "type-none", "image_url-missing", "image_url-no-url",
         "audio-none-mime"],
)
def test_malformed_blocks_raise_typed_error(block: dict[str, Any]) -> None:
    # Found by the property below: these raised TypeError or sent {"url": None}.
    with pytest.raises(InvalidParameterError):
        message_to_wire(HumanMessage(content=[block]))
