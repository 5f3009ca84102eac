"""trim_to_window: unit cases and hypothesis properties."""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from memory_helpers import check_tool_pairs, conversations, turn

from langchain_compat.errors import ConfigurationError
from langchain_compat.memory import (
    TRUNCATION_MARKER,
    context_window_of,
    count_tokens,
    input_budget,
    split_units,
    trim_hook,
    trim_to_window,
    window_trimmer,
)
from langchain_compat.providers import COTOMI, TELKOM

MARKER_START = TRUNCATION_MARKER.split("{n}")[0]


def history(n: int, *, tools: int = 0, size: int = 40) -> list:
    return [SystemMessage("You are helpful.", id="sys")] + [
        m for i in range(n) for m in turn(i, tools=tools, size=size)]


# ------------------------------------------------------------------ budget


def test_budget_from_explicit_max_tokens_takes_no_reserve() -> None:
    assert input_budget(max_tokens=1000) == 1000
    assert input_budget(max_tokens=1000, reserve_for_output=200) == 800


def test_budget_from_compat_profile() -> None:
    # cotomi: 4096 window, default reserve min(1024, 4096 // 4)
    assert context_window_of(COTOMI.profile) == 4096
    assert input_budget(profile=COTOMI.profile) == 4096 - 1024
    assert input_budget(profile=TELKOM.profile, reserve_for_output=100) == 8192 - 100


def test_budget_from_langchain_model_profile() -> None:
    model = GenericFakeChatModel(messages=iter([]), profile={"max_input_tokens": 2000})
    assert context_window_of(model=model) == 2000
    assert input_budget(model=model) == 2000 - 500
    assert input_budget(profile={"max_input_tokens": 3000, "max_output_tokens": 300}) == 2700


def test_budget_uses_model_max_tokens_as_reserve() -> None:
    class Model:
        profile: ClassVar[dict] = {"max_input_tokens": 4096}
        max_tokens = 256

    assert input_budget(model=Model()) == 4096 - 256


def test_budget_subtracts_tools() -> None:
    def lookup(q: str) -> str:
        """Look something up."""
        return q

    assert input_budget(max_tokens=2000, tools=[lookup]) < 2000 - 150


def test_no_budget_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="context window"):
        trim_to_window([HumanMessage("hi")])
    with pytest.raises(ConfigurationError):
        input_budget(max_tokens=100, reserve_for_output=100)


# ------------------------------------------------------------------ shapes


def test_fitting_history_is_returned_unchanged() -> None:
    msgs = history(3)
    assert trim_to_window(msgs, max_tokens=10_000) == msgs


def test_drops_oldest_whole_turns_and_keeps_system() -> None:
    msgs = history(20)
    out = trim_to_window(msgs, max_tokens=400)
    assert out[0].id == "sys"
    assert isinstance(out[1], HumanMessage)
    assert out[-1].id == "r19"
    assert count_tokens(out) <= 400
    ids = [m.id for m in out]
    assert ids == [m.id for m in msgs if m.id in ids]  # an order-preserving subsequence
    assert all(m.id.startswith("h") for m in out if isinstance(m, HumanMessage))


def test_tool_pairs_dropped_as_a_unit() -> None:
    msgs = history(10, tools=2)
    for budget in range(150, 1500, 37):
        out = trim_to_window(msgs, max_tokens=budget)
        check_tool_pairs(out)
        assert count_tokens(out) <= budget


def test_split_units_groups_parallel_calls() -> None:
    ai = AIMessage("", tool_calls=[{"name": "a", "args": {}, "id": "1"},
                                   {"name": "b", "args": {}, "id": "2"}])
    units = split_units([HumanMessage("q"), ai, ToolMessage("x", tool_call_id="1"),
                         ToolMessage("y", tool_call_id="2"), AIMessage("done")])
    assert [len(u) for u in units] == [1, 3, 1]


