"""An offline usage estimate for a reply whose server reported none (pure).

Used when a backend refused ``stream_options`` (so it was not asked for usage)
and its stream carried none anyway: the request body and the reply are counted
with the package's calibrated estimator (:mod:`langchain_compat.memory.estimate`,
an upper bound), and the reply says so in ``response_metadata["usage_estimated"]``.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import ToolCall
from langchain_core.messages.ai import UsageMetadata

__all__ = ["estimate_usage"]


def _wire_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    calls = message.get("tool_calls")
    return (content if isinstance(content, str) else "") + (json.dumps(calls) if calls else "")


def estimate_usage(payload: dict[str, Any], text: str, tool_calls: list[ToolCall]) -> UsageMetadata:
    """Estimated token usage of one request (its body) and its reply.

    Args:
        payload: the request body sent (messages and tools are counted).
        text: the reply's text.
        tool_calls: the reply's calls.

    Returns:
        ``UsageMetadata`` with the estimated input, output and total tokens.
    """
    from langchain_compat.memory.estimate import (
        PER_MESSAGE_TOKENS,
        PER_TOOL_CALL_TOKENS,
        REPLY_PRIMING_TOKENS,
        estimate_text_tokens,
        estimate_tools_tokens,
    )

    messages = payload.get("messages") or []
    prompt = REPLY_PRIMING_TOKENS + estimate_tools_tokens(payload.get("tools"))
    prompt += sum(PER_MESSAGE_TOKENS + estimate_text_tokens(_wire_text(m)) for m in messages)
    output = estimate_text_tokens(text)
    output += sum(PER_TOOL_CALL_TOKENS + estimate_text_tokens(c["name"] + json.dumps(c["args"]))
                  for c in tool_calls)
    return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)
