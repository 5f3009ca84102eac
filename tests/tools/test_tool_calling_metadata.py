"""``response_metadata["tool_calling"]`` says which path a reply took, and
``["tool_calling_downgraded"]`` whether ``auto`` fell back to emulation after a
refusal; the aggregated stream says the same as ``invoke``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from langchain_compat.chat_cli import build_model
from langchain_compat.testing import emulate, server_error


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    name: str
    age: int


def _both(runnable: Any, text: str = "2 + 3?") -> tuple[AIMessage, AIMessage]:
    invoked = runnable.invoke(text)
    streamed = None
    for chunk in runnable.stream(text):
        streamed = chunk if streamed is None else streamed + chunk
    return invoked, streamed


def _path(message: AIMessage) -> tuple[Any, Any]:
    meta = message.response_metadata
    return meta.get("tool_calling"), meta.get("tool_calling_downgraded")


def _model(emu: Any) -> Any:
    return build_model(emu.provider.name, base_url=emu.base_url, api_key=emu.api_key, max_retries=0)


@pytest.mark.parametrize(("provider", "expected"), [("local", "native"), ("cotomi", "emulated")])
def test_tools_say_native_or_emulated(provider: str, expected: str) -> None:
    with emulate(provider) as emu:
        llm = _model(emu)
        for message in _both(llm.bind_tools([add])):
            assert _path(message) == (expected, False)
        for message in _both(llm):  # nothing bound: no key at all
            assert "tool_calling" not in message.response_metadata


@pytest.mark.parametrize(("provider", "expected"), [("local", "native"), ("cotomi", "emulated")])
def test_structured_output_says_how_it_ran(provider: str, expected: str) -> None:
    with emulate(provider) as emu:
        chain = _model(emu).with_structured_output(Person, method="json_schema", include_raw=True)
        emu.script([json.dumps({"name": "Ada", "age": 36})])
        out = chain.invoke("Ada, 36")
        assert out["parsed"] == Person(name="Ada", age=36)
        assert _path(out["raw"]) == (expected, False)


def test_a_refusal_under_auto_is_reported_as_a_downgrade() -> None:
    refusal = server_error(400, "'tools' is not supported by this model")
    with emulate("ektos") as emu:  # the profile does not know: auto probes native once
        llm = _model(emu).bind_tools([add])
        emu.inject(refusal)
        first = llm.invoke("2 + 3?")
        assert _path(first) == ("emulated", True)
        assert "tools" in emu.requests[0].body and "tools" not in emu.requests[1].body
        for message in _both(llm):  # remembered for the process: still reported
            assert _path(message) == ("emulated", True)
    with emulate("ektos") as emu:  # a backend that takes tools: native, no downgrade
        for message in _both(_model(emu).bind_tools([add])):
            assert _path(message) == ("native", False)


def test_a_refused_stream_probe_is_reported_too() -> None:
    with emulate("ektos") as emu:
        emu.inject(server_error(400, "'tools' is not supported by this model"))
        streamed = None
        for chunk in _model(emu).bind_tools([add]).stream("2 + 3?"):
            streamed = chunk if streamed is None else streamed + chunk
        assert _path(streamed) == ("emulated", True)
