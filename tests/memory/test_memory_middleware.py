"""TrimToWindowMiddleware inside a real create_agent graph with a checkpointer."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from memory_helpers import check_tool_pairs
from pydantic import Field

from langchain_compat.memory import count_tokens, input_budget
from langchain_compat.memory.middleware import TrimToWindowMiddleware


@tool
def lookup(q: str) -> str:
    """Look something up."""
    return "found " + q * 20


class ToolAgentModel(GenericFakeChatModel):
    """Calls ``lookup`` once per human turn, then answers; records every request."""

    seen: list = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolAgentModel:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any):
        self.seen.append(messages)
        n = len(self.seen)
        if isinstance(messages[-1], HumanMessage):
            reply = AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": f"q{n}"},
                                               "id": f"call{n}"}])
        else:
            reply = AIMessage(f"answer {n} " + "w" * 200)
        self.messages = iter([reply])
        return super()._generate(messages, *args, **kwargs)


def test_agent_requests_are_trimmed_but_state_keeps_everything() -> None:
    model = ToolAgentModel(messages=iter([]), seen=[], profile={"max_input_tokens": 1500})
    agent = create_agent(
        model, [lookup], system_prompt="You are a test agent.",
        middleware=[TrimToWindowMiddleware()], checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "t"}}
    for i in range(12):
        agent.invoke({"messages": [HumanMessage(f"turn {i} " + "x" * 200)]}, config)
    budget = input_budget(model=model, tools=[lookup])
    for request in model.seen:
        assert isinstance(request[0], SystemMessage)
        assert request[0].content == "You are a test agent."
        assert count_tokens(request) <= budget
        assert isinstance(request[1], HumanMessage)
        check_tool_pairs(request[1:])
    assert len(model.seen[-1]) < 12 * 4  # trimmed ...
    state = agent.get_state(config).values["messages"]
    assert len(state) == 12 * 4  # ... while the checkpoint has every message


async def test_agent_async() -> None:
    model = ToolAgentModel(messages=iter([]), seen=[])
    agent = create_agent(model, [lookup], middleware=[TrimToWindowMiddleware(max_tokens=700)],
                         checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "a"}}
    for i in range(6):
        await agent.ainvoke({"messages": [HumanMessage(f"turn {i} " + "x" * 200)]}, config)
    assert all(count_tokens(r) <= 700 for r in model.seen)
    assert isinstance(model.seen[-1][0], HumanMessage)
