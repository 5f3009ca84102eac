"""The tool grammar (``emulation/grammar.py``) on the real llama-server: the server compiles
it for every schema shape tools use, a call it admits follows the tool's schema, an answer is
plain text, and ChatLocal's constrained turns use it."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest

from langchain_compat import BackendMemory, ChatLocal
from langchain_compat.emulation.grammar import tool_grammar

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.timeout(600),
    pytest.mark.skipif(os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1",
                       reason="LANGCHAIN_COMPAT_NO_LOCAL=1"),
]


def _tool(name: str, parameters: dict[str, Any] | None) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": name, "description": f"The {name} tool."}
    if parameters is not None:
        fn["parameters"] = parameters
    return {"type": "function", "function": fn}


#: Every schema shape convert_to_openai_tool makes (and some it does not).
SHAPES = [
    _tool("no_params", None),
    _tool("empty", {"type": "object", "properties": {}}),
    _tool("scalars", {"type": "object", "required": ["s", "i", "n", "b"], "properties": {
        "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
        "b": {"type": "boolean"}, "opt": {"type": "string", "default": "x"}}}),
    _tool("choices", {"type": "object", "required": ["unit"], "properties": {
        "unit": {"enum": ["C", "F", 3, None]}, "fixed": {"const": "k"},
        "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "nullable": {"type": ["number", "null"]}}}),
    _tool("nested", {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
        "meta": {"type": "object"}},
        "$defs": {"Item": {"type": "object", "required": ["label"], "properties": {
            "label": {"type": "string"}, "child": {"$ref": "#/$defs/Item"}}}}}),
    _tool("optional_only", {"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "integer"}}}),
    _tool('odd "name" é', {"type": "object", "properties": {"x y": {"type": "string"}},
                            "required": ["x y"]}),
    _tool("unknown_keywords", {"type": "object", "properties": {
        "p": {"allOf": [{"type": "string"}], "pattern": "^a"}}}),
]


def _complete(local_llm: Any, grammar: str, prompt: str, max_tokens: int) -> httpx.Response:
    body = {"model": local_llm.model, "messages": [{"role": "user", "content": prompt}],
            "temperature": 0, "seed": 1, "max_tokens": max_tokens, "grammar": grammar}
    return httpx.post(f"{local_llm.base_url}/chat/completions", json=body, timeout=300)


@pytest.mark.parametrize("calls_only", [False, True])
@pytest.mark.parametrize("parallel", [False, True])
def test_the_server_compiles_the_grammar_of_every_schema_shape(local_llm, calls_only,
                                                              parallel) -> None:
    grammar = tool_grammar(SHAPES, calls_only=calls_only, parallel=parallel)
    resp = _complete(local_llm, grammar, "Call a tool.", 1)  # a bad grammar is a 400
    assert resp.status_code == 200, resp.text[:500]


@pytest.mark.parametrize("tool", SHAPES, ids=[t["function"]["name"] for t in SHAPES])
def test_a_forced_call_follows_the_tools_schema(local_llm, tool) -> None:
    resp = _complete(local_llm, tool_grammar([tool], calls_only=True, parallel=False),
                     f"Call {tool['function']['name']} with example values.", 96)
    assert resp.status_code == 200, resp.text[:500]
    text = resp.json()["choices"][0]["message"]["content"]
    if resp.json()["choices"][0]["finish_reason"] == "length":
        pytest.skip(f"the model ran out of tokens inside the call: {text!r}")
    call = json.loads(text)
    assert call["name"] == tool["function"]["name"] and isinstance(call["arguments"], dict)
    wanted = tool["function"].get("parameters", {}).get("required", [])
    assert set(wanted) <= set(call["arguments"])


def test_chatlocal_answers_in_text_and_calls_under_the_grammar(local_llm) -> None:
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return "sunny"

    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    llm = ChatLocal(base_url=local_llm.base_url, tool_calling="emulated", temperature=0,
                    seed=42, max_tokens=64, timeout=300, backend_memory=BackendMemory())
    bound = llm.bind_tools([get_weather, add])
    hello = bound.invoke("Say hello in French, in one word.")
    weather = bound.invoke("What's the weather in Paris right now?")
    assert weather.tool_calls and weather.tool_calls[0]["name"] == "get_weather"
    assert weather.response_metadata["tool_calling"] == "constrained"
    assert not hello.tool_calls and "bonjour" in hello.content.lower()
    assert not hello.content.lstrip().startswith("{")  # plain text, never JSON
