"""chat.completion bodies -> what invoke returns (driven sans-IO); reasoning fields and <think>
tags."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_compat.core.reasoning import ThinkSplitter, reasoning_field
from langchain_compat.core.response import ChatBody, usage_to_metadata
from langchain_compat.errors import ResponseParseError

from ..drive import read_body


def body(content: Any = "Hi", *, choices: list[dict[str, Any]] | None = None,
         **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "radiance",
        "choices": choices if choices is not None else [
            {"index": 0, "message": {"role": "assistant", "content": content},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 30, "completion_tokens": 60, "total_tokens": 90},
    }
    out.update(top)
    return out


def msg(b: dict[str, Any], i: int = 0, **kw: Any) -> Any:
    return read_body(b, **kw).generations[i].message


# -- usage ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, None),
        ({}, None),
        ({"prompt_tokens": 30, "completion_tokens": 60, "total_tokens": 90},
         {"input_tokens": 30, "output_tokens": 60, "total_tokens": 90}),
        ({"prompt_tokens": 3, "completion_tokens": 4},  # total missing: summed
         {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}),
        ({"prompt_tokens": None, "completion_tokens": 4, "total_tokens": None},
         {"input_tokens": 0, "output_tokens": 4, "total_tokens": 4}),
        ({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
          "prompt_tokens_details": {"cached_tokens": 8},
          "completion_tokens_details": {"reasoning_tokens": 2}},
         {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
          "input_token_details": {"cache_read": 8}, "output_token_details": {"reasoning": 2}}),
    ],
    ids=["none", "empty", "full", "no-total", "nulls", "details"],
)
def test_usage_to_metadata(usage: Any, expected: Any) -> None:
    assert usage_to_metadata(usage) == expected


def test_usage_metadata_on_message() -> None:
    assert msg(body()).usage_metadata == {"input_tokens": 30, "output_tokens": 60,
                                          "total_tokens": 90}


def test_no_usage_means_no_usage_metadata() -> None:
    b = body()
    del b["usage"]
    assert msg(b).usage_metadata is None


# -- response metadata ---------------------------------------------------------------

def test_response_metadata() -> None:
    logprobs = {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]}
    b = body(system_fingerprint="fp_1")
    b["choices"][0]["logprobs"] = logprobs
    m = msg(b)
    assert m.content == "Hi"
    assert m.id == "cmpl-1"
    meta = m.response_metadata
    assert meta["model_name"] == "radiance"
    assert meta["finish_reason"] == "stop"
    assert meta["id"] == "cmpl-1"
    assert meta["system_fingerprint"] == "fp_1"
    assert meta["logprobs"] == logprobs
    gen = read_body(b).generations[0]
    assert gen.generation_info == {"finish_reason": "stop", "logprobs": logprobs}


def test_llm_output_holds_only_what_the_message_metadata_holds() -> None:
    """LangChain merges llm_output into invoke's response_metadata; a stream has no
    llm_output, so it holds nothing a stream's metadata lacks (usage is usage_metadata)."""
    out = read_body(body(system_fingerprint="fp")).llm_output
    assert out == {"model_name": "radiance", "id": "cmpl-1", "system_fingerprint": "fp"}


def test_optional_metadata_absent_when_not_sent() -> None:
    meta = msg(body()).response_metadata
    assert "system_fingerprint" not in meta and "logprobs" not in meta


def test_null_content_becomes_empty_string() -> None:
    assert msg(body(None)).content == ""


def test_n_greater_than_one_returns_every_choice() -> None:
    choices = [
        {"index": i, "message": {"role": "assistant", "content": f"answer {i}"},
         "finish_reason": "stop" if i < 2 else "length"}
        for i in range(3)
    ]
    result = read_body(body(choices=choices))
    assert [g.message.content for g in result.generations] == ["answer 0", "answer 1", "answer 2"]
    assert [g.message.response_metadata["finish_reason"] for g in result.generations] == [
        "stop", "stop", "length"]
    # Usage on the first generation only, so summing generations does not double count.
    assert result.generations[0].message.usage_metadata["total_tokens"] == 90
    assert [g.message.usage_metadata for g in result.generations[1:]] == [None, None]


@pytest.mark.parametrize(
    "bad",
    [None, [], "text", {"choices": "x"}, {"error": "x"}, {"choices": []},
     {"choices": [{"index": 0, "finish_reason": "stop"}]},
     {"choices": [{"message": "just text"}]},
     {"choices": [5]},
     {"choices": [{"message": {"content": "x", "tool_calls": [5]}}]},
     {"choices": [{"message": {"content": "x", "tool_calls": [{"function": "f"}]}}]},
     {"choices": [{"message": {"content": "x"}}], "usage": "lots"},
     {"choices": [{"message": {"content": 5}}]}],
    ids=["none", "list", "str", "choices-str", "no-choices", "empty-choices", "no-message",
         "message-str", "choice-int", "tool-call-int", "function-str", "usage-str", "content-int"],
)
def test_unreadable_bodies_raise_parse_error(bad: Any) -> None:
    with pytest.raises(ResponseParseError):
        ChatBody().parse(bad)


# -- tool calls -----------------------------------------------------------------------

def tc(name: str, args: Any, id_: str = "call_1") -> dict[str, Any]:
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": args}}


