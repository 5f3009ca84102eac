"""Invoke, ainvoke, stream and astream give the same final message, for every reply.

Every item of the parser corpus (``tests/unit/emulation/emulation_cases.py``) and every
reply-policy case below is answered by the emulator (a real HTTP server on loopback) on
the four paths, native and emulated, with and without ``parallel_tool_calls=False`` and
structured output; the final messages must be equal in everything a caller reads:
content, tool calls, invalid calls, usage, finish reason and how the call ran.
(Before the one reply path, a call to an unknown tool was an invalid call on invoke and
gone from the stream; invoke kept every invalid call beside the one call
``parallel_tool_calls=False`` allows, stream dropped them.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from pydantic import BaseModel

from langchain_compat import ChatOpenAICompatible
from langchain_compat.testing import Emulator, emulate
from unit.emulation.emulation_cases import CASES, TOOLS
from tools.paths import PATHS, added
from tools.tool_specs import ADD, MULTIPLY

#: response_metadata keys the judge, the reader or the call set: each must agree.
META = ("finish_reason", "tool_calling", "tool_calling_downgraded", "downgrades",
        "invalid_tool_calls", "dropped_tool_calls", "dropped_repeated_tool_calls",
        "answer_fallback", "tool_choice_error", "structured_output_error", "usage_estimated",
        "requests", "ended_early")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with emulate() as emulator:
        yield emulator


async def _apath(runnable: Any, messages: Any, path: str) -> Any:
    if path == "ainvoke":
        return await runnable.ainvoke(messages)
    return [c async for c in runnable.astream(messages)]


def run_path(emu: Emulator, runnable: Any, messages: Any, path: str, replies: list[Any]) -> Any:
    """One path's final output, the emulator answering with ``replies`` in order."""
    emu.reset()
    emu.script(replies)
    if path == "invoke":
        return runnable.invoke(messages)
    if path == "stream":
        out = list(runnable.stream(messages))
    else:
        out = asyncio.run(_apath(runnable, messages, path))
    if path == "ainvoke":
        return out
    return added(out) if out and isinstance(out[0], AIMessageChunk) else out


def _ids(calls: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "id"} for c in calls]


def facts(message: AIMessage) -> dict[str, Any]:
    """What a caller reads of a final message (call ids are made per call: left out)."""
    meta = message.response_metadata
    out = {"content": message.content, "tool_calls": _ids(message.tool_calls),
           "message.invalid_tool_calls": _ids(message.invalid_tool_calls),
           "usage": message.usage_metadata,
           "reasoning": message.additional_kwargs.get("reasoning_content")}
    for key in META:
        value = meta.get(key)
        out[key] = _ids(value) if isinstance(value, list) and value and isinstance(
            value[0], dict) else value
    return out


def assert_same(emu: Emulator, runnable: Any, messages: Any, replies: list[Any]) -> dict:
    seen = {path: facts(run_path(emu, runnable, messages, path, replies)) for path in PATHS}
    for path in PATHS[1:]:
        assert seen[path] == seen["invoke"], path
    return seen["invoke"]


def _model(emu: Emulator, mode: str, **kw: Any) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling=mode,
                                max_retries=0, **kw)


# -- the parser corpus ---------------------------------------------------------------


@pytest.mark.parametrize("parallel", [None, False], ids=["parallel", "one-call"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_corpus_reply_reads_the_same_on_every_path(emu: Emulator, case: Any,
                                                         parallel: bool | None) -> None:
    llm = _model(emu, "emulated", max_tool_reasks=1)
    bound = llm.bind_tools(TOOLS, parallel_tool_calls=parallel)
    assert_same(emu, bound, [HumanMessage("go")], [case.text] * 2)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_corpus_reply_reads_the_same_on_every_path_under_a_grammar(emu: Emulator,
                                                                        case: Any) -> None:
    # constrained turns under llama.cpp's grammar read the reply as emulation does
    llm = _model(emu, "emulated", max_tool_reasks=1, profile_overrides={
        "constrained": True, "call_grammar": True, "server_kind": "llama.cpp"})
    seen = assert_same(emu, llm.bind_tools(TOOLS), [HumanMessage("go")], [case.text] * 2)
    assert seen["tool_calling"] == "constrained"
    assert "grammar" in emu.requests[0].body  # (a re-ask for an answer goes without)


# -- the reply policy ------------------------------------------------------------------

HISTORY = [HumanMessage("What is 2 + 3, then times 4?"),
           AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1",
                                      "type": "tool_call"}]),
           ToolMessage("5", tool_call_id="call_1")]


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "arguments": args}


