"""The reply policy in agent loops, against the emulator (a real HTTP server on loopback).

What a weak model does in an agent loop (seen with Qwen2.5-0.5B on llama-server) is
scripted here reply by reply, and each test checks what goes back on the wire and what
the agent gets, for invoke and stream: a repeated answered call gets the answer asked
for (native: tools withheld; emulated: the same prompt, the nudge after it); failed
attempts do not pile up; the agent never gets an empty message or a call fragment; a
server that cannot parse the model's call is not retried, and under ``auto`` the turn
is re-sent emulated.
"""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import BadRequestError, ToolCallParseError, ToolsNotSupportedError
from langchain_compat.testing import emulate
from langchain_compat.testing.faults import server_error
from tools.tool_specs import ADD, MULTIPLY

CALL = {"name": "add", "arguments": {"a": 2, "b": 3}}
HERMES_CALL = '<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>'

HISTORY = [
    HumanMessage("What is 2 + 3?"),
    AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1",
                               "type": "tool_call"}]),
    ToolMessage("5", tool_call_id="call_1"),
]


def _run(llm, messages, *, stream: bool) -> AIMessage:
    if not stream:
        return llm.invoke(messages)
    full: AIMessageChunk | None = None
    for chunk in llm.stream(messages):
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


def _model(emu, mode: str, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling=mode,
                                max_retries=2, **kw)


def _system_text(body: dict) -> str:
    first = body["messages"][0]
    return first["content"] if first["role"] == "system" else ""


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("mode", ["native", "emulated"])
def test_a_repeated_answered_call_gets_the_answer_asked_for(mode: str, stream: bool) -> None:
    repeat = {"tool_calls": [CALL]} if mode == "native" else HERMES_CALL
    with emulate() as emu:
        emu.script([repeat, "2 + 3 = 5."])
        reply = _run(_model(emu, mode).bind_tools([ADD]), HISTORY, stream=stream)
        bodies = [r.body for r in emu.requests]
    assert reply.content == "2 + 3 = 5." and not reply.tool_calls
    assert len(bodies) == 2
    first, second = bodies
    if mode == "native":
        assert "tools" in first and "tools" not in second and "tool_choice" not in second
    else:
        # the prompt stays the same bytes (the server's prompt cache keeps the conversation)
        assert "<tools>" in _system_text(first) and _system_text(second) == _system_text(first)
        assert second["stop"] == first["stop"] == ["</tool_call>"]
    # the re-ask asks for the answer from the results (short and positive: a 0.5B model
    # answered a longer "do not call a tool ..." with a refusal); the repeat is not quoted back
    assert second["messages"][-1] == {
        "role": "user",
        "content": "Using the tool results above, answer my question in one sentence."}
    def turns(body: dict) -> list[dict]:
        return [m for m in body["messages"] if m["role"] != "system"]
    assert len(turns(second)) == len(turns(first)) + 1


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_model_that_never_answers_still_gives_the_agent_a_plain_text_answer(stream: bool) -> None:
    with emulate() as emu:
        emu.script([HERMES_CALL, HERMES_CALL, '{"'])  # repeat, repeat without tools, a fragment
        reply = _run(_model(emu, "emulated").bind_tools([ADD]), HISTORY, stream=stream)
        assert len(emu.requests) == 3  # max_tool_reasks=2
    assert not reply.tool_calls
    assert reply.content == "5"  # the latest tool result, never "" or '{"'
    assert reply.response_metadata["answer_fallback"] == "latest tool results"


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("bad", ["", "  ", '{"', '{"name', "<your reply>"])
def test_an_empty_or_fragment_reply_is_not_an_answer(bad: str, stream: bool) -> None:
    with emulate() as emu:
        emu.script([bad, "It is 5."])
        reply = _run(_model(emu, "emulated").bind_tools([ADD]), HISTORY, stream=stream)
        bodies = [r.body for r in emu.requests]
    assert reply.content.strip().endswith("It is 5.") and not reply.tool_calls
    assert len(bodies) == 2 and _system_text(bodies[1]) == _system_text(bodies[0])
    assert "<tools>" in _system_text(bodies[1])


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_an_invented_tool_result_is_not_passed_on(stream: bool) -> None:
    invented = ('I will add them.\n<tool_response>\n{"result": 6}\n</tool_response>\n'
                "The answer is 6.")
    with emulate() as emu:
        emu.script([invented, HERMES_CALL])
        reply = _run(_model(emu, "emulated").bind_tools([ADD]), [HumanMessage("What is 2 + 3?")],
                     stream=stream)
        bodies = [r.body for r in emu.requests]
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert "<tools>" in _system_text(bodies[1])  # it wanted the tool: it may call it now
    assert "tool result itself" in bodies[1]["messages"][-1]["content"]


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_failed_attempts_do_not_pile_up(stream: bool) -> None:
    bad = '<tool_call>{"name": "add", "arguments": {"a": "two"}}</tool_call>'
    with emulate() as emu:
        emu.script([bad, bad, HERMES_CALL])
        reply = _run(_model(emu, "emulated").bind_tools([ADD]), [HumanMessage("What is 2 + 3?")],
                     stream=stream)
        bodies = [r.body for r in emu.requests]
    assert [c["name"] for c in reply.tool_calls] == ["add"]
    assert len(bodies) == 3
    # the third request quotes only the latest failed attempt, not both
    assert (len(bodies[2]["messages"]) == len(bodies[1]["messages"])
            == len(bodies[0]["messages"]) + 2)
    assert sum(m["role"] == "assistant" for m in bodies[2]["messages"]) == 1