def test_long_agent_loop_keeps_human_and_newest_tool_rounds() -> None:
    msgs = [SystemMessage("s", id="sys"), *turn(0, tools=30, size=60)[:-1]]  # ends on a tool result
    out = trim_to_window(msgs, max_tokens=400)
    assert [m.id for m in out[:2]] == ["sys", "h0"]
    assert out[-1].id == "t0_29"
    check_tool_pairs(out)
    assert count_tokens(out) <= 400


def test_leading_assistant_greeting_dropped_once_trimming() -> None:
    msgs = [SystemMessage("s"), AIMessage("Hi! How can I help?" * 20), *turn(1), *turn(2)]
    out = trim_to_window(msgs, max_tokens=count_tokens(msgs) - 1)
    assert isinstance(out[1], HumanMessage)


def test_over_long_last_human_message_is_truncated_with_marker() -> None:
    big = "START " + "lorem ipsum " * 3000 + " END?"
    msgs = [SystemMessage("Be brief.", id="sys"), *turn(0), HumanMessage(big, id="big")]
    out = trim_to_window(msgs, max_tokens=500)
    assert [m.id for m in out] == ["sys", "big"]
    text = out[1].content
    assert MARKER_START in text and text.startswith("START") and text.endswith("END?")
    assert count_tokens(out) <= 500
    assert out[0].content == "Be brief."  # the system prompt is cut last
    assert msgs[-1].content == big  # the input is not mutated


def test_over_long_tool_result_is_truncated() -> None:
    ai = AIMessage("", tool_calls=[{"name": "read", "args": {"path": "a.txt"}, "id": "c"}], id="ai")
    msgs = [SystemMessage("s"), HumanMessage("summarize a.txt", id="h"), ai,
            ToolMessage("data " * 5000, tool_call_id="c", id="t")]
    out = trim_to_window(msgs, max_tokens=300)
    assert [m.id for m in out[1:]] == ["h", "ai", "t"]
    assert MARKER_START in out[-1].content
    assert out[-1].tool_call_id == "c"


def test_absurd_budget_raises() -> None:
    with pytest.raises(ConfigurationError, match="too small"):
        trim_to_window([SystemMessage("s"), HumanMessage("hi")], max_tokens=10)


def test_cjk_history() -> None:
    msgs = [SystemMessage("日本語で答えてください。")] + [
        m for i in range(30)
        for m in (HumanMessage(f"質問{i}: 東京の天気は？" * 5), AIMessage("晴れです。" * 10))
    ]
    out = trim_to_window(msgs, profile=COTOMI.profile.replace(context_window=1024))
    assert count_tokens(out) <= 1024 - 256
    assert isinstance(out[1], HumanMessage)


def test_image_message_counts_and_fits() -> None:
    img = HumanMessage([{"type": "text", "text": "what?"},
                        {"type": "image_url", "image_url": {"url": "data:,x"}}])
    msgs = [SystemMessage("s"), *turn(0), *turn(1), img]
    out = trim_to_window(msgs, max_tokens=1100)
    assert out[-1] is img and count_tokens(out) <= 1100


# ----------------------------------------------------------- runnable forms


def test_window_trimmer_in_lcel() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "sys"), MessagesPlaceholder("history"),
                                               ("human", "{q}")])
    seen = []

    model = GenericFakeChatModel(messages=iter([AIMessage("ok")]))
    chain = (prompt | window_trimmer(max_tokens=300)
             | (lambda msgs: seen.append(msgs) or msgs) | model)
    past = [m for i in range(30) for m in turn(i)]
    assert chain.invoke({"history": past, "q": "latest?"}).content == "ok"
    assert count_tokens(seen[0]) <= 300
    assert seen[0][-1].content == "latest?"


async def test_window_trimmer_async() -> None:
    out = await window_trimmer(max_tokens=300).ainvoke(history(30))
    assert count_tokens(out) <= 300


def test_trim_hook_returns_llm_input_messages() -> None:
    hook = trim_hook(max_tokens=300)
    state = {"messages": history(30)}
    update = hook(state)
    assert set(update) == {"llm_input_messages"}
    assert count_tokens(update["llm_input_messages"]) <= 300
    assert len(state["messages"]) == 61  # the state itself is untouched


