"""Refused optional fields are downgraded once and remembered per (base URL, model).

The emulator refuses one field at a time the way a real server does (Mistral's
422 for ``stream_options``, LM Studio's 400 for ``json_object``, vLLM's 400 for
``tool_choice="required"``); ``invoke``, ``stream``, ``with_structured_output``
and a ``create_agent`` run then all succeed, with exactly one refused request
in the emulator's log, one warning, and the downgrade in ``response_metadata``.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_compat import ChatOpenAICompatible
from langchain_compat.chat_models.usage import estimate_usage
from langchain_compat.errors import BadRequestError
from langchain_compat.testing import ToolCaller, emulate


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Answer(BaseModel):
    """The final answer."""

    value: int
    note: str


def _model(emu, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", max_retries=0, **kw)


def _runs(field: str, llm: ChatOpenAICompatible):
    """invoke, stream, with_structured_output, create_agent, each sending ``field``
    where the workload can (stream_options: every call streams)."""
    bound = llm.bind_tools([add], tool_choice="required") if field == "tool_choice" else llm
    method = "json_mode" if field == "json_object" else "function_calling"
    agent_format = ToolStrategy(Answer) if field == "tool_choice" else None

    def agent() -> object:
        graph = create_agent(llm, tools=[add], response_format=agent_format)
        return graph.invoke({"messages": [("user", "add 2 and 3")]})

    return {
        "invoke": lambda: bound.invoke("add 2 and 3"),
        "stream": lambda: list(bound.stream("add 2 and 3")),
        "structured": lambda: llm.with_structured_output(Answer, method=method).invoke("an answer"),
        "agent": agent,
    }


def _metadata(result) -> dict:
    if isinstance(result, AIMessage):
        return result.response_metadata
    if isinstance(result, list):  # a stream: the aggregated chunks
        total = result[0]
        for chunk in result[1:]:
            total = total + chunk
        return total.response_metadata
    return {}


_REFUSED_IN = {  # which workload sends the refused field first
    "stream_options": "invoke",
    "json_object": "structured",
    "tool_choice": "invoke",
}


@pytest.mark.parametrize("field", ["stream_options", "json_object", "tool_choice"])
def test_refused_field_is_downgraded_once_and_remembered(field, caplog):
    caplog.set_level(logging.WARNING, logger="langchain_compat.chat_models")
    with emulate(refuse=[field], responder=ToolCaller(call_tools=["add"])) as emu:
        llm = _model(emu, streaming=field == "stream_options")
        runs = _runs(field, llm)
        results = {name: run() for name, run in runs.items()}  # 0 errors
        refused = [r for r in emu.requests if r.status != 200]
        assert len(refused) == 1, [(r.status, sorted(r.body)) for r in emu.requests]
        warnings = [r for r in caplog.records if repr(field) in r.getMessage()]
        assert len(warnings) == 1

        first = results[_REFUSED_IN[field]]
        if field != "json_object":
            assert _metadata(first)["downgrades"] == [field]
        assert isinstance(results["structured"], Answer)
        agent_out = results["agent"]
        assert agent_out["messages"][-1].content or agent_out.get("structured_response")
        if field == "tool_choice":
            assert isinstance(agent_out["structured_response"], Answer)

        # Remembered: the same call again is one request, without the field.
        before = len(emu.requests)
        again = runs[_REFUSED_IN[field]]()
        sent = emu.requests[before:]
        assert [r.status for r in sent] == [200]
        body = sent[0].body
        assert {"stream_options": "stream_options" not in body,
                "json_object": "response_format" not in body,
                "tool_choice": "tool_choice" not in body}[field]
        if field != "json_object":
            assert _metadata(again)["downgrades"] == [field]


def test_estimated_usage_is_marked_when_the_server_sends_none():
    with emulate(refuse=["stream_options"]) as emu:
        chunks = list(_model(emu).stream("hello there"))
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
    assert total.response_metadata["usage_estimated"] is True
    assert total.response_metadata["downgrades"] == ["stream_options"]
    assert total.usage_metadata["input_tokens"] > 0
    assert total.usage_metadata["output_tokens"] > 0


def test_named_tool_choice_refused_is_emulated_for_that_call_only():
    with emulate(refuse=["named_tool_choice"], responder=ToolCaller()) as emu:
        llm = _model(emu)
        parsed = llm.with_structured_output(Answer).invoke("an answer")
        assert isinstance(parsed, Answer)
        assert [r.status for r in emu.requests] == [400, 200]
        assert "tools" not in emu.requests[1].body  # this call's tools went into the prompt
        before = len(emu.requests)
        plain = llm.bind_tools([add]).invoke("add 2 and 3")  # no forced choice: native tools
        assert plain.tool_calls and plain.tool_calls[0]["name"] == "add"
        assert "tools" in emu.requests[before].body
        assert "downgrades" not in plain.response_metadata


def test_json_object_refused_uses_json_schema_where_the_profile_allows_it():
    with emulate(refuse=["json_object"], responder=ToolCaller()) as emu:
        llm = _model(emu, profile_overrides={"json_schema": True})
        parsed = llm.with_structured_output(Answer, method="json_mode").invoke("an answer")
        assert isinstance(parsed, Answer)
        assert [r.status for r in emu.requests] == [400, 200]
        assert emu.requests[1].body["response_format"]["type"] == "json_schema"


def test_an_unrelated_400_is_not_a_downgrade():
    with emulate(refuse=["json_object"]) as emu:
        llm = _model(emu, extra_body={"temperature": 9.0})  # unchecked: the server says 400
        with pytest.raises(BadRequestError, match="temperature"):
            llm.with_structured_output(Answer, method="json_mode").invoke("hi")
        assert len(emu.requests) == 1
        assert emu.requests[0].body["response_format"] == {"type": "json_object"}


def test_estimate_counts_tools_and_calls():
    calls = [{"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    usage = estimate_usage({"messages": [{"role": "user", "content": "add one"}],
                            "tools": [{"type": "function", "function": {"name": "add"}}]},
                           "", calls)
    assert usage["input_tokens"] > 150 and usage["output_tokens"] > 10
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_async_calls_downgrade_and_remember_too():
    async def run(emu) -> tuple[AIMessage, list]:
        llm = _model(emu)
        chunks = [c async for c in llm.astream("hi")]
        parsed = await llm.with_structured_output(Answer, method="json_mode").ainvoke("x")
        assert isinstance(parsed, Answer)
        return chunks

    with emulate(refuse=["stream_options", "json_object"], responder=ToolCaller()) as emu:
        chunks = asyncio.run(run(emu))
        statuses = [r.status for r in emu.requests]
        assert statuses == [422, 200, 400, 200]
        assert _metadata(chunks)["downgrades"] == ["stream_options"]
        asyncio.run(run(emu))  # both remembered: one request each
        assert [r.status for r in emu.requests][4:] == [200, 200]
