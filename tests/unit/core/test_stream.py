"""Streamed chat.completion.chunk events -> chunks that aggregate like invoke."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessageChunk

from langchain_compat.chat_models.call import END
from langchain_compat.core.stream import ChatStream
from ..drive import make_call, message, model
from langchain_compat.errors import (
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)

USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def ev(delta: dict[str, Any] | None = None, finish: str | None = None,
       **top: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "model": "m"}
    if delta is not None or finish is not None:
        obj["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    obj.update(top)
    return obj


def sse(*objs: Any, done: bool = True, eol: str = "\n") -> bytes:
    out = "".join(f"data: {json.dumps(o) if not isinstance(o, str) else o}{eol}{eol}" for o in objs)
    if done:
        out += f"data: [DONE]{eol}{eol}"
    return out.encode()


def run(raw: bytes, *, size: int | None = None, **profile: Any
        ) -> tuple[ChatStream, AIMessageChunk, list[Any]]:
    """Stream ``raw`` through a chat call sans-IO (reads of ``size`` bytes): the call's SSE
    decoder, what the chunks add up to, and the chunks."""
    call = make_call(True, llm=model(**profile))
    send = call.next_action()
    st = send.reader
    pieces = [raw] if size is None else [raw[i:i + size] for i in range(0, len(raw), size)]
    chunks = [c for p in pieces for d in st.feed(p) for c in call.receive(d)]
    chunks += [c for d in st.close() for c in call.receive(d)]
    chunks += call.receive(END)
    msg = chunks[0].message
    for c in chunks[1:]:
        msg = msg + c.message
    return st, msg, chunks


TEXT_STREAM = sse(
    ev({"role": "assistant", "content": ""}),
    ev({"content": "There are "}),
    ev({"content": "365 days."}),
    ev({}, "stop", system_fingerprint="fp_x"),
    ev(choices=[], usage=USAGE),
)
TEXT_BODY = {
    "id": "chatcmpl-9", "object": "chat.completion", "model": "m", "system_fingerprint": "fp_x",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "There are 365 days."},
                 "finish_reason": "stop"}],
    "usage": USAGE,
}

TOOL_STREAM = sse(
    ev({"role": "assistant", "content": None,
        "tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                        "function": {"name": "add", "arguments": ""}}]}),
    ev({"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1, '}}]}),
    ev({"tool_calls": [{"index": 0, "function": {"arguments": '"b": 2}'}}]}),
    ev({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                        "function": {"name": "now", "arguments": "{}"}}]}),
    ev({}, "tool_calls"),
    ev(choices=[], usage=USAGE),
)
TOOL_BODY = {
    "id": "chatcmpl-9", "model": "m",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function",
             "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
            {"id": "call_b", "type": "function",
             "function": {"name": "now", "arguments": "{}"}}]}}],
    "usage": USAGE,
}

THINK_STREAM = sse(
    ev({"role": "assistant", "content": "<thi"}),
    ev({"content": "nk>I should add.</th"}),
    ev({"content": "ink>\n\n4"}),
    ev({}, "stop"),
    ev(choices=[], usage=USAGE),
)
THINK_BODY = {**TEXT_BODY, "system_fingerprint": None, "choices": [
    {"index": 0, "finish_reason": "stop",
     "message": {"role": "assistant", "content": "<think>I should add.</think>\n\n4"}}]}

REASONING_STREAM = sse(
    ev({"role": "assistant", "reasoning_content": "Let me "}),
    ev({"reasoning_content": "count."}),
    ev({"content": "365"}),
    ev({}, "stop"),
    ev(choices=[], usage=USAGE),
)
REASONING_BODY = {**TEXT_BODY, "system_fingerprint": None, "choices": [
    {"index": 0, "finish_reason": "stop",
     "message": {"role": "assistant", "content": "365", "reasoning_content": "Let me count."}}]}

PAIRS = [("text", TEXT_STREAM, TEXT_BODY), ("tools", TOOL_STREAM, TOOL_BODY),
         ("think", THINK_STREAM, THINK_BODY), ("reasoning", REASONING_STREAM, REASONING_BODY)]


@pytest.mark.parametrize(("stream", "body"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("size", [None, 1, 5, 64])
def test_chunks_aggregate_to_the_invoke_message(stream: bytes, body: dict[str, Any],
                                                size: int | None) -> None:
    st, streamed, _ = run(stream, size=size)
    invoked = message(body)
    assert streamed.content == invoked.content
    assert streamed.tool_calls == invoked.tool_calls
    assert streamed.invalid_tool_calls == invoked.invalid_tool_calls
    assert streamed.usage_metadata == invoked.usage_metadata
    assert streamed.additional_kwargs == invoked.additional_kwargs
    assert streamed.id == invoked.id
    for key in ("model_name", "finish_reason", "model_provider", "system_fingerprint"):
        assert streamed.response_metadata.get(key) == invoked.response_metadata.get(key), key
    assert st.done
    assert st.finish_reason == invoked.response_metadata["finish_reason"]


def test_state_attributes() -> None:
    st, _, chunks = run(TEXT_STREAM)
    assert st.text == "There are 365 days."
    assert st.chunks == 5  # deltas decoded: the call makes a chunk of the first, of those
    assert len(chunks) == 4  # with text, and a last one
    assert st.model_name == "m"
    assert st.response_id == "chatcmpl-9"


def test_usage_chunk() -> None:
    _, _, chunks = run(TEXT_STREAM)
    last = chunks[-1]
    assert last.message.content == ""
    assert last.message.usage_metadata == {"input_tokens": 7, "output_tokens": 3,
                                           "total_tokens": 10}
    assert sum(1 for c in chunks if c.message.usage_metadata) == 1


def test_usage_inside_the_finish_chunk() -> None:
    _, msg, chunks = run(sse(ev({"content": "x"}), ev({}, "stop", usage=USAGE)))
    assert msg.usage_metadata["total_tokens"] == 10
    assert [c.generation_info["finish_reason"] for c in chunks if c.generation_info] == ["stop"]
    assert chunks[-1].message.usage_metadata["total_tokens"] == 10  # usage comes once, last


def test_finish_chunk() -> None:
    """The reply's metadata comes once, on the last chunk (so nothing is added up twice)."""
    _, _, chunks = run(TEXT_STREAM)
    finish = [c for c in chunks if c.generation_info]
    assert finish == [chunks[-1]]
    assert finish[0].generation_info == {"finish_reason": "stop"}
    meta = finish[0].message.response_metadata
    assert (meta["finish_reason"], meta["model_name"], meta["system_fingerprint"]) == (
        "stop", "m", "fp_x")
    assert all(set(c.message.response_metadata) == {"model_provider"} for c in chunks[:-1])


