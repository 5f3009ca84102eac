"""Native calls a server sends malformed: invoke and stream read them alike, as invalid
calls reported in ``response_metadata["invalid_tool_calls"]``, never a raw exception."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_compat import ChatOpenAICompatible

TOOL = {"type": "function", "function": {"name": "add", "description": "Add.", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}


def _llm(call: dict[str, Any]) -> ChatOpenAICompatible:
    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            events = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {
                          "role": "assistant", "tool_calls": [{"index": 0, **call}]}}]},
                      {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {},
                                                            "finish_reason": "tool_calls"}]}]
            raw = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            return httpx.Response(200, content=raw.encode(),
                                  headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"id": "c", "model": "m", "choices": [{
            "index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": None, "tool_calls": [call]}}]})

    return ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                                tool_calling="native", max_tool_reasks=0,
                                http_client=httpx.Client(transport=httpx.MockTransport(handler)))


NAMELESS = [
    {"id": "c1", "type": "function", "function": {"arguments": '{"a": 1}'}},
    {"id": "c1", "type": "function", "function": {"name": None, "arguments": '{"a": 1}'}},
    {"id": "c1", "type": "function", "function": {"name": "", "arguments": '{"a": 1}'}},
    {"id": "c1", "type": "function", "function": {"name": 5, "arguments": '{"a": 1}'}},
    {"id": 7, "type": "function", "function": {"name": 5, "arguments": '{"a": 1}'}},
]


@pytest.mark.parametrize("call", NAMELESS, ids=["missing", "null", "empty", "number", "number-id"])
def test_a_call_without_a_usable_name_is_invalid_on_both_paths(call: dict[str, Any]) -> None:
    bound = _llm(call).bind_tools([TOOL])
    invoked = bound.invoke("add one")
    chunks = list(bound.stream("add one"))
    streamed = chunks[0]
    for chunk in chunks[1:]:
        streamed = streamed + chunk
    for message in (invoked, streamed):
        assert message.tool_calls == [] and message.invalid_tool_calls == []
        [bad] = message.response_metadata["invalid_tool_calls"]
        assert bad["name"] is None and bad["error"] == "tool call has no function name"
        assert bad["args"] == '{"a": 1}'
