"""Constrained emulation under a grammar (``Profile.call_grammar``, llama.cpp's ``grammar``)
on the emulator: the grammar sent instead of a schema, narrowed by tool_choice; an answer
read (and streamed) as plain text; calls read; a grammar the caller sent is not downgraded
(a server that refuses ours gets the JSON schema instead, learned: that is in
test_constrained_emulation.py beside the schema's own fallback). What the grammar text
admits is checked on the real llama-server in tests/local/test_grammar_local.py."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from langchain_compat import BackendMemory, ChatOpenAICompatible
from langchain_compat.chat_models.downgrades import GRAMMAR_MARK
from langchain_compat.emulation.grammar import MARK, MAX_CALLS, tool_grammar
from langchain_compat.emulation.prompt import PromptSpec, prompt_request
from langchain_compat.testing import emulate
from tools.paths import final, run
from tools.tool_specs import ADD, WEATHER

OVERRIDES = {"constrained": True, "call_grammar": True, "json_schema": True,
             "server_kind": "llama.cpp"}


def _model(emu) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="emulated",
                                max_retries=0,
                                backend_memory=BackendMemory(),
                                profile_overrides=OVERRIDES)


def _rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.splitlines()
                if " ::= " in line and not line.startswith("#"))


def _calls_named(grammar: str) -> list[str]:
    rules = _rules(grammar)
    return [re.search(r'"\\"(\w+)\\"" ws ","', rules[name]).group(1)
            for name in re.findall(r"call-\d+", rules["root"].split("(")[1])]


@pytest.mark.parametrize(("choice", "parallel", "names", "answer", "repeat"), [
    (None, None, ["add", "get_weather"], True, False),  # one call a reply unless asked
    (None, True, ["add", "get_weather"], True, True),
    ("auto", False, ["add", "get_weather"], True, False),
    ("required", None, ["add", "get_weather"], False, False),
    ("required", True, ["add", "get_weather"], False, True),
    ("get_weather", True, ["get_weather"], False, False),
])
def test_the_grammar_admits_an_answer_or_the_bound_calls_narrowed_by_tool_choice(
        choice, parallel, names, answer, repeat) -> None:
    with emulate() as emu:
        emu.script(['{"name": "get_weather", "arguments": {"city": "Paris"}}'])
        llm = _model(emu).bind_tools([ADD, WEATHER], tool_choice=choice,
                                     parallel_tool_calls=parallel)
        llm.invoke("weather in Paris?")
        body = emu.requests[0].body
    assert "tools" not in body and "tool_choice" not in body and "response_format" not in body
    grammar = body["grammar"]
    assert grammar.startswith(MARK) and MARK == GRAMMAR_MARK  # how a refusal is told ours
    root = _rules(grammar)["root"]
    assert _calls_named(grammar) == names
    assert root.endswith("| answer") is answer
    assert (f"{{0,{MAX_CALLS - 1}}}" in root) is repeat
    system = body["messages"][0]["content"]  # an answer is asked for as plain text
    assert "write your reply as plain text" in system and '"response"' not in system


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_an_answer_is_plain_text_as_written(path: str) -> None:
    text = 'Bonjour! Paris is "lovely" {today}'
    with emulate() as emu:
        emu.script([text])
        msg, pieces = run(_model(emu).bind_tools([ADD, WEATHER]), path, "hello in French?")
    assert msg.content == text and not msg.tool_calls and not msg.invalid_tool_calls
    assert msg.response_metadata["tool_calling"] == "constrained"
    if path == "stream":  # yielded as it came, not held back until the reply is whole
        assert len(pieces) > 3


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_calls_one_per_line_are_read(path: str) -> None:
    reply = ('{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
             '{"name": "get_weather", "arguments": {"city": "London"}}')
    with emulate() as emu:
        emu.script([reply])
        msg = final(_model(emu).bind_tools([ADD, WEATHER], parallel_tool_calls=True), path,
                    "weather in Paris and London?")
    assert [(c["name"], c["args"]) for c in msg.tool_calls] == [
        ("get_weather", {"city": "Paris"}), ("get_weather", {"city": "London"})]
    assert msg.content == ""


def test_an_answer_asked_for_is_not_constrained() -> None:
    # (tools withheld after a failed call: plain text needs no grammar, the prompt is the same)
    spec = PromptSpec(mode="constrained", tools=[ADD], grammar=True, answer_only=True)
    wire, params = prompt_request([{"role": "user", "content": "hi"}], {}, spec)
    assert "grammar" not in params and "response_format" not in params
    full, with_grammar = prompt_request([{"role": "user", "content": "hi"}], {},
                                        PromptSpec(mode="constrained", tools=[ADD], grammar=True))
    assert wire == full and with_grammar["grammar"].startswith(MARK)


def test_a_grammar_the_caller_sent_is_not_downgraded() -> None:
    with emulate(refuse=["grammar"]) as emu:  # the caller's own grammar: the server's error
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", max_retries=0,
                                   backend_memory=BackendMemory(),
                                   profile_overrides={"server_kind": "llama.cpp"})
        with pytest.raises(Exception, match="grammar"):
            llm.invoke("hi", grammar='root ::= "yes" | "no"')
        assert len(emu.requests) == 1


# -- the grammar text (what it admits is checked on the real server) ----------------------
def test_enums_consts_refs_and_optional_only_objects_become_rules() -> None:
    tool = {"type": "function", "function": {"name": 'say"it', "parameters": {
        "type": "object", "required": ["unit", "node"],
        "properties": {"unit": {"enum": ["C", "F"]}, "kind": {"const": "x"},
                       "node": {"$ref": "#/$defs/Node"},
                       "tags": {"type": "array", "items": {"type": "string"}},
                       "maybe": {"type": ["integer", "null"]}},
        "$defs": {"Node": {"type": "object", "properties": {
            "label": {"type": "string"}, "next": {"$ref": "#/$defs/Node"}}}}}}}
    grammar = tool_grammar([tool], calls_only=True, parallel=False)
    rules = _rules(grammar)
    assert rules["root"] == "( call-0 )"
    assert '"\\"say\\\\\\"it\\""' in rules["call-0"]  # the name as JSON text, quote escaped
    args = rules["args-0"]
    assert args.index('"\\"unit\\""') < args.index('"\\"node\\""') < args.index('"\\"kind\\""')
    assert '( "\\"C\\"" | "\\"F\\"" )' in args and '"\\"x\\""' in args
    assert "( integer | null )" in args
    ref = next(k for k in rules if k.endswith("-ref") and k.startswith("args-0-node"))
    node = rules[ref]  # the recursive $ref names itself instead of looping
    assert ref in rules[node] if node in rules else ref in node
    assert "answer" not in rules


def test_a_tool_without_parameters_takes_an_object() -> None:
    rules = _rules(tool_grammar([{"type": "function", "function": {"name": "now"}}],
                                calls_only=False, parallel=True))
    assert rules["call-0"].endswith('ws ":" ws object ws "}"')
    assert rules["answer"].startswith("[^{[")


def test_a_downgrade_that_leaves_its_field_in_ends_with_the_servers_error(monkeypatch) -> None:
    # (a row whose fallback still sends the refused field would otherwise resend forever)
    from langchain_compat.chat_models import downgrades

    stuck = [dataclasses.replace(row, apply=lambda s, o: (s, o)) if row.name == "call_grammar"
             else row for row in downgrades.DOWNGRADES]
    monkeypatch.setattr(downgrades, "DOWNGRADES", tuple(stuck))
    with emulate(refuse=["grammar"]) as emu:
        emu.script(['{"name": "add", "arguments": {"a": 1, "b": 2}}'] * 3)
        with pytest.raises(Exception, match="grammar"):
            _model(emu).bind_tools([ADD]).invoke("1+2?")
        assert len(emu.requests) == 2  # refused, downgraded once, refused again: the error


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_right_after_a_tool_result_the_turn_is_decoded_under_the_schema(path: str) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    history = [HumanMessage("1+2?"),
               AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}]),
               ToolMessage("3", tool_call_id="c1")]
    with emulate() as emu:
        emu.script([json.dumps({"response": "It is 3."})])
        msg = final(_model(emu).bind_tools([ADD, WEATHER]), path, history)
        body = emu.requests[0].body
    assert "grammar" not in body and body["response_format"]["type"] == "json_schema"
    assert msg.content == "It is 3." and not msg.tool_calls  # read as the schema's answer
    assert msg.response_metadata["tool_calling"] == "constrained"


@pytest.mark.parametrize("path", ["invoke", "ainvoke", "stream", "astream"])
def test_after_a_result_a_question_with_numbers_left_stays_under_the_grammar(path: str) -> None:
    """Under the schema the 0.5B model answered every question that needed a second call
    with the first result alone ("156" for (12 + 30) x 3 after add gave 42): while the
    question has numbers no call has used, the turn after a result may call again."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from langchain_compat.chat_models.conversation import numbers_left

    def history(question: str, *calls: tuple[int, int]) -> list:
        out: list = [HumanMessage(question)]
        for i, (a, b) in enumerate(calls):
            out += [AIMessage("", tool_calls=[{"name": "add", "args": {"a": a, "b": b},
                                               "id": f"c{i}"}]),
                    ToolMessage(str(a + b), tool_call_id=f"c{i}")]
        return out

    two_steps = "First add 12 and 30, then add 4 to the sum."
    with emulate() as emu:
        emu.script(['{"name": "add", "arguments": {"a": 42, "b": 4.0}}',
                    json.dumps({"response": "It is 46."})])
        llm = _model(emu).bind_tools([ADD, WEATHER])
        step = final(llm, path, history(two_steps, (12, 30)))
        done = final(llm, path, history(two_steps, (12, 30), (42, 4)))
        second, last = (r.body for r in emu.requests)
    assert [(c["name"], c["args"]) for c in step.tool_calls] == [("add", {"a": 42, "b": 4})]
    assert second["grammar"].startswith(MARK) and "response_format" not in second
    assert "grammar" not in last and last["response_format"]["type"] == "json_schema"
    assert done.content == "It is 46."
    # the numbers compared as numbers, in the arguments of the calls since the question
    assert numbers_left([{"role": "user", "content": two_steps}]) == {"12", "30", "4"}
    assert numbers_left([{"role": "user", "content": "3.0 and 4?"}, {
        "role": "assistant", "tool_calls": [{"function": {"arguments": '{"x": 3, "y": "4.0"}'}}]},
    ]) == set()