def test_first_chunk_carries_id_and_provider_even_when_empty() -> None:
    _, _, chunks = run(TEXT_STREAM)
    first = chunks[0].message
    assert first.content == ""
    assert first.id == "chatcmpl-9"
    assert first.response_metadata == {"model_provider": "openai_compatible"}
    assert all(c.message.id is None for c in chunks[1:])


def test_empty_keepalive_deltas_are_not_chunks() -> None:
    _, _, chunks = run(sse(ev({"content": "a"}), ev({}), ev({"content": ""}), ev({}, "stop")))
    assert [c.message.content for c in chunks] == ["a", ""]


def test_logprobs_are_collected_into_the_last_chunk() -> None:
    lp_a = {"content": [{"token": "a", "logprob": -1.0}]}
    lp_b = {"content": [{"token": "b", "logprob": -2.0}]}
    stream = sse(*({"id": "x", "model": "m", "choices": [
        {"index": 0, "delta": {"content": t}, "logprobs": lp, "finish_reason": None}]}
        for t, lp in (("a", lp_a), ("b", lp_b))), ev({}, "stop"))
    _, msg, chunks = run(stream)
    both = {"content": lp_a["content"] + lp_b["content"]}
    assert chunks[-1].generation_info == {"finish_reason": "stop", "logprobs": both}
    assert msg.response_metadata["logprobs"] == both


@pytest.mark.parametrize("args", ["a=1", '{"a": ', "[1]"])
def test_bad_tool_args_in_stream_are_reported_not_called(args: str) -> None:
    """langchain-core would complete truncated JSON in merged chunks ('{"a": ' -> {}) into
    a runnable call: an invalid call is never a tool_call_chunk, it is reported."""
    stream = sse(ev({"tool_calls": [{"index": 0, "id": "c",
                                     "function": {"name": "f", "arguments": args}}]}),
                 ev({}, "tool_calls"))
    _, msg, _ = run(stream)
    assert msg.tool_calls == [] and msg.tool_call_chunks == []
    [bad] = msg.response_metadata["invalid_tool_calls"]
    assert (bad["name"], bad["args"], bad["id"]) == ("f", args, "c") and bad["error"]


def test_no_done_but_finish_reason_is_complete() -> None:
    st, msg, _ = run(sse(ev({"content": "hi"}), ev({}, "stop"), done=False))
    assert not st.done and st.finish_reason == "stop" and msg.content == "hi"


def test_trailing_event_without_blank_line_is_flushed_on_close() -> None:
    raw = sse(ev({"content": "hi"}), done=False) + b"data: " + json.dumps(ev({}, "stop")).encode()
    st, _, _ = run(raw)
    assert st.finish_reason == "stop"