def test_native_tool_calls() -> None:
    choice = {"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [tc("add", '{"a": 1, "b": 2}', "c1"), tc("now", "", "c2")]}}
    m = msg(body(choices=[choice]))
    assert m.content == ""
    assert m.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"},
        {"name": "now", "args": {}, "id": "c2", "type": "tool_call"},
    ]
    assert m.invalid_tool_calls == []
    assert m.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("raw", "valid", "invalid"),
    [
        (tc("f", '{"x": 1}'), [("f", {"x": 1})], []),
        (tc("f", {"x": 1}), [("f", {"x": 1})], []),  # object instead of a JSON string
        (tc("f", None), [("f", {})], []),
        (tc("f", "{bad json"), [], [("f", "{bad json")]),
        (tc("f", "[1, 2]"), [], [("f", "[1, 2]")]),
        (tc("f", '"str"'), [], [("f", '"str"')]),
        (tc("", '{"x": 1}'), [], [("", '{"x": 1}')]),
    ],
    ids=["json", "dict", "null-args", "bad-json", "array", "string", "no-name"],
)
def test_native_tool_call_arguments(raw: dict[str, Any], valid: list[Any],
                                    invalid: list[Any]) -> None:
    choice = {"index": 0, "finish_reason": "tool_calls",
              "message": {"role": "assistant", "content": None, "tool_calls": [raw]}}
    m = msg(body(choices=[choice]))
    ok, bad = m.tool_calls, m.response_metadata.get("invalid_tool_calls", [])
    assert [(c["name"], c["args"]) for c in ok] == valid
    assert [(c["name"] or "", c["args"]) for c in bad] == invalid
    assert all(c["id"] == "call_1" for c in [*ok, *bad])
    assert all(c["error"] for c in bad)
    assert m.invalid_tool_calls == []  # never a tool_call_chunk: see chat_models/chunks.py


def test_bad_json_args_are_reported_as_invalid_calls() -> None:
    choice = {"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "",
        "tool_calls": [tc("add", '{"a": 1,'), tc("ok", "{}", "c2")]}}
    m = msg(body(choices=[choice]))
    assert [c["name"] for c in m.tool_calls] == ["ok"]
    [bad] = m.response_metadata["invalid_tool_calls"]
    assert bad["name"] == "add" and bad["args"] == '{"a": 1,' and bad["id"] == "call_1"
    assert "JSON" in bad["error"]


def test_legacy_function_call() -> None:
    choice = {"index": 0, "finish_reason": "function_call", "message": {
        "role": "assistant", "content": None,
        "function_call": {"name": "f", "arguments": '{"q": "x"}'}}}
    m = msg(body(choices=[choice]))
    assert [(c["name"], c["args"]) for c in m.tool_calls] == [("f", {"q": "x"})]
    assert m.tool_calls[0]["id"]


# -- reasoning ---------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field: str) -> None:
    choice = {"index": 0, "finish_reason": "stop",
              "message": {"role": "assistant", "content": "42", field: "let me think"}}
    m = msg(body(choices=[choice]))
    assert m.content == "42"
    assert m.additional_kwargs["reasoning_content"] == "let me think"


def test_reasoning_content_wins_over_reasoning() -> None:
    assert reasoning_field({"reasoning_content": "a", "reasoning": "b"}) == "a"
    assert reasoning_field({"reasoning": 5}) is None
    assert reasoning_field({}) is None


def test_think_tags_split_in_responses() -> None:
    m = msg(body("<think>hmm</think>The answer is 4."))
    assert m.content == "The answer is 4."
    assert m.additional_kwargs == {"reasoning_content": "hmm"}


def test_think_tags_left_alone_when_profile_says_so() -> None:
    m = msg(body("<think>hmm</think>4"), think_tags=False)
    assert m.content == "<think>hmm</think>4"
    assert m.additional_kwargs == {}


def test_reasoning_field_and_think_tags_are_both_kept() -> None:
    """As a stream reads them: the field, then the tagged reasoning (nothing is dropped)."""
    choice = {"index": 0, "finish_reason": "stop",
              "message": {"role": "assistant", "content": "<think>tag</think>4",
                          "reasoning_content": "field"}}
    m = msg(body(choices=[choice]))
    assert m.content == "4"
    assert m.additional_kwargs["reasoning_content"] == "fieldtag"


def _split_stream(text: str, size: int) -> tuple[str, str]:
    sp = ThinkSplitter()
    r, a = [], []
    for i in range(0, len(text), size):
        x, y = sp.feed(text[i:i + size])
        r.append(x)
        a.append(y)
    x, y = sp.flush()
    return "".join(r + [x]), "".join(a + [y])


THINK = [
    ("<think>plan</think>answer", ("plan", "answer")),
    ("  <think>\nplan\n</think>\n\nanswer", ("plan", "answer")),
    ("<think>never closed", ("never closed", "")),
    ("no tags at all", (None, "no tags at all")),
    ("answer mentions <think> later", (None, "answer mentions <think> later")),
]


@pytest.mark.parametrize(("text", "expected"), THINK, ids=[t[0][:20] for t in THINK])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_think_splitter_reads_the_same_whatever_the_reads(text: str, expected: tuple[Any, str],
                                                           size: int) -> None:
    reasoning, answer = _split_stream(text, size)
    assert (reasoning.strip() or None, answer) == expected
    m = msg(body(text))  # a whole body is read by the same splitter
    whole_reasoning = (m.additional_kwargs.get("reasoning_content") or "").strip() or None
    assert (whole_reasoning, m.content) == expected
