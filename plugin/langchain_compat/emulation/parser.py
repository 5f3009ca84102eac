"""Parse emulated tool calls out of a complete model reply.

Accepted formats (see ``formats.RECOGNISERS``, the table the scanner reads):

- Hermes/Qwen ``<tool_call>{json}</tool_call>`` (closing tag optional), also
  ``<tool_calls>``, ``<function_call>``, ``<|tool_call|>`` (Phi-4, Granite);
- bare JSON objects and arrays, fenced ```json / ``` / ```tool_call blocks;
- call shapes ``name`` + ``arguments``|``parameters``|``args``, ``tool`` + ``tool_input``,
  ``{"function": {...}}``, ``{"type": "function", "function": {...}}``, ``{"tool_calls": [...]}``;
- llama-server's generic ``{"tool_call": {...}}`` / ``{"tool_calls": [...]}`` (and see
  ``unwrap_generic_response`` for its ``{"response": "..."}`` no-call shape);
- Mistral ``[TOOL_CALLS] [...]`` and ``[TOOL_CALLS]name[ARGS]{...}``;
- Llama 3 ``<|python_tag|>`` with JSON or ``name.call(k=v)``, Llama 3.1
  ``<function=name>{...}</function>``, Llama 3.2 pythonic ``[name(k=v), ...]`` at reply start;
- Qwen3-Coder ``<tool_call><function=name><parameter=k>v</parameter></function></tool_call>``;
- functionary v3 ``>>>name\n{json}`` (``>>>all\n`` segments are text);
- ReAct ``Action: name`` + ``Action Input: {json}`` or a plain string (up to ``Observation:``);
- explicit tags wrapped in a code block (```xml ...), which then count as the calls;
- python literals, trailing commas, single quotes (``json_repair``), arguments as a JSON
  string, a plain ``tool_input``/``input`` string for a tool with one string parameter, no
  arguments at all.

Repair never invents an ending: a call whose JSON is still open where its text stops (the
end of the reply, or the next call's opening tag) was cut off and is an ``InvalidToolCall``.

Code blocks in other languages, inline code and ``<think>`` blocks are opaque text: nothing
in them is a call; so are Markdown quote lines and a call inside a sentence (see
``engine.Engine._placement``). When tools are known, bare JSON (or a ```json block) counts
as a call only if it has a call shape and names a known tool: a JSON example in an answer
stays text. Inside an explicit wrapper everything is a call, and what cannot be used
becomes an ``InvalidToolCall``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from langchain_core.messages import InvalidToolCall, ToolCall

from langchain_compat.emulation.engine import Engine, IdFactory

__all__ = ["ParsedReply", "parse_tool_calls", "unwrap_generic_response"]


@dataclass
class ParsedReply:
    """A reply split into text and calls.

    Attributes:
        content: The text that is not a call, stripped; whitespace right after a call is
            dropped, whitespace between text and a call is kept.
        tool_calls: Valid calls (``type: "tool_call"``), in reply order.
        invalid_tool_calls: Calls that cannot be used, each with an ``error`` reason.
    """

    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)

    @property
    def has_calls(self) -> bool:
        """Whether the model tried to call a tool (validly or not)."""
        return bool(self.tool_calls or self.invalid_tool_calls)

    def add(self, items: list) -> None:
        """Append engine items (text strings and ``(index, call)`` pairs)."""
        for item in items:
            if isinstance(item, str):
                self.content += item
            elif item[1]["type"] == "tool_call":
                self.tool_calls.append(item[1])
            else:
                self.invalid_tool_calls.append(item[1])


def parse_tool_calls(text: str, tools: list[dict] | None, *,
                     id_factory: IdFactory | None = None, truncated: bool = False,
                     calls_only: bool = False) -> ParsedReply:
    """Split a model reply into prose and tool calls. Never raises on any input text.

    Args:
        text: The complete reply text.
        tools: The OpenAI-format tools offered (``{"type": "function", "function": {...}}``);
            ``None`` means unknown: any call-shaped JSON counts and no schema is checked.
        id_factory: ``index -> id`` for the calls (index counts valid and invalid calls in
            order); default random ``call_<24 hex>``. Pass the same factory to
            ``StreamingToolParser`` to compare streamed and one-shot results.
        truncated: The reply stopped at the token limit (``finish_reason == "length"``): a
            call the reply ends with that has no closing marker of its own (no
            ``</tool_call>``, no closing fence, a bare JSON or Mistral call) is invalid, since
            the model may not have finished it. Only whitespace may follow such a call.
        calls_only: Accept calls only when the reply is calls and nothing else (whitespace,
            ``<think>`` blocks and section markers aside); otherwise the whole reply is
            ``content`` with no calls. For rescuing calls written as text by a backend
            serving tools natively, where prose that mentions a call must stay prose.

    Returns:
        A ``ParsedReply``.
    """
    reply = ParsedReply()
    engine = Engine(tools, id_factory, calls_only=calls_only)
    reply.add(engine.push(text or "", final=True, truncated=truncated))
    return reply


def unwrap_generic_response(text: str) -> str | None:
    """The answer inside llama-server's generic "no call" shape, ``{"response": "..."}``.

    With tools offered, llama-server's generic tool format constrains a reply to
    ``{"tool_call": {...}}``/``{"tool_calls": [...]}`` (calls, which ``parse_tool_calls``
    reads) or ``{"response": "..."}`` (an answer).

    Args:
        text: The complete reply text.

    Returns:
        The inner text when ``text`` is exactly one JSON object whose only key is
        ``"response"`` with a string value (whitespace around it allowed), else ``None``.
    """
    body = (text or "").strip()
    if not (body.startswith("{") and body.endswith("}")):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if (isinstance(value, dict) and list(value) == ["response"]
            and isinstance(value["response"], str)):
        return value["response"]
    return None
