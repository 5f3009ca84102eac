"""SummaryMemory with langchain_core's GenericFakeChatModel (sync and async)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from memory_helpers import check_tool_pairs, conversations, turn
from pydantic import Field

from langchain_compat.memory import (
    SUMMARY_PREFIX,
    SummaryMemory,
    asummarize_messages,
    count_tokens,
    is_summary,
    summarize_messages,
)
from langchain_compat.memory.summary import SUMMARY_ID, render_transcript


class RecordingModel(GenericFakeChatModel):
    """Answers "summary N" and records the prompts it was sent."""

    prompts: list = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any):
        self.prompts.append(messages)
        self.messages = iter([AIMessage(f"<think>hmm</think>summary {len(self.prompts)}")])
        return super()._generate(messages, *args, **kwargs)


def make_model() -> RecordingModel:
    return RecordingModel(messages=iter([]), prompts=[])


def history(n: int, tools: int = 0) -> list[BaseMessage]:
    return [SystemMessage("You are helpful.", id="sys")] + [
        m for i in range(n) for m in turn(i, tools=tools)]


def test_short_history_is_left_alone() -> None:
    model = make_model()
    msgs = history(2)
    assert SummaryMemory(model, max_tokens=2000).fold(msgs) == msgs
    assert model.prompts == []


def test_folds_old_turns_into_a_system_summary() -> None:
    model = make_model()
    msgs = history(20, tools=1)
    memory = SummaryMemory(model, max_tokens=1000)
    out = memory.fold(msgs)
    assert out[0].id == "sys"
    assert is_summary(out[1]) and out[1].id == SUMMARY_ID
    assert out[1].content == SUMMARY_PREFIX + f"summary {len(model.prompts)}"  # <think> stripped
    assert isinstance(out[2], HumanMessage)
    assert out[-1].id == "r19"
    check_tool_pairs(out[2:])
    assert count_tokens(out[2:]) <= memory.keep_tokens
    assert count_tokens(out) <= memory.budget
    # the summarizer saw the old turns (including tool calls) as a transcript
    prompt = model.prompts[0][1].content
    assert "User: question 0" in prompt and "Assistant called tool f" in prompt
    assert "Tool f returned" not in prompt
    assert not any("question 19" in p[1].content for p in model.prompts)


def test_running_summary_is_updated_not_duplicated() -> None:
    model = make_model()
    memory = SummaryMemory(model, max_tokens=1000)
    out = memory.fold(history(20))
    first = len(model.prompts)
    out = memory.fold(out + [m for i in range(20, 40) for m in turn(i)])
    assert sum(is_summary(m) for m in out) == 1
    assert f"Current summary:\nsummary {first}" in model.prompts[first][1].content  # carried over
    assert out[1].content.endswith(f"summary {len(model.prompts)}")


def test_huge_old_part_is_folded_in_chunks() -> None:
    model = make_model()
    memory = SummaryMemory(model, max_tokens=600, keep_tokens=150)
    out = memory.fold(history(80))
    assert len(model.prompts) > 1
    for prompt in model.prompts:
        assert count_tokens(prompt) <= memory.budget
    assert count_tokens(out) <= memory.budget


async def test_async_fold() -> None:
    model = make_model()
    out = await asummarize_messages(history(20), model, max_tokens=1000)
    assert is_summary(out[1]) and out[-1].id == "r19"


async def test_as_runnable_sync_and_async() -> None:
    memory = SummaryMemory(make_model(), max_tokens=1000)
    r = memory.as_runnable()
    assert is_summary(r.invoke(history(20))[1])
    assert is_summary((await r.ainvoke(history(20)))[1])


def test_uses_model_profile_by_default() -> None:
    model = RecordingModel(messages=iter([]), prompts=[], profile={"max_input_tokens": 1200})
    out = summarize_messages(history(30), model)
    assert count_tokens(out) <= 1200 - 300


def test_state_update_replaces_everything() -> None:
    from langgraph.graph.message import add_messages

    old = history(3)
    new = [SystemMessage("s", id="n1"), HumanMessage("h", id="n2")]
    assert add_messages(old, SummaryMemory.state_update(new)) == new


def test_render_transcript() -> None:
    lines = render_transcript(turn(0, tools=1))
    assert lines[0].startswith("User: question 0")
    assert lines[1] == 'Assistant called tool f with {"i": 0}'
    assert lines[2].startswith("Tool f_") or lines[2].startswith("Tool c0_0 returned")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msgs=conversations(min_turns=2, max_turns=10), budget=st.integers(600, 3000))
def test_summary_properties(msgs, budget) -> None:
    memory = SummaryMemory(make_model(), max_tokens=budget)
    out = memory.fold(msgs)
    assert count_tokens(out) <= budget
    system = [m for m in msgs[:1] if isinstance(m, SystemMessage)]
    lead = [m for m in out if isinstance(m, SystemMessage)]
    # the caller's system message stays first; the only one added is the summary note
    assert [m.id for m in lead[:len(system)]] == [m.id for m in system]
    assert all(m.id == SUMMARY_ID for m in lead[len(system):]) and len(lead) <= len(system) + 1
    assert out[:len(lead)] == lead  # system messages lead, none in the middle
    body = out[len(lead):]
    check_tool_pairs(body)
    assert isinstance(body[0], HumanMessage)
