"""Streamed structured output yields one value, at the end, for every method and schema kind
(issue 25, item 4), on a loopback server streaming the JSON six characters at a time.

The contract (docs/structured-output.md, "Streaming"): the one value is ``invoke()``'s result,
checked the same way (an invalid reply raises at the end of the stream). ChatOpenAI, on the
same server and reply, yields one value only for ``json_schema`` with a pydantic class and
growing partials otherwise; the test records that too, so the docs' comparison stays true.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from langchain_compat import ChatOpenAICompatible

pytestmark = pytest.mark.timeout(60)

ORDER = {"item": "book", "email": "lee@x.org", "quantity": 2}
TEXT = json.dumps(ORDER)


class Order(BaseModel):
    """An order."""

    item: str
    email: str = ""
    quantity: int = 1


DICT_SCHEMA = {"title": "Order", "description": "An order.", "type": "object",
               "properties": {"item": {"type": "string"}, "email": {"type": "string"},
                              "quantity": {"type": "integer"}},
               "required": ["item"]}


def _event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "s", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not request.get("stream"):
            return self._whole(request)
        pieces = [TEXT[i:i + 6] for i in range(0, len(TEXT), 6)]
        if request.get("tools"):
            name = request["tools"][0]["function"]["name"]
            events = [_event({"role": "assistant", "tool_calls": [
                {"index": 0, "id": "c1", "type": "function",
                 "function": {"name": name, "arguments": ""}}]})]
            events += [_event({"tool_calls": [{"index": 0, "function": {"arguments": p}}]})
                       for p in pieces]
            events.append(_event({}, "tool_calls"))
        else:
            events = [_event({"role": "assistant", "content": ""})]
            events += [_event({"content": p}) for p in pieces]
            events.append(_event({}, "stop"))
        data = b"".join(events) + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _whole(self, request: dict[str, Any]) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": TEXT}
        if request.get("tools"):
            name = request["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": name, "arguments": TEXT}}]}
        data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                           "choices": [{"index": 0, "message": message,
                                        "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def base_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _ours(base_url: str) -> ChatOpenAICompatible:
    # A server with every method native, so each method runs as ChatOpenAI runs it.
    return ChatOpenAICompatible(base_url=base_url, api_key="k", model="m", max_retries=0,
                                timeout=20, tool_calling="native",
                                profile_overrides={"json_schema": True, "json_mode": True})


def _theirs(base_url: str) -> ChatOpenAI:
    return ChatOpenAI(base_url=base_url, api_key="k", model="m", max_retries=0, timeout=20)


def _dump(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


CASES = [(m, s) for m in ("function_calling", "json_mode", "json_schema")
         for s in ("pydantic", "dict")]
#: How many values ChatOpenAI yields for this reply: one only for json_schema + pydantic.
CHATOPENAI_ONE_VALUE = {("json_schema", "pydantic")}


@pytest.mark.parametrize("method, kind", CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_stream_yields_one_value_equal_to_invoke(base_url: str, method: str, kind: str) -> None:
    schema = Order if kind == "pydantic" else DICT_SCHEMA
    structured = _ours(base_url).with_structured_output(schema, method=method)
    streamed = list(structured.stream("order"))
    assert [_dump(v) for v in streamed] == [_dump(structured.invoke("order"))] == [ORDER]
    if kind == "pydantic":
        assert isinstance(streamed[0], Order)


@pytest.mark.parametrize("method, kind", CASES, ids=[f"{m}-{k}" for m, k in CASES])
async def test_astream_yields_the_same_one_value(base_url: str, method: str, kind: str) -> None:
    schema = Order if kind == "pydantic" else DICT_SCHEMA
    structured = _ours(base_url).with_structured_output(schema, method=method)
    assert [_dump(v) async for v in structured.astream("order")] == [ORDER]


@pytest.mark.parametrize("method, kind", CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_what_chatopenai_yields_for_the_same_reply(base_url: str, method: str,
                                                   kind: str) -> None:
    """The comparison docs/structured-output.md states: ChatOpenAI streams partial values
    (``{}``, ``{'item': 'bo'}``, ...) except for json_schema with a pydantic class."""
    schema = Order if kind == "pydantic" else DICT_SCHEMA
    theirs = [_dump(v) for v in _theirs(base_url).with_structured_output(schema, method=method)
              .stream("order")]
    assert theirs[-1] == ORDER
    assert (len(theirs) == 1) == ((method, kind) in CHATOPENAI_ONE_VALUE)