@pytest.mark.parametrize("path", ["invoke", "ainvoke", "stream", "astream"])
def test_a_reask_after_a_tool_result_stays_under_the_schema_and_the_same_prompt(path) -> None:
    """The re-ask of a turn after a result (here: the answered call made again) keeps that
    turn's kind: the schema, asking for an answer only, and the same prompt bytes up to the
    re-ask, so llama-server's prompt cache reuses the conversation (switching back to the
    grammar's prompt re-evaluated all of it: a third of the prompt tokens of the agent
    benchmark)."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    history = [HumanMessage("1+2?"),
               AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}]),
               ToolMessage("3", tool_call_id="c1")]
    with emulate() as emu:
        emu.script(['{"name": "add", "arguments": {"a": 1, "b": 2}}',
                    json.dumps({"response": "It is 3."})])
        msg = final(_model(emu).bind_tools([ADD, WEATHER]), path, history)
        first, reask = (r.body for r in emu.requests)
    assert msg.content == "It is 3." and not msg.tool_calls
    assert "grammar" not in reask
    assert reask["response_format"]["json_schema"]["schema"]["required"] == ["response"]
    assert reask["messages"][:len(first["messages"])] == first["messages"]


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_grammar_and_schema_turns_share_the_system_prompt_and_the_schema_turn_says_its_shape_last(
        path: str) -> None:
    """One system prompt for both kinds of turn, so the server's prompt cache keeps the
    conversation when the turn after a result is decoded under the schema (a different
    system prompt made the server re-evaluate all of it: 139 prompt tokens a switch against
    44 on the agent benchmark); the schema's answer shape is said after the result."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from langchain_compat.emulation.formats.constrained import ANSWER_SHAPE

    question = [HumanMessage("1+2?")]
    call = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}])
    with emulate() as emu:
        emu.script(['{"name": "add", "arguments": {"a": 1, "b": 2}}',
                    json.dumps({"response": "It is 3."})])
        llm = _model(emu).bind_tools([ADD, WEATHER])
        final(llm, path, question)
        msg = final(llm, path, [*question, call, ToolMessage("3", tool_call_id="c1")])
        grammar_turn, schema_turn = (r.body for r in emu.requests)
    assert "grammar" in grammar_turn and "response_format" in schema_turn
    assert schema_turn["messages"][0] == grammar_turn["messages"][0]
    assert "write your reply as plain text" in grammar_turn["messages"][0]["content"]
    assert ANSWER_SHAPE not in json.dumps(grammar_turn["messages"])
    assert schema_turn["messages"][-1]["content"].endswith(ANSWER_SHAPE)
    assert schema_turn["messages"][-1]["role"] == "tool"
    assert msg.content == "It is 3."
