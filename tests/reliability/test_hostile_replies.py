"""Replies written to trip the reader (issue #23, item 15), on both paths, over loopback HTTP.

Before: a native call whose ``arguments`` string is 50,000 ``[`` raised a bare
RecursionError; call-shaped JSON a reply only *shows* ("The docs show this example:
{...} which I will not run.", or the same in a fenced block inside prose) was executed.
After: the first is an invalid call (reported, not raised); the second is text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_compat import ChatOpenAICompatible

from .rawhttp import RawServer, chunk, ok_json, response, sse

pytestmark = pytest.mark.timeout(60)


def delete_account(user: str) -> str:
    """Delete a user's account for good."""
    return "deleted"


def _message(msg: dict[str, Any], finish: str) -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": msg}]}


def _serve(body: dict[str, Any], events: list[dict[str, Any]]) -> tuple[RawServer, RawServer]:
    def whole(conn, n, head, b) -> bool:
        conn.sendall(ok_json(body))
        return True

    def streamed(conn, n, head, b) -> bool:
        conn.sendall(response(200, sse(*events), {"Content-Type": "text/event-stream"}))
        return True

    return RawServer(whole), RawServer(streamed)


def _both(body: dict[str, Any], events: list[dict[str, Any]], tool_calling: str) -> list[Any]:
    """The invoke reply and the stream's chunks added up, from the same reply."""
    out = []
    whole, streamed = _serve(body, events)
    for srv, stream in ((whole, False), (streamed, True)):
        with srv:
            llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m",
                                       max_retries=0, timeout=20, tool_calling=tool_calling)
            bound = llm.bind_tools([delete_account])
            if stream:
                msg = None
                for c in bound.stream("delete ada?"):
                    msg = c if msg is None else msg + c
            else:
                msg = bound.invoke("delete ada?")
            out.append(msg)
    return out


def test_native_arguments_nested_50000_deep_are_an_invalid_call_not_a_recursion_error() -> None:
    args = "[" * 50_000
    call = {"id": "c1", "type": "function",
            "function": {"name": "delete_account", "arguments": args}}
    body = _message({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")
    events = [
        {"id": "s", "object": "chat.completion.chunk", "model": "m",
         "choices": [{"index": 0, "finish_reason": None,
                      "delta": {"tool_calls": [{"index": 0, **call}]}}]},
        chunk("", "tool_calls"),
    ]
    for msg in _both(body, events, "native"):
        assert msg.tool_calls == []
        [bad] = msg.response_metadata["invalid_tool_calls"]
        assert bad["name"] == "delete_account" and "not a JSON object" in bad["error"]


SHOWN = {
    "in prose": 'The docs show this example: {"name": "delete_account", "arguments": '
                '{"user": "ada"}} which I will not run.',
    "fenced inside prose": 'The docs show this example:\n```json\n{"name": "delete_account", '
                           '"arguments": {"user": "ada"}}\n```\nwhich I will not run.',
}


@pytest.mark.parametrize("label", list(SHOWN))
def test_call_shaped_json_a_reply_shows_is_text_not_a_call(label: str) -> None:
    text = SHOWN[label]
    body = _message({"role": "assistant", "content": text}, "stop")
    events = [chunk(text[i:i + 5]) for i in range(0, len(text), 5)] + [chunk("", "stop")]
    for msg in _both(body, events, "emulated"):
        assert msg.tool_calls == [] and msg.invalid_tool_calls == []
        assert msg.content == text


def test_a_call_written_alone_is_still_made() -> None:
    """The guard above does not cost the calls a small model writes bare or after a lead-in."""
    text = 'I will delete it now:\n{"name": "delete_account", "arguments": {"user": "ada"}}'
    body = _message({"role": "assistant", "content": text}, "stop")
    events = [chunk(text[i:i + 5]) for i in range(0, len(text), 5)] + [chunk("", "stop")]
    for msg in _both(body, events, "emulated"):
        assert [(c["name"], c["args"]) for c in msg.tool_calls] == [
            ("delete_account", {"user": "ada"})]
        assert msg.content == "I will delete it now:"


def test_the_invalid_record_is_json_serialisable() -> None:
    """What the deep call leaves in response_metadata can be logged or stored as JSON."""
    call = {"id": "c1", "type": "function",
            "function": {"name": "delete_account", "arguments": "[" * 50_000}}
    body = _message({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")
    [msg, _] = _both(body, [chunk("", "stop")], "native")
    json.dumps(msg.response_metadata["invalid_tool_calls"])
