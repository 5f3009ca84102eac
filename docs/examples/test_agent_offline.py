"""An agent tested offline with ToolCaller (run by pytest in this project's CI).

ToolCaller calls the agent's tools with arguments built from their schemas, then answers
from the results; block_real_requests() makes sure nothing leaves the machine.
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_compat import ChatOpenAICompatible
from langchain_compat.testing import ToolCaller, block_real_requests, emulate


class Booking(BaseModel):
    city: str
    nights: int = Field(ge=1, le=14)


@tool
def book_hotel(booking: Booking) -> str:
    """Book a hotel."""
    return f"booked {booking.nights} night(s) in {booking.city}"


def test_agent_books_and_answers():
    with block_real_requests(), emulate(responder=ToolCaller()) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="any-model")
        agent = create_agent(llm, tools=[book_hotel])
        result = agent.invoke({"messages": [("user", "Book me a hotel")]})

    call = result["messages"][1].tool_calls[0]
    assert call["name"] == "book_hotel"
    Booking.model_validate(call["args"]["booking"])  # schema-valid arguments
    assert result["messages"][-1].content == "Results: booked 1 night(s) in text"
    assert len(emu.requests) == 2  # one call, one answer