def test_think_text_held_back_is_flushed_on_close() -> None:
    st, msg, _ = run(sse(ev({"content": "<thi"}), done=False))
    assert msg.content == "<thi"


@pytest.mark.parametrize(
    ("event", "cls", "status"),
    [
        ('event: error\ndata: {"error": {"message": "overloaded", "code": 503}}\n\n',
         ServerError, 503),
        ('data: {"error": {"message": "slow down", "code": 429}}\n\n', RateLimitError, 429),
        ('data: {"error": {"message": "bad key", "code": 401}}\n\n', AuthenticationError, 401),
        ('event: error\ndata: {"error": {"message": "boom"}}\n\n', ServerError, None),
        ('data: {"error": "plain"}\n\n', ServerError, None),
    ],
    ids=["event-error-503", "error-429", "error-401", "no-code", "string-error"],
)
def test_error_events_raise_typed_errors(event: str, cls: type[APIError],
                                         status: int | None) -> None:
    st = ChatStream(provider="P")
    assert st.feed(sse(ev({"content": "x"}), done=False))
    with pytest.raises(cls) as info:
        st.feed(event.encode())
    assert info.value.status_code == status
    assert info.value.provider == "P"
    assert info.value.message in ("overloaded", "slow down", "bad key", "boom", "plain")


def test_non_json_event_raises_parse_error() -> None:
    with pytest.raises(ResponseParseError, match="not JSON"):
        ChatStream().feed(b"data: {oops\n\n")


@pytest.mark.parametrize("data", ["[1, 2]", '"text"', "5"])
def test_non_object_event_raises_parse_error(data: str) -> None:
    with pytest.raises(ResponseParseError):
        ChatStream().feed(f"data: {data}\n\n".encode())


@pytest.mark.parametrize(
    "obj",
    [{"choices": [5]}, {"choices": [{"delta": "text"}]},
     {"choices": [{"delta": {"tool_calls": [5]}}]}, {"choices": [], "usage": "lots"}],
    ids=["choice-int", "delta-str", "tool-call-int", "usage-str"],
)
def test_malformed_chunks_raise_parse_error(obj: dict[str, Any]) -> None:
    with pytest.raises(ResponseParseError):
        ChatStream().feed(sse(obj, done=False))


def test_comment_and_blank_data_lines_are_ignored() -> None:
    _, msg, _ = run(b": ping\n\ndata:\n\n" + sse(ev({"content": "ok"}), ev({}, "stop")))
    assert msg.content == "ok"


def test_n_greater_than_one_follows_choice_zero_only() -> None:
    # Each chunk of an n=2 stream carries one choice tagged by index; the
    # streamed message must be choice 0, not the two answers interleaved.
    def c(i: int, text: str, finish: str | None = None) -> dict[str, Any]:
        return {"id": "x", "model": "m",
                "choices": [{"index": i, "delta": {"content": text}, "finish_reason": finish}]}

    st, msg, _ = run(sse(c(0, "A0 "), c(1, "B1 "), c(0, "A0b", "stop"), c(1, "B1b", "length"),
                         ev(choices=[], usage=USAGE)))
    assert msg.content == "A0 A0b"
    assert st.finish_reason == "stop"
    assert msg.usage_metadata["total_tokens"] == 10


def test_choice_without_index_counts_as_choice_zero() -> None:
    _, msg, _ = run(sse({"choices": [{"delta": {"content": "hi"}}]},
                        {"choices": [{"delta": {}, "finish_reason": "stop"}]}))
    assert msg.content == "hi"


# -- property: the aggregated message does not depend on how bytes are split --------------------


@st.composite
def _splits(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=15)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


_deltas = st.lists(st.text(alphabet="ab <>/thinké日\n", max_size=6), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(deltas=_deltas, eol=st.sampled_from(["\n", "\r\n", "\r"]), data=st.data())
def test_aggregate_is_independent_of_read_boundaries(deltas: list[str], eol: str,
                                                     data: st.DataObject) -> None:
    raw = sse(*(ev({"content": d}) for d in deltas), ev({}, "stop"), ev(choices=[], usage=USAGE),
              eol=eol)
    _, whole, _ = run(raw)
    pieces = data.draw(_splits(raw))
    call = make_call(True)
    st_ = call.next_action().reader
    chunks = [c for p in pieces for d in st_.feed(p) for c in call.receive(d)]
    chunks += [c for d in st_.close() for c in call.receive(d)] + call.receive(END)
    msg = chunks[0].message
    for c in chunks[1:]:
        msg = msg + c.message
    assert msg.content == whole.content
    assert msg.additional_kwargs == whole.additional_kwargs
    assert msg.usage_metadata == whole.usage_metadata
    # Reasoning + answer never lose or invent text.
    text = "".join(deltas)
    if "<think>" not in text and "</think>" not in text:
        assert msg.content == text
