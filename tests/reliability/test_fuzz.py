"""Fuzzing the sans-IO core with hypothesis.

- ``ChatStream``: random bytes, and random SSE built from random JSON, fed in
  random splits: only our typed errors (CompatError) ever escape, and a valid
  stream decodes to the same text however it is split.
- a whole reply read by a chat call (sans-IO, ``tests/unit/drive.py``): random
  OpenAI-shaped bodies give a ChatResult or a ResponseParseError, nothing else.
- LangChain messages -> wire -> back (for the fields that survive): equality.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_compat.core.messages import message_to_wire
from langchain_compat.core.stream import ChatStream
from langchain_compat.errors import CompatError, ResponseParseError
from unit.drive import read_body

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
                | st.floats(allow_nan=False) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
KEYS = ["id", "model", "choices", "delta", "message", "content", "role", "tool_calls", "function",
        "name", "arguments", "index", "finish_reason", "usage", "prompt_tokens",
        "completion_tokens", "error", "reasoning_content", "logprobs", "type", "object"]
# Dicts whose keys are mostly the ones the parser looks at, values anything.
shaped = st.recursive(
    json_scalars,
    lambda inner: (st.lists(inner, max_size=3)
                   | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=20,
)


def feed_all(data: bytes, cuts: list[int]) -> ChatStream:
    stream = ChatStream(provider="fuzz")
    points = sorted({c % (len(data) + 1) for c in cuts})
    start = 0
    for p in [*points, len(data)]:
        stream.feed(data[start:p])
        start = p
    stream.close()
    return stream


@FUZZ
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_stream_random_bytes_only_typed_errors(data: bytes, cuts: list[int]) -> None:
    try:
        feed_all(data, cuts)
    except CompatError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["", "event: error\n", "event: message\n", ": c\n",
                                           "id: 1\n"]),
                          shaped | st.just("[DONE]") | st.text(max_size=15)), max_size=6),
       st.lists(st.integers(0, 2000), max_size=8),
       st.sampled_from(["\n\n", "\r\n\r\n", "\r\r"]))
def test_stream_random_sse_events_only_typed_errors(events: list, cuts: list[int],
                                                    sep: str) -> None:
    parts = []
    for prefix, payload in events:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        parts.append(prefix + "".join(f"data: {line}\n" for line in data.split("\n")) + sep[1:]
                     if sep != "\r\r" else prefix.replace("\n", "\r") + f"data: {data}\r\r")
    try:
        feed_all("".join(parts).encode(), cuts)
    except CompatError:
        pass


words = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6),
                 min_size=1, max_size=8)


@FUZZ
@given(words, st.lists(st.integers(0, 5000), max_size=10))
def test_valid_stream_text_is_split_invariant(pieces: list[str], cuts: list[int]) -> None:
    events = [{"id": "c", "model": "m",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None}]}]
    events += [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": p},
                                                      "finish_reason": None}]} for p in pieces]
    events.append({"id": "c", "model": "m",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    raw = ("".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events)
           + "data: [DONE]\n\n")
    stream = ChatStream(provider="fuzz", think_tags=False)
    data = raw.encode()
    got = []
    points = sorted({c % (len(data) + 1) for c in cuts})
    start = 0
    for p in [*points, len(data)]:
        got += stream.feed(data[start:p])
        start = p
    got += stream.close()
    assert "".join(d.text for d in got) == "".join(pieces)
    assert stream.done and stream.finish_reason == "stop"


@FUZZ
@given(shaped)
def test_read_body_random_shapes(body: Any) -> None:
    try:
        read_body(body)
    except ResponseParseError:
        pass


choice_shape = st.fixed_dictionaries(
    {"index": st.integers(0, 3) | json_scalars,
     "finish_reason": st.sampled_from(["stop", "length", None]) | json_scalars,
     "message": st.fixed_dictionaries({}, optional={
         "role": st.just("assistant") | json_scalars,
         "content": st.text(max_size=30) | json_values,
         "reasoning_content": st.text(max_size=10) | json_values,
         "tool_calls": st.lists(
             st.fixed_dictionaries({}, optional={
                 "id": st.text(max_size=5) | json_scalars, "type": st.just("function"),
                 "function": st.fixed_dictionaries({}, optional={
                     "name": st.text(max_size=8) | json_scalars,
                     "arguments": st.text(max_size=20) | json_values})}) | json_values,
             max_size=3) | json_values,
         "function_call": json_values}) | json_values},
)


@FUZZ
@given(st.fixed_dictionaries({"choices": st.lists(choice_shape | json_values, max_size=3)},
                             optional={"id": json_scalars, "model": json_scalars,
                                       "usage": json_values | st.fixed_dictionaries({}, optional={
                                           "prompt_tokens": json_scalars,
                                           "completion_tokens": json_scalars,
                                           "total_tokens": json_scalars,
                                           "prompt_tokens_details": json_values,
                                           "completion_tokens_details": json_values})}))
def test_read_body_openai_shaped(body: dict) -> None:
    try:
        result = read_body(body)
    except ResponseParseError:
        return
    assert len(result.generations) == len(body["choices"])
    for gen in result.generations:
        assert isinstance(gen.message, AIMessage)


# -- round trip: LangChain -> wire -> back ------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
args = st.dictionaries(ident, json_values, max_size=4)
tool_calls = st.lists(st.builds(lambda n, a, i: {"name": n, "args": a, "id": i,
                                                 "type": "tool_call"},
                                ident, args, ident.map(lambda s: "call_" + s)), max_size=3,
                      unique_by=lambda c: c["id"])


@FUZZ
@given(text, tool_calls)
def test_ai_message_round_trip(content: str, calls: list[dict]) -> None:
    msg = AIMessage(content=content, tool_calls=calls)
    wire = message_to_wire(msg)
    assert wire["role"] == "assistant"
    back = read_body({"choices": [{"index": 0, "message": wire, "finish_reason": "stop"}]},
                     think_tags=False).generations[0].message
    assert back.content == content
    assert [(c["name"], c["args"], c["id"]) for c in back.tool_calls] == \
        [(c["name"], c["args"], c["id"]) for c in calls]
    assert back.invalid_tool_calls == []


@FUZZ
@given(text, st.sampled_from(["human", "system", "tool"]), ident)
def test_other_messages_round_trip(content: str, kind: str, call_id: str) -> None:
    cls = {"human": HumanMessage, "system": SystemMessage}.get(kind)
    msg = (ToolMessage(content=content, tool_call_id=call_id) if kind == "tool"
           else cls(content=content))
    wire = message_to_wire(msg)
    json.loads(json.dumps(wire))  # sendable as is
    assert wire["content"] == content
    assert wire["role"] == {"human": "user", "system": "system", "tool": "tool"}[kind]
    if kind == "tool":
        assert wire["tool_call_id"] == call_id