def _reply(mode: str, *calls: dict[str, Any], text: str = "") -> Any:
    """A reply with ``calls``: native tool_calls, or Hermes text for emulation."""
    if mode == "native":
        return {"content": text or None, "tool_calls": list(calls)}
    tags = "".join(f"<tool_call>{json.dumps(c)}</tool_call>" for c in calls)
    return f"{text}{tags}"


POLICY = [
    # id, replies(mode), history, bind kwargs, model kwargs
    ("valid-and-unknown-tool", lambda m: [_reply(m, _call("add", a=1, b=2), _call("nosuch", q=1))],
     None, {}, {}),
    ("valid-and-bad-args", lambda m: [_reply(m, _call("add", a=1, b=2), _call("add", a="x"))],
     None, {}, {}),
    ("only-invalid-then-valid", lambda m: [_reply(m, _call("add", a="x")),
                                           _reply(m, _call("add", a=1, b=2))], None, {}, {}),
    ("repeated-call-answered", lambda m: [_reply(m, _call("add", a=2, b=3)), "It is 5."],
     HISTORY, {}, {}),
    ("repeated-and-new-call", lambda m: [_reply(m, _call("add", a=2, b=3),
                                                _call("multiply", a=5, b=4))], HISTORY, {}, {}),
    ("reworks-results", lambda m: [_reply(m, _call("multiply", a=5, b=1)), "It is 5."], HISTORY,
     {}, {"profile_overrides": {"small_model_guards": True}}),
    ("invents-numbers", lambda m: [_reply(m, _call("add", a=10, b=7)), "Hello Ada!"],
     [HumanMessage("Hi! My name is Ada.")], {},
     {"profile_overrides": {"small_model_guards": True}}),
    ("placeholder-then-answer", lambda m: ["<your reply>", "It is 3."], None, {}, {}),
    ("empty-then-answer", lambda m: ["", "It is 3."], None, {}, {}),
    ("fake-result", lambda m: ["<tool_response>3</tool_response>", "It is 3."], None, {}, {}),
    ("prose-before-call", lambda m: [_reply(m, _call("add", a=1, b=2), text="Let me add. ")],
     None, {}, {}),
    ("shown-text-then-reask", lambda m: [_reply(m, _call("add", a="x"), text="Let me add. "),
                                         _reply(m, _call("add", a=1, b=2), text="Let me add. ")],
     None, {}, {}),
    ("shown-text-diverges", lambda m: [_reply(m, _call("add", a="x"), text="Hmm, adding. "),
                                       "The sum is 3."], None, {}, {}),
    ("forced-prose-then-call", lambda m: ["Why not.", _reply(m, _call("add", a=1, b=2))], None,
     {"tool_choice": "required"}, {}),
    ("named-wrong-then-right", lambda m: [_reply(m, _call("multiply", a=1, b=2)),
                                          _reply(m, _call("add", a=1, b=2))], None,
     {"tool_choice": "add"}, {}),
    ("forced-exhausted", lambda m: ["no", "still no", "never"], None,
     {"tool_choice": "required"}, {}),
    ("answer-exhausted", lambda m: ["", "", ""], HISTORY, {}, {}),
    ("two-calls-one-allowed",
     lambda m: [_reply(m, _call("add", a=1, b=2), _call("multiply", a=3, b=4))],
     None, {"parallel_tool_calls": False}, {}),
    ("invalid-first-one-allowed", lambda m: [_reply(m, _call("nosuch"), _call("add", a=1, b=2))],
     None, {"parallel_tool_calls": False}, {}),
    ("repeat-within-reply",
     lambda m: [_reply(m, _call("add", a=1, b=2), _call("multiply", a=3, b=4),
                       _call("add", a=1, b=2), _call("multiply", a=5, b=6))], None, {}, {}),
    ("past-the-call-limit", lambda m: [_reply(m, *(_call("add", a=i, b=i) for i in range(6)))],
     None, {}, {}),
    ("tool-choice-none", lambda m: ["Just text."], None, {"tool_choice": "none"}, {}),
    ("reasoning-and-call", lambda m: [{"reasoning_content": "I add.", **(
        _reply(m, _call("add", a=1, b=2)) if m == "native" else
        {"content": _reply(m, _call("add", a=1, b=2))})}], None, {}, {}),
]


@pytest.mark.parametrize("mode", ["native", "emulated"])
@pytest.mark.parametrize(("name", "replies", "history", "bind", "kw"), POLICY,
                         ids=[p[0] for p in POLICY])
