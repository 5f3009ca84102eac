"""ToolCaller: schema-valid calls to the bound tools, then text (a TestModel-like double)."""

from __future__ import annotations

import json
from enum import Enum
from typing import Literal

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_compat import ChatOpenAICompatible
from langchain_compat.emulation.schema import validate
from langchain_compat.testing import ToolCaller, emulate, sample_value


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str = Field(min_length=8)
    zip_code: str = Field(max_length=3)


class Order(BaseModel):
    """Place an order."""

    item: str
    quantity: int = Field(ge=3, le=9)
    price: float = Field(gt=10, multiple_of=0.5)
    color: Color
    size: Literal["S", "M"]
    tags: list[str] = Field(min_length=2)
    ship_to: Address
    gift: Address | None = None
    express: bool = False


def test_sample_value_follows_the_schema():
    schema = Order.model_json_schema()
    value = sample_value(schema)
    order = Order.model_validate(value)  # pydantic's own check: nested refs, bounds, enums
    assert order.quantity >= 3 and order.price > 10 and len(order.tags) >= 2
    assert len(order.ship_to.street) >= 8 and len(order.ship_to.zip_code) <= 3
    assert validate(value, schema)[1] == []
    assert sample_value({"type": "string", "format": "date-time"}) == "2024-01-01T00:00:00Z"
    assert sample_value({"allOf": [{"properties": {"a": {"type": "integer"}}},
                                   {"properties": {"b": {"const": 7}}}]}) == {"a": 1, "b": 7}
    assert sample_value(None) == {}


@tool
def place_order(order: Order) -> str:
    """Place an order."""
    return f"ordered {order.quantity} x {order.item}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize("tool_calling", ["native", "emulated"])
def test_agent_runs_on_tool_caller(tool_calling):
    with emulate(responder=ToolCaller()) as emu:
        # (ToolCaller makes both calls in one reply: several calls a reply allowed)
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling=tool_calling,
                                   profile_overrides={"several_emulated_calls": True})
        agent = create_agent(llm, tools=[place_order, add])
        out = agent.invoke({"messages": [("user", "order something and add")]})
        requests = emu.requests
    calls = out["messages"][1].tool_calls
    assert {c["name"] for c in calls} == {"place_order", "add"}
    order_args = next(c["args"] for c in calls if c["name"] == "place_order")
    Order.model_validate(order_args["order"])  # schema-valid arguments
    results = [m.content for m in out["messages"] if m.type == "tool"]
    assert "ordered 3 x text" in results and "2" in results
    assert out["messages"][-1].content.startswith("Results: ")
    assert len(requests) == 2
    assert ("tools" in requests[0].body) is (tool_calling == "native")


def test_tool_choice_is_followed():
    with emulate(responder=ToolCaller()) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m")
        named = llm.bind_tools([add, place_order], tool_choice="add").invoke("x")
        assert [c["name"] for c in named.tool_calls] == ["add"]
        none = llm.bind_tools([add], tool_choice="none").invoke("x")
        assert not none.tool_calls and none.content == "No tool was needed."
        only = ChatOpenAICompatible(base_url=emu.base_url, model="m")
        picked = only.bind_tools([add, place_order]).invoke("x")
        assert len(picked.tool_calls) == 2


def test_structured_output_from_schema_and_prompt():
    with emulate(responder=ToolCaller(json_output={"free": True})) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m")
        by_tool = llm.with_structured_output(Order).invoke("an order")
        prompted = ChatOpenAICompatible(base_url=emu.base_url, model="m",
                                        profile_overrides={"json_mode": False})
        by_prompt = prompted.with_structured_output(Order, method="json_mode").invoke("an order")
        free = llm.with_structured_output(None, method="json_mode").invoke("anything")
        native_schema = ChatOpenAICompatible(base_url=emu.base_url, model="m",
                                             profile_overrides={"json_schema": True})
        by_format = native_schema.with_structured_output(Order, method="json_schema").invoke("x")
    assert isinstance(by_tool, Order) and isinstance(by_prompt, Order)
    assert isinstance(by_format, Order)
    assert free == {"free": True}


def test_call_tools_selects_and_text_overrides():
    with emulate(responder=ToolCaller(call_tools=["add"], text="all done")) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m")
        out = create_agent(llm, tools=[add, place_order]).invoke({"messages": [("user", "go")]})
    assert [c["name"] for c in out["messages"][1].tool_calls] == ["add"]
    assert out["messages"][-1].content == "all done"
    assert json.loads(json.dumps(out["messages"][1].tool_calls[0]["args"])) == {"a": 1, "b": 1}
