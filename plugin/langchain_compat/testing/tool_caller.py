"""A test double for agents: call the bound tools with schema-valid arguments, then answer.

:class:`ToolCaller` is an emulator responder (``emulate(responder=ToolCaller())``
or one script item). Like pydantic-ai's ``TestModel`` it needs no model and
no scripted arguments: it reads the tools a request binds and calls them with
arguments built from each tool's JSON schema
(:func:`~langchain_compat.testing.schema_values.sample_value`); once the tool
results are back it answers in text. Whatever the client sends, it answers
in kind:

- native tools (``tools`` in the body): native ``tool_calls``;
- emulated tools (a ``<tools>`` catalogue in the system prompt, the form
  ``tool_calling="emulated"`` renders): ``<tool_call>`` blocks as text;
- ``tool_choice``: ``"none"`` answers in text; a named tool calls that tool;
  ``"required"`` (also the emulated prompt's "You MUST call") after tool results
  calls the bound tools not called yet (e.g. an agent's structured-output
  tool), so a forced agent ends;
- ``response_format`` ``json_schema`` or JSON asked for in the prompt
  (``JSON schema:`` followed by the schema): a JSON value valid for the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_compat.emulation.formats.hermes import WRITER as HERMES
from langchain_compat.emulation.parser import parse_tool_calls
from langchain_compat.testing.responders import ChatRequest, Reply, ToolCall, message_text
from langchain_compat.testing.schema_values import sample_value

__all__ = ["ToolCaller"]

_CATALOGUE = re.compile(r"<tools>\s*\n(.*?)\n\s*</tools>", re.DOTALL)
_PROMPTED_SCHEMA = re.compile(r"JSON schema:\n(\{.*\})\s*$", re.DOTALL)
_FORCED_PROMPT = "You MUST call"


def _functions(tools: Any) -> list[dict[str, Any]]:
    out = []
    for tool in tools or ():
        fn = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            out.append(dict(fn))
    return out


def _system_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(message_text(m) for m in messages if m.get("role") == "system")


def _emulated_tools(system: str) -> list[dict[str, Any]]:
    """The tools of a ``<tools>`` catalogue (one JSON object a line)."""
    match = _CATALOGUE.search(system)
    if not match:
        return []
    lines = []
    for line in match.group(1).splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return _functions(lines)


def _called(messages: Sequence[Mapping[str, Any]]) -> set[str]:
    """Names of the tools called so far (native calls, and calls written as text in any
    format the package reads)."""
    names: set[str] = set()
    for m in messages:
        if m.get("role") != "assistant":
            continue
        for call in m.get("tool_calls") or ():
            names.add(((call or {}).get("function") or {}).get("name"))
        parsed = parse_tool_calls(message_text(m), None)
        names.update(c["name"] for c in parsed.tool_calls)
    return names


def _results_back(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """The tool results that end the conversation (native or ``<tool_response>`` text)."""
    out: list[str] = []
    for m in reversed(messages):
        text = message_text(m)
        if m.get("role") == "tool" or (m.get("role") == "user" and "<tool_response" in text):
            out.append(text)
            continue
        break
    return out[::-1]


class ToolCaller:
    """Answer with schema-valid calls to the bound tools, then with text.

    Args:
        call_tools: which bound tools to call on the first turn: ``"all"`` or a
            list of names (names not bound are skipped).
        text: the final answer; default: ``"<tool>: <result>"`` for each result.
        json_output: the JSON value to answer when JSON is asked for without a
            schema (default ``{"answer": "text"}``).

    Example::

        with emulate(responder=ToolCaller()) as emu:
            agent = create_agent(ChatOpenAICompatible(**emu.client_kwargs, model="m"),
                                 tools=[add])
            agent.invoke({"messages": [("user", "add 2 and 3")]})
            # emu.requests[0] got a call add(a=1, b=1); emu.requests[1] the answer
    """

    def __init__(self, *, call_tools: Literal["all"] | Sequence[str] = "all",
                 text: str | None = None, json_output: Any = None) -> None:
        self.call_tools = call_tools if call_tools == "all" else tuple(call_tools)
        self.text = text
        self.json_output = {"answer": "text"} if json_output is None else json_output

    def __call__(self, request: ChatRequest) -> Reply:
        """The reply to one chat request."""
        body, messages = request.body, request.messages
        system = _system_text(messages)
        native = _functions(body.get("tools"))
        tools = native or _emulated_tools(system)
        as_json = self._json(body, system, tools)
        if as_json is not None:
            return Reply(content=json.dumps(as_json, ensure_ascii=False))
        choice = body.get("tool_choice")
        if not native and _FORCED_PROMPT in system:
            choice = "required"  # an emulated forced choice (see emulation/render.py)
        chosen = self._choose(tools, choice, messages)
        if not chosen:
            return Reply(content=self._answer(messages))
        calls = [(fn["name"], sample_value(fn.get("parameters"))) for fn in chosen]
        if native:
            return Reply(tool_calls=tuple(ToolCall(name, json.dumps(args)) for name, args in calls))
        return Reply(content=HERMES.calls(calls))  # a model trained on Hermes, as we prompt

    def _json(self, body: Mapping[str, Any], system: str, tools: list[dict[str, Any]]) -> Any:
        """The JSON answer when the request asks for JSON, else None."""
        fmt = body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        if kind == "json_schema":
            return sample_value((fmt.get("json_schema") or {}).get("schema"))
        prompted = _PROMPTED_SCHEMA.search(system) if not tools else None
        if prompted:
            try:
                return sample_value(json.loads(prompted.group(1)))
            except ValueError:
                pass
        return self.json_output if kind == "json_object" else None

    def _choose(self, tools: list[dict[str, Any]], choice: Any,
                messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The tools to call now (none: answer in text)."""
        if not tools or choice == "none":
            return []
        if isinstance(choice, Mapping):
            name = (choice.get("function") or {}).get("name") or choice.get("name")
            return [fn for fn in tools if fn["name"] == name][:1]
        forced = choice == "required"
        if _results_back(messages):
            if not forced:
                return []
            called = _called(messages)
            return [fn for fn in tools if fn["name"] not in called] or tools[:1]
        wanted = [fn for fn in tools if self.call_tools == "all" or fn["name"] in self.call_tools]
        return wanted or (tools[:1] if forced else [])

    def _answer(self, messages: Sequence[Mapping[str, Any]]) -> str:
        if self.text is not None:
            return self.text
        results = _results_back(messages)
        if not results:
            return "No tool was needed."
        return "Results: " + "; ".join(re.sub(r"</?tool_response[^>]*>", "", r).strip()
                                       for r in results)
