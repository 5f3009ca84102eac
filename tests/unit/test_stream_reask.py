"""A stream whose reply breaks tool_choice is re-asked inside the same ``stream()``:
the unusable call is never surfaced, and text the user was already shown is not
shown twice when the second attempt starts with the same words."""

from __future__ import annotations

import json

import httpx

from langchain_compat import ChatOpenAICompatible

TOOL = {"type": "function", "function": {"name": "add", "description": "Add.", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"]}}}


def _sse(texts: list[str]) -> bytes:
    chunks = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": t}}]} for t in texts]
    chunks.append({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


def test_stream_reask_is_invisible_and_does_not_repeat_shown_text() -> None:
    replies = [
        _sse(["Let me ", "add. ", '<tool_call>{"name": "add", "arguments": {"a": "x"}}</tool_call>']),
        _sse(["Let me ", "add. ", '<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>']),
    ]
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, stream=httpx.ByteStream(replies[len(bodies) - 1]),
                              headers={"content-type": "text/event-stream"})

    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    chunks = list(llm.bind_tools([TOOL], tool_choice="add").stream("2+3?"))
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert len(bodies) == 2  # one re-ask
    assert "could not be used" in bodies[1]["messages"][-1]["content"]
    assert full.content == "Let me add."  # shown once, not twice
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert not full.invalid_tool_calls
