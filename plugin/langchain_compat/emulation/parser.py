"""Parse emulated tool calls out of a complete model reply.

Accepted formats (see ``formats.RECOGNISERS``, the table the scanner reads):

- Hermes/Qwen ``<tool_call>{json}</tool_call>`` (closing tag optional), also
  ``<tool_calls>``, ``<function_call>``, ``<|tool_call|>`` (Phi-4, Granite);
- bare JSON objects and arrays, fenced ```json / ``` / ```tool_call blocks;
- call shapes ``name`` + ``arguments``|``parameters``|``args``, ``tool`` + ``tool_input``,
  ``{"function": {...}}``, ``{"type": "function", "function": {...}}``, ``{"tool_calls": [...]}``;
- Mistral ``[TOOL_CALLS] [...]`` and ``[TOOL_CALLS]name[ARGS]{...}``;
- Llama 3 ``<|python_tag|>`` with JSON or ``name.call(k=v)``, Llama 3.1
  ``<function=name>{...}</function>``, Llama 3.2 pythonic ``[name(k=v), ...]`` at reply start;
- Qwen3-Coder ``<tool_call><function=name><parameter=k>v</parameter></function></tool_call>``;
- explicit tags wrapped in a code block (```xml ...), which then count as the calls;
- python literals, trailing commas, unclosed braces (``json_repair``), arguments as a JSON
  string, no arguments at all.

Code blocks in other languages and ``<think>`` blocks are opaque text: nothing in them is
a call. When tools are known, bare JSON (or a ```json block) counts as a call only if it has a call
shape and names a known tool: a JSON example in an answer stays text. Inside an explicit
wrapper everything is a call, and what cannot be used becomes an ``InvalidToolCall``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.messages import InvalidToolCall, ToolCall

from langchain_compat.emulation.engine import Engine, IdFactory

__all__ = ["ParsedReply", "parse_tool_calls"]


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
                     id_factory: IdFactory | None = None) -> ParsedReply:
    """Split a model reply into prose and tool calls. Never raises on any input text.

    Args:
        text: The complete reply text.
        tools: The OpenAI-format tools offered (``{"type": "function", "function": {...}}``);
            ``None`` means unknown: any call-shaped JSON counts and no schema is checked.
        id_factory: ``index -> id`` for the calls (index counts valid and invalid calls in
            order); default random ``call_<24 hex>``. Pass the same factory to
            ``StreamingToolParser`` to compare streamed and one-shot results.

    Returns:
        A ``ParsedReply``.
    """
    reply = ParsedReply()
    reply.add(Engine(tools, id_factory).push(text or "", final=True))
    return reply
