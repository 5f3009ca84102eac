"""Shared builders for the memory tests."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

_ids = itertools.count()

TEXT = st.text(
    alphabet=st.sampled_from(list("abcdefghij klmnop,.;{}0123") + list("日本語テスト")
                             + ["é", "ж", "😀"]),
    max_size=300,
)


@st.composite
def conversations(draw, min_turns: int = 1, max_turns: int = 8) -> list[BaseMessage]:
    """A well-formed history: optional system, human turns, tool rounds of 1-3 calls."""
    msgs: list[BaseMessage] = []
    if draw(st.booleans()):
        msgs.append(SystemMessage(draw(TEXT), id=f"m{next(_ids)}"))
    n_turns = draw(st.integers(min_turns, max_turns))
    for turn in range(n_turns):
        msgs.append(HumanMessage(draw(TEXT), id=f"m{next(_ids)}"))
        for _ in range(draw(st.integers(0, 3))):
            calls = [
                {"name": draw(st.sampled_from(["search", "add", "weather"])),
                 "args": {"q": draw(st.text(max_size=20))}, "id": f"call{next(_ids)}"}
                for _ in range(draw(st.integers(1, 3)))
            ]
            msgs.append(AIMessage(draw(TEXT), tool_calls=calls, id=f"m{next(_ids)}"))
            for call in calls:
                msgs.append(ToolMessage(draw(TEXT), tool_call_id=call["id"], name=call["name"],
                                        id=f"m{next(_ids)}"))
        last = turn == n_turns - 1
        if not last or draw(st.booleans()):
            msgs.append(AIMessage(draw(TEXT), id=f"m{next(_ids)}"))
    return msgs


def check_tool_pairs(messages: list[BaseMessage]) -> None:
    """Every ToolMessage answers a call of the nearest preceding AIMessage; every call is
    answered."""
    pending: set[str] = set()
    for msg in messages:
        if isinstance(msg, ToolMessage):
            assert msg.tool_call_id in pending, f"orphaned tool result {msg.tool_call_id}"
            pending.discard(msg.tool_call_id)
            continue
        assert not pending, f"tool calls without results: {pending}"
        if isinstance(msg, AIMessage):
            pending = {c["id"] for c in msg.tool_calls}
    assert not pending, f"tool calls without results: {pending}"


def turn(i: int, *, tools: int = 0, size: int = 40) -> list[BaseMessage]:
    """A deterministic turn: human, ``tools`` tool rounds, final answer."""
    out: list[BaseMessage] = [HumanMessage(f"question {i} " + "x" * size, id=f"h{i}")]
    for t in range(tools):
        cid = f"c{i}_{t}"
        out.append(AIMessage("", tool_calls=[{"name": "f", "args": {"i": i}, "id": cid}],
                             id=f"a{i}_{t}"))
        out.append(ToolMessage(f"result {i} " + "y" * size, tool_call_id=cid, id=f"t{i}_{t}"))
    out.append(AIMessage(f"answer {i} " + "z" * size, id=f"r{i}"))
    return out