def test_every_policy_case_reads_the_same_on_every_path(emu: Emulator, mode: str, name: str,
                                                        replies: Any, history: Any, bind: dict,
                                                        kw: dict) -> None:
    llm = _model(emu, mode, **kw)
    bound = llm.bind_tools([ADD, MULTIPLY], **bind)
    assert_same(emu, bound, history or [HumanMessage("What is 1 + 2?")], replies(mode))


@pytest.mark.parametrize("mode", ["native", "emulated"])
def test_the_unknown_tool_call_is_reported_on_every_path(emu: Emulator, mode: str) -> None:
    """The issue's example: invoke had the unknown tool in invalid_tool_calls, the stream
    had it nowhere. Every path now reports it the one way a stream can carry it (an
    invalid call is never a tool_call_chunk: LangChain would make it runnable)."""
    # (several calls allowed: emulation reads one call a reply unless told otherwise)
    bound = _model(emu, mode).bind_tools([ADD], parallel_tool_calls=True)
    reply = _reply(mode, _call("add", a=1, b=2), _call("nosuch", q=1))
    got = assert_same(emu, bound, [HumanMessage("add")], [reply])
    assert [c["name"] for c in got["tool_calls"]] == ["add"]
    [bad] = got["invalid_tool_calls"]
    assert bad["name"] == "nosuch" and "unknown tool" in bad["error"]


@pytest.mark.parametrize("mode", ["native", "emulated"])
def test_one_call_allowed_keeps_the_first_usable_call_on_every_path(emu: Emulator,
                                                                    mode: str) -> None:
    bound = _model(emu, mode).bind_tools([ADD, MULTIPLY], parallel_tool_calls=False)
    calls = [_call("nosuch"), _call("add", a=1, b=2), _call("multiply", a=3, b=4)]
    if mode == "emulated":  # (a server that honours stop would cut after the first call)
        calls = calls[1:2] + calls[:1] + calls[2:]
    got = assert_same(emu, bound, [HumanMessage("go")], [_reply(mode, *calls)])
    assert [c["name"] for c in got["tool_calls"]] == ["add"]
    if mode == "emulated":  # one call wanted: the reply ends with its first call
        assert emu.requests[0].body["stop"] == ["</tool_call>"]
        assert got["dropped_tool_calls"] is None
    else:
        assert sorted(c["name"] for c in got["dropped_tool_calls"]) == ["multiply", "nosuch"]
        assert got["invalid_tool_calls"] is None



def test_a_named_choice_keeps_one_call_on_every_path(emu: Emulator) -> None:
    """A named tool_choice wants one call: llama-server, forced to a tool, wrote the same
    call two to four times in one reply; a native reply is trimmed to its first call too."""
    bound = _model(emu, "native").bind_tools([ADD, MULTIPLY], tool_choice="add")
    calls = [_call("add", a=1, b=2), _call("add", a=3, b=4)]
    got = assert_same(emu, bound, [HumanMessage("go")], [_reply("native", *calls)])
    assert [c["args"] for c in got["tool_calls"]] == [{"a": 1, "b": 2}]
    assert [c["args"] for c in got["dropped_tool_calls"]] == [{"a": 3, "b": 4}]

# -- structured output ------------------------------------------------------------------


class Sum(BaseModel):
    a: int
    b: int


SO_CASES = [
    ("json_schema", {"json_schema": False}, ['{"a": 1, "b": 2}']),
    ("json_schema-reasked", {"json_schema": False}, ['{"a": "x"}', '{"a": 1, "b": 2}']),
    ("json_schema-exhausted", {"json_schema": False}, ["no", "no", "no"]),
    ("function_calling", {}, [_reply("emulated", _call("Sum", a=1, b=2))]),
    ("function_calling-reasked", {}, ["no call", _reply("emulated", _call("Sum", a=1, b=2))]),
]


@pytest.mark.parametrize(("method", "profile", "replies"), SO_CASES, ids=[c[0] for c in SO_CASES])
def test_structured_output_reads_the_same_on_every_path(emu: Emulator, method: str,
                                                        profile: dict, replies: list) -> None:
    llm = _model(emu, "emulated", profile_overrides=profile or None)
    runnable = llm.with_structured_output(Sum, method=method.split("-")[0], include_raw=True)
    seen = {}
    for path in PATHS:
        out = run_path(emu, runnable, [HumanMessage("1 and 2")], path, replies)
        if isinstance(out, list):  # a stream of include_raw dicts: one, at its end
            out = out[-1]
        seen[path] = (facts(out["raw"]), out["parsed"], repr(out["parsing_error"]))
    assert all(v == seen["invoke"] for v in seen.values())