CALC = {"type": "function", "function": {
    "name": "calc", "description": "Evaluate an expression.", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}},
    "required": ["expression"]}}}


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(("question", "call", "reworks"), [
    # the result passed back as it is, a number written as a string (the demo's calculator)
    ("What is 2 + 3?", {"name": "calc", "arguments": {"expression": "5"}}, True),
    ("What is 2 + 3?", {"name": "calc", "arguments": {"expression": "5 * 7"}}, False),
    ("What is 5 squared?", {"name": "calc", "arguments": {"expression": "5"}}, False),
    ("What is 2 + 3?", {"name": "multiply", "arguments": {"a": 5, "b": 1}}, True),
    ("What is 2 + 3?", {"name": "add", "arguments": {"a": 5, "b": 0}}, True),
    # the next step the user asked for keeps a number of the user's own
    ("Add 2 and 3, then multiply the result by 4.",
     {"name": "multiply", "arguments": {"a": 5, "b": 4}}, False),
    # a number that is neither in the results nor 0/1 is new information, not a rework
    ("What is 2 + 3?", {"name": "multiply", "arguments": {"a": 5, "b": 7}}, False),
])
def test_a_call_that_only_reworks_the_tool_results_gets_the_answer_asked_for(
        question: str, call: dict, reworks: bool, stream: bool) -> None:
    history = [HumanMessage(question), *HISTORY[1:]]
    with emulate() as emu:
        emu.script([{"tool_calls": [call]}, "It is 5."])
        llm = _model(emu, "native", profile_overrides={"small_model_guards": True})
        reply = _run(llm.bind_tools([ADD, MULTIPLY, CALC]), history, stream=stream)
        bodies = [r.body for r in emu.requests]
    if reworks:
        assert len(bodies) == 2 and "tools" not in bodies[1]
        assert reply.content == "It is 5." and not reply.tool_calls
    else:
        assert len(bodies) == 1
        assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
            (call["name"], call["arguments"])]


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(("question", "args", "invented"), [
    ("Hi! My name is Ada and I live in Lisbon.", {"expression": "10 + 5 * 2 / (3 - 4)"}, True),
    ("What is 1234 * 5678?", {"expression": "1234 * 5678"}, False),
    ("What is 1234 * 5678?", {"expression": "1234*5678"}, False),
    ("My name is Ada.", {"expression": "Ada"}, False),  # no numbers: not this rule's business
])
def test_a_call_with_made_up_numbers_gets_the_answer_asked_for(
        question: str, args: dict, invented: bool, stream: bool) -> None:
    calc = {"type": "function", "function": {"name": "calculator", "description": "Arithmetic.",
            "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                           "required": ["expression"]}}}
    with emulate() as emu:
        emu.script([{"tool_calls": [{"name": "calculator", "arguments": args}]}, "Hello Ada!"])
        llm = _model(emu, "native", profile_overrides={"small_model_guards": True})
        reply = _run(llm.bind_tools([calc]), [HumanMessage(question)], stream=stream)
        bodies = [r.body for r in emu.requests]
    assert (len(bodies) == 2) is invented
    assert bool(reply.tool_calls) is not invented
    if invented:
        assert "tools" not in bodies[1] and reply.content == "Hello Ada!"
        assert (bodies[1]["messages"][-1]["content"]
                == "Answer my question in plain text, in one sentence.")


def test_reworked_results_are_left_alone_without_the_small_model_guards() -> None:
    """The rework check is a small-model guard (a row of the judge's table with its flag):
    a bigger model's multiply(5, 1) is its own business."""
    history = [HumanMessage("What is 2 + 3?"), *HISTORY[1:]]
    call = {"name": "multiply", "arguments": {"a": 5, "b": 1}}
    with emulate() as emu:
        emu.script([{"tool_calls": [call]}])
        reply = _model(emu, "native").bind_tools([ADD, MULTIPLY]).invoke(history)
        assert len(emu.requests) == 1
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("multiply", {"a": 5, "b": 1})]


def test_made_up_numbers_are_left_alone_without_the_small_model_guards() -> None:
    """A model may pick numbers of its own ("roll a die" -> roll(sides=6)): off by default."""
    roll = {"type": "function", "function": {"name": "roll", "description": "Roll a die.",
            "parameters": {"type": "object", "properties": {"sides": {"type": "integer"}}}}}
    with emulate() as emu:
        emu.script([{"tool_calls": [{"name": "roll", "arguments": {"sides": 6}}]}])
        reply = _model(emu, "native").bind_tools([roll]).invoke("Roll a die for me.")
        assert len(emu.requests) == 1
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("roll", {"sides": 6})]


