"""Replies: the default responder, scripts, n/stop/max_tokens, streaming shape."""

from __future__ import annotations

import json

from langchain_compat.testing import Reply, ToolCall

from .conftest import assemble, post_chat, stream_chunks, stream_events


def _choice(r, i=0):
    assert r.status_code == 200, r.text
    return r.json()["choices"][i]


def test_default_reply_is_a_stable_echo(cotomi):
    first = _choice(post_chat(cotomi, "What is 2+2?"))
    again = _choice(post_chat(cotomi, "What is 2+2?"))
    assert (
        first["message"]
        == again["message"]
        == {"role": "assistant", "content": "Echo: What is 2+2?"}
    )
    assert first["finish_reason"] == "stop"


def test_completion_shape_and_usage(cotomi):
    body = post_chat(cotomi, "one two three").json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "cotomi-fast-v2.0"
    usage = body["usage"]
    assert usage["completion_tokens"] == 4  # "Echo:", " one", " two", " three"
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_n_choices(cotomi):
    body = post_chat(cotomi, "hi", n=3).json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert {c["message"]["content"] for c in body["choices"]} == {"Echo: hi"}


def test_stop_truncates(cotomi):
    choice = _choice(post_chat(cotomi, "alpha beta STOP gamma", stop=["STOP", "zzz"]))
    assert choice["message"]["content"] == "Echo: alpha beta "
    assert choice["finish_reason"] == "stop"


def test_max_tokens_truncates_with_length(cotomi):
    choice = _choice(post_chat(cotomi, "a b c d e f", max_tokens=3))
    assert choice["message"]["content"] == "Echo: a b"
    assert choice["finish_reason"] == "length"


def test_json_mode_default_reply(emulator):
    emu = emulator("openai-compatible")
    choice = _choice(post_chat(emu, "hi", response_format={"type": "json_object"}))
    assert json.loads(choice["message"]["content"]) == {"echo": "hi"}


def test_script_queue_then_default(cotomi):
    cotomi.script(["first", "second"])
    assert cotomi.pending_replies == 2
    assert _choice(post_chat(cotomi))["message"]["content"] == "first"
    assert _choice(post_chat(cotomi))["message"]["content"] == "second"
    assert _choice(post_chat(cotomi, "x"))["message"]["content"] == "Echo: x"


def test_refused_request_does_not_consume_the_script(cotomi):
    cotomi.script("kept")
    assert post_chat(cotomi, logit_bias={"1": 1}).status_code == 400
    assert _choice(post_chat(cotomi))["message"]["content"] == "kept"


def test_raw_tool_call_text_for_backends_without_tools(cotomi):
    raw = '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'
    cotomi.script([raw])
    choice = _choice(post_chat(cotomi))
    assert choice["message"]["content"] == raw and "tool_calls" not in choice["message"]


def test_native_tool_calls_refused_in_script_for_backends_without_tools(cotomi):
    cotomi.script([{"tool_calls": [{"name": "add", "arguments": {"a": 1}}]}])
    r = post_chat(cotomi)
    assert r.status_code == 500 and r.json()["error"]["code"] == "bad_script"


def test_structured_tool_calls(emulator):
    emu = emulator("ektos")
    emu.script(
        [
            {
                "tool_calls": [
                    {"name": "add", "arguments": {"a": 1, "b": 2}},
                    {"name": "mul", "arguments": '{"x": 3}', "id": "call_fixed"},
                ]
            }
        ]
    )
    choice = _choice(post_chat(emu, tools=[]))
    assert choice["finish_reason"] == "tool_calls"
    msg = choice["message"]
    assert msg["content"] is None
    calls = msg["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["add", "mul"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"a": 1, "b": 2}
    assert calls[0]["id"].startswith("call_") and calls[1]["id"] == "call_fixed"
    assert all(c["type"] == "function" for c in calls)


def test_callable_and_reply_objects(emulator):
    emu = emulator("avangenio")
    emu.script(
        [
            lambda req: f"you said {req.last_user_text!r} to {req.model}",
            Reply(content="done", tool_calls=(ToolCall("f", "{}"),)),
        ]
    )
    assert _choice(post_chat(emu, "yo"))["message"]["content"] == "you said 'yo' to radiance"
    choice = _choice(post_chat(emu))
    assert choice["message"]["content"] == "done" and choice["finish_reason"] == "tool_calls"


def test_a_broken_script_item_is_a_500_with_the_reason(cotomi):
    cotomi.script([lambda req: 1 / 0, 42])
    first, second = post_chat(cotomi), post_chat(cotomi)
    assert first.status_code == second.status_code == 500
    assert "ZeroDivisionError" in first.json()["error"]["message"]
    assert "42" in second.json()["error"]["message"]


# ---------------------------------------------------------------- streaming


def test_stream_chunks_are_realistic(cotomi):
    chunks = stream_chunks(cotomi, "one two three")
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content_chunks = [c for c in chunks if c["choices"][0]["delta"].get("content")]
    assert len(content_chunks) == 4  # split into several tokens
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"][0]["delta"] == {}
    assert all("usage" not in c for c in chunks)
    assert assemble(chunks) == ("Echo: one two three", [], "stop")


def test_stream_usage_only_when_asked(cotomi):
    chunks = stream_chunks(cotomi, "hi", stream_options={"include_usage": True})
    last = chunks[-1]
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 2
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_honours_stop_max_tokens_and_n(cotomi):
    chunks = stream_chunks(cotomi, "a b c d", max_tokens=2, n=2)
    for i in (0, 1):
        assert assemble(chunks, i) == ("Echo: a", [], "length")
    chunks = stream_chunks(cotomi, "a b STOP c", stop="STOP")
    assert assemble(chunks) == ("Echo: a b ", [], "stop")


def test_streamed_tool_call_deltas(emulator):
    emu = emulator("telkom", rate_limit=None)
    args = {"city": "Jakarta", "days": 3, "units": "metric"}
    emu.script(
        [{"content": "Let me check.", "tool_calls": [{"name": "weather", "arguments": args}]}]
    )
    chunks = stream_chunks(emu)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    heads = [d["tool_calls"][0] for d in deltas if "tool_calls" in d and "id" in d["tool_calls"][0]]
    assert len(heads) == 1 and heads[0]["function"] == {"name": "weather", "arguments": ""}
    pieces = [
        d["tool_calls"][0]["function"]["arguments"]
        for d in deltas
        if "tool_calls" in d and "id" not in d["tool_calls"][0]
    ]
    assert len(pieces) > 2  # arguments split
    content, calls, finish = assemble(chunks)
    assert content == "Let me check." and finish == "tool_calls"
    assert calls[0]["name"] == "weather" and json.loads(calls[0]["arguments"]) == args


def test_stream_ends_with_done(cotomi):
    assert stream_events(cotomi)[-1] == "[DONE]"
