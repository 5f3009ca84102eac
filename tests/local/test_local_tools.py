"""What the real llama-server does with our chat template: native tool calls and JSON schema.

Measured with llama.cpp build 11434 and Qwen2.5-Coder-0.5B: the model writes a
call as a bare JSON line (never the ``<tool_call>`` tag), which our template's
call format makes llama-server parse. Not asserted here because they are the
model's limits, not ours: it often repeats an answered call after a tool
result, and a reply in a fenced ```json block gets HTTP 500 ("does not match
the expected peg-native format").

One server with the default flags (our Qwen/Hermes template and sampling)
runs on a spare port for the module, so the shared server on 8089 (which
may have been started by older code) does not decide the outcome.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest

from langchain_compat import ChatLocal
from langchain_compat.local import LocalServer, free_port, start_server, stop_server

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(
        os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1", reason="LANGCHAIN_COMPAT_NO_LOCAL=1"
    ),
]

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


@pytest.fixture(scope="module")
def templated() -> Iterator[LocalServer]:
    port = free_port()
    server = start_server(port=port, ctx=2048, embeddings=False, timeout=300)
    try:
        yield server
    finally:
        stop_server(port)


def _chat(server: LocalServer, **body: object) -> httpx.Response:
    return httpx.post(server.base_url + "/chat/completions", timeout=300, trust_env=False,
                      json={"model": server.model, "temperature": 0, "max_tokens": 128, **body})


def test_a_weather_question_comes_back_as_a_native_tool_call(templated: LocalServer) -> None:
    r = _chat(templated, tools=[WEATHER_TOOL],
              messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    assert r.status_code == 200, r.text
    message = r.json()["choices"][0]["message"]
    assert '"response"' not in (message.get("content") or "")
    call = message["tool_calls"][0]["function"]
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"])["city"].lower().startswith("paris")


def test_tool_choice_required_forces_a_call(templated: LocalServer) -> None:
    # llama-server turns "required" into a grammar built from the template's call format
    r = _chat(templated, tools=[WEATHER_TOOL], tool_choice="required",
              messages=[{"role": "user", "content": "When did Apollo 11 land?"}])
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_response_format_json_schema_is_enforced(templated: LocalServer) -> None:
    schema = {"type": "object",
              "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    r = _chat(templated,
              messages=[{"role": "user", "content": "Alice is 31. Give her name and age."}],
              response_format={"type": "json_schema",
                               "json_schema": {"name": "person", "schema": schema}})
    assert r.status_code == 200, r.text
    data = json.loads(r.json()["choices"][0]["message"]["content"])
    assert set(data) == {"name", "age"} and isinstance(data["age"], int)


def test_chat_local_binds_tools_natively_on_request(templated: LocalServer) -> None:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return "sunny"

    llm = ChatLocal(base_url=templated.base_url, temperature=0, tool_calling="native")
    reply = llm.bind_tools([get_weather]).invoke("What's the weather in Tokyo?")
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "get_weather"
    assert reply.tool_calls[0]["args"]["city"].lower().startswith("tokyo")