PEG = "Failed to parse input at pos 0: does not match the expected peg-native format"


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_server_side_parse_failure_is_resent_emulated_under_auto(stream: bool) -> None:
    with emulate() as emu:
        emu.inject(server_error(500, PEG))
        emu.script([HERMES_CALL])
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m-peg-auto", max_retries=2,
                                   profile_overrides={"native_tools": True})
        reply = _run(llm.bind_tools([ADD]), [HumanMessage("What is 2 + 3?")], stream=stream)
        bodies = [r.body for r in emu.requests]
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert len(bodies) == 2  # the deterministic 500 was not retried as a 5xx
    assert "tools" in bodies[0] and "tools" not in bodies[1]
    assert "<tools>" in _system_text(bodies[1])


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_server_side_parse_failure_under_native_is_a_typed_error(stream: bool) -> None:
    with emulate() as emu:
        emu.inject(server_error(500, PEG))
        with pytest.raises(ToolCallParseError, match="peg-native"):
            _run(_model(emu, "native").bind_tools([ADD]), [HumanMessage("2+3?")], stream=stream)
        assert len(emu.requests) == 1


def test_native_tools_refused_under_native_says_what_to_do() -> None:
    with emulate() as emu:
        emu.inject(server_error(400, '"tools" is not supported by this model'))
        with pytest.raises(ToolsNotSupportedError, match="tool_calling='auto'"):
            _model(emu, "native").bind_tools([ADD]).invoke("2+3?")


def test_an_unrelated_400_naming_a_tool_surfaces_and_does_not_switch_auto() -> None:
    message = "tool_call_id call_9 not found in the conversation"
    with emulate() as emu:
        emu.inject(server_error(400, message))
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m-unrelated-400", max_retries=0)
        with pytest.raises(BadRequestError, match="call_9"):
            llm.bind_tools([ADD]).invoke("2+3?")
        emu.script(["5"])
        llm.bind_tools([ADD]).invoke("2+3?")
        assert "tools" in emu.requests[-1].body  # still probing natively: nothing was learned


