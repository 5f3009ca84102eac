"""A request body that is not JSON raises a typed InvalidParameterError, never a bare
TypeError (an object in a tool schema) or invalid JSON on the wire (NaN in extra_body)."""

from __future__ import annotations

import math

import pytest

from langchain_compat.errors import CompatError, InvalidParameterError

from .conftest import make_chat

BAD_TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object",
                                                                          "default": object()}}}


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
@pytest.mark.parametrize("how", ["tool", "extra_body_nan", "extra_body_set"])
async def test_unserialisable_body_is_typed(emu, mode, how) -> None:
    if how == "tool":
        llm = make_chat(emu, tool_calling="native").bind_tools([BAD_TOOL])
    elif how == "extra_body_nan":
        llm = make_chat(emu, extra_body={"x": math.nan})
    else:
        llm = make_chat(emu, extra_body={"x": {1, 2}})
    with pytest.raises(InvalidParameterError) as info:
        if mode == "invoke":
            llm.invoke("hi")
        elif mode == "ainvoke":
            await llm.ainvoke("hi")
        elif mode == "stream":
            list(llm.stream("hi"))
        else:
            async for _ in llm.astream("hi"):
                pass
    assert isinstance(info.value, CompatError)
    assert "only JSON values" in str(info.value) and info.value.param == "request body"
    assert emu.requests == []  # nothing was sent
