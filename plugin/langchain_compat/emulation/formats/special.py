"""Formats framed by special tokens that we read but never write: Phi-4-mini and Granite
``<|tool_call|>``, Nemotron ``<TOOLCALL>``, InternLM 2, DeepSeek V3/R1 and Kimi K2 (with
their section markers), and ``<think>`` blocks, in which nothing is a call."""

from __future__ import annotations

from langchain_compat.emulation.formats.scanning import (
    NEED,
    Ctx,
    OpenFence,
    Reject,
    Verdict,
    marker,
    opener,
    opens,
    tag,
)
from langchain_compat.emulation.readers import separated_call

__all__ = ["RECOGNISERS", "think"]


@opener("<think>")
def think(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """``<think>`` reasoning (Qwen3, DeepSeek-R1 without a reasoning parser): text in which
    nothing is a call, so a call the model only considers is not made."""
    o = opens(buf, pos, "<think>", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    return OpenFence(pos + len("<think>"), "</think>")


RECOGNISERS = {
    "<": (
        tag("<|tool_call|>", "<|/tool_call|>", "<|end_tool_call|>"),  # Phi-4-mini, Granite
        tag("<TOOLCALL>", "</TOOLCALL>"),  # Nemotron
        tag("<|action_start|><|plugin|>", "<|action_end|>"),  # InternLM 2
        # DeepSeek V3/R1 (fullwidth bars): <|tool_call_begin|>function<|tool_sep|>name
        # ```json{..}```<|tool_call_end|>, framed by <|tool_calls_begin|>...<|tool_calls_end|>
        tag("<\uff5ctool\u2581call\u2581begin\uff5c>", "<\uff5ctool\u2581call\u2581end\uff5c>",
            reader=separated_call("<\uff5ctool\u2581sep\uff5c>")),
        marker("<\uff5ctool\u2581calls\u2581begin\uff5c>"),
        marker("<\uff5ctool\u2581calls\u2581end\uff5c>"),
        # Kimi K2: <|tool_call_begin|>functions.name:0<|tool_call_argument_begin|>{..}
        # <|tool_call_end|>, framed by <|tool_calls_section_begin|>...<|tool_calls_section_end|>
        tag("<|tool_call_begin|>", "<|tool_call_end|>",
            reader=separated_call("<|tool_call_argument_begin|>")),
        marker("<|tool_calls_section_begin|>"),
        marker("<|tool_calls_section_end|>"),
    ),
}