def test_profile_flags_keep_refused_tool_fields_off_the_wire_and_the_policy_enforces_them() -> None:
    """``Profile.tool_choice``/``parallel_tool_calls`` False: the fields are not sent, and a
    forced choice is enforced by re-asking (the backend was not told)."""
    with emulate() as emu:
        emu.script(["I think it is 5.", {"tool_calls": [CALL]}])
        llm = _model(emu, "native",
                     profile_overrides={"tool_choice": False, "parallel_tool_calls": False})
        reply = llm.bind_tools([ADD], tool_choice="add", parallel_tool_calls=False).invoke("2+3?")
        bodies = [r.body for r in emu.requests]
    assert [c["name"] for c in reply.tool_calls] == ["add"]
    assert len(bodies) == 2
    assert all("tools" in b and "tool_choice" not in b and "parallel_tool_calls" not in b
               for b in bodies)
    assert "must call the tool 'add'" in bodies[1]["messages"][-1]["content"]


@pytest.mark.parametrize("after_chunks", [1, 3])
def test_a_parse_failure_in_a_stream_error_event_is_resent_emulated_under_auto(
        after_chunks: int) -> None:
    """llama-server reports the parse failure as an error event after the role chunk
    (seen in the demo): under auto the stream is re-sent emulated, not interrupted."""
    from langchain_compat.testing.faults import stream_error

    with emulate() as emu:
        emu.inject(stream_error(PEG, after_chunks=after_chunks))
        emu.script(["Let me add.", HERMES_CALL])
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m-peg-stream", max_retries=0,
                                   profile_overrides={"native_tools": True})
        reply = _run(llm.bind_tools([ADD]), [HumanMessage("What is 2 + 3?")], stream=True)
        bodies = [r.body for r in emu.requests]
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert "tools" in bodies[0] and "tools" not in bodies[1]


def test_a_parse_failure_in_a_stream_error_event_under_native_is_the_typed_error() -> None:
    from langchain_compat.testing.faults import stream_error

    with emulate() as emu:
        emu.inject(stream_error(PEG, after_chunks=1))
        with pytest.raises(ToolCallParseError, match="peg-native"):
            _run(_model(emu, "native").bind_tools([ADD]), [HumanMessage("2+3?")], stream=True)


@pytest.mark.parametrize("mode", ["native", "emulated"])
def test_an_unknown_tool_choice_at_call_time_is_a_typed_error_before_any_request(mode: str) -> None:
    from langchain_compat.errors import InvalidParameterError

    with emulate() as emu:
        with pytest.raises(InvalidParameterError, match="not one of the bound tools"):
            _model(emu, mode).bind_tools([ADD]).invoke("2+3?", tool_choice="zzz")
        assert not emu.requests


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("mode", ["native", "emulated"])
def test_a_repeated_call_beside_a_new_one_is_progress(mode: str, stream: bool) -> None:
    """Only a reply whose *every* call was answered is a repeat; one new call beside it is
    the next step (the agent runs both): no re-ask, both calls kept."""
    calls = [CALL, {"name": "multiply", "arguments": {"a": 5, "b": 4}}]
    reply = {"tool_calls": calls} if mode == "native" else "".join(
        f"<tool_call>{json.dumps(c)}</tool_call>" for c in calls)
    with emulate() as emu:
        emu.script([reply])
        got = _run(_model(emu, mode).bind_tools([ADD, MULTIPLY], parallel_tool_calls=True),
                   HISTORY, stream=stream)
        assert len(emu.requests) == 1
    assert [(c["name"], c["args"]) for c in got.tool_calls] == [
        ("add", {"a": 2, "b": 3}), ("multiply", {"a": 5, "b": 4})]



@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_reply_that_opens_with_a_tool_result_of_its_own_is_never_shown(stream: bool) -> None:
    """Seen from the 0.5B model: it answered by echoing the result block. The re-asked
    attempt is all a stream shows, and all invoke's content holds."""
    echo = ('<tool_response>\n<tool_response name="add" tool_call_id="call_1">\n5\n'
            "</tool_response>\n</tool_response\n\nThe sum is 5.")
    with emulate() as emu:
        emu.script([echo, "It is 5."])
        llm = _model(emu, "emulated").bind_tools([ADD])
        if stream:
            pieces = [c.content for c in llm.stream(HISTORY)]
            assert not any("<tool_response" in p for p in pieces), pieces
            content = "".join(pieces)
        else:
            content = llm.invoke(HISTORY).content
        assert len(emu.requests) == 2
    assert content == "It is 5."