# --------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msgs=conversations(), budget=st.integers(400, 4000))
def test_properties(msgs, budget) -> None:
    out = trim_to_window(msgs, max_tokens=budget)
    # fits
    assert count_tokens(out) <= budget
    # keeps the system message first, and adds none to a history without one
    head = 1 if isinstance(msgs[0], SystemMessage) else 0
    if head:
        assert isinstance(out[0], SystemMessage) and out[0].id == msgs[0].id
    assert not any(isinstance(m, SystemMessage) for m in out[head:])
    # no orphaned tool result, no call without its results
    check_tool_pairs(out)
    # starts on a human turn after the system message (if any)
    assert isinstance(out[head], HumanMessage)
    # the newest human message is kept (perhaps cut), and nothing after it is lost wholesale
    last_human = max(i for i, m in enumerate(msgs) if isinstance(m, HumanMessage))
    assert msgs[last_human].id in [m.id for m in out]
    # an order-preserving subsequence of the input
    in_ids = [m.id for m in msgs]
    positions = [in_ids.index(m.id) for m in out]
    assert positions == sorted(positions)
    # the most recent messages are kept: what was dropped is older than what was kept
    # (except older tool rounds of the newest turn, dropped before truncating)
    kept_turn_start = positions[head]
    assert positions[head:] == sorted(set(positions[head:]))
    assert kept_turn_start <= last_human
    assert set(range(kept_turn_start, last_human)) <= set(positions)  # whole turns, no gap


@settings(max_examples=100, deadline=None)
@given(msgs=conversations(max_turns=4))
def test_property_fits_unchanged_when_room(msgs) -> None:
    assert trim_to_window(msgs, max_tokens=count_tokens(msgs)) == msgs


# ------------------------------------------------------ langchain-compat models


def test_budget_from_a_langchain_compat_chat_model() -> None:
    from langchain_compat.chat_models import ChatCotomi, ChatTelkom

    cotomi = ChatCotomi(base_url="http://127.0.0.1:9/v1", api_key="k", max_tokens=200)
    assert cotomi.profile["max_input_tokens"] == 4096
    assert input_budget(model=cotomi) == 4096 - 200  # the model's max_tokens is the reserve
    telkom = ChatTelkom(api_key="k")
    assert input_budget(model=telkom) == 8192 - 1024
    out = trim_to_window(history(200), model=cotomi)
    assert count_tokens(out) <= 4096 - 200


def test_middleware_is_exported_lazily() -> None:
    from langchain_compat import memory
    from langchain_compat.memory.middleware import TrimToWindowMiddleware

    assert memory.TrimToWindowMiddleware is TrimToWindowMiddleware


def test_edge_shapes() -> None:
    assert trim_to_window([], max_tokens=100) == []
    only_system = trim_to_window([SystemMessage("s " * 500)], max_tokens=100)
    assert count_tokens(only_system) <= 100 and MARKER_START in only_system[0].content
    no_human = [SystemMessage("s")] + [AIMessage(f"note {i} " * 20, id=f"n{i}") for i in range(20)]
    out = trim_to_window(no_human, max_tokens=200)
    assert out[0].content == "s" and out[-1].id == "n19" and count_tokens(out) <= 200
    as_tuples = [("system", "s"),
                 *[(r, f"{r} {i} " * 30) for i in range(20) for r in ("human", "ai")]]
    out = trim_to_window(as_tuples, max_tokens=300)
    assert isinstance(out[0], SystemMessage) and isinstance(out[1], HumanMessage)


def test_system_message_mid_conversation_belongs_to_the_turn_it_follows() -> None:
    msgs = [SystemMessage("s", id="s0"), *turn(0), SystemMessage("note", id="s1"), *turn(1),
            *turn(2)]
    out = trim_to_window(msgs, max_tokens=count_tokens(msgs) - 1)
    assert [m.id for m in out] == ["s0", "h1", "r1", "h2", "r2"]
