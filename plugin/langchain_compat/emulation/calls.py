"""Turn a call found in the text into a LangChain ``ToolCall`` or ``InvalidToolCall``.

``formats/`` finds calls, ``readers.py`` reads what they say; this module applies the tool
catalogue and the schema (name checks, argument decoding, validation and coercion).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call, tool_call

from langchain_compat.emulation.jsonish import RawCall, load_lenient
from langchain_compat.emulation.readers import meant_for_sole, single_string_param
from langchain_compat.emulation.render import is_placeholder
from langchain_compat.emulation.schema import validate

__all__ = ["LIMIT_ERROR", "IdFactory", "build_call", "cut_at_limit", "index_tools",
           "random_call_id"]

#: The error of a call that the reply did not close before it hit the token limit.
LIMIT_ERROR = "the reply was cut off at the token limit before this tool call was closed"

IdFactory = Callable[[int], str]


def random_call_id(index: int = 0) -> str:
    """``call_<24 hex>``, the id shape OpenAI uses (``index`` is ignored)."""
    return "call_" + secrets.token_hex(12)


def index_tools(tools: list[dict] | None) -> dict[str, dict] | None:
    """``{name: parameters_schema}`` from OpenAI tools (bare function dicts accepted too).

    Returns:
        ``None`` when ``tools`` is ``None`` (tools unknown: any name is accepted).
    """
    if tools is None:
        return None
    out: dict[str, dict] = {}
    for tool in tools:
        fn = tool.get("function", tool) if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            params = fn.get("parameters")
            out[fn["name"]] = params if isinstance(params, dict) else {}
    return out


def build_call(raw: RawCall, tools: dict[str, dict] | None, call_id: str
               ) -> ToolCall | InvalidToolCall:
    """Apply the catalogue and the schema to a raw call. Never raises.

    Args:
        raw: The call as found in the text.
        tools: From ``index_tools``; ``None`` skips the name and schema checks.
        call_id: The id to give the call.

    Returns:
        A ``ToolCall``, or an ``InvalidToolCall`` whose ``error`` says why.
    """
    name = raw.name.strip() if isinstance(raw.name, str) and raw.name.strip() else None
    if raw.args is None or isinstance(raw.args, str):
        args_text = raw.args
    else:
        args_text = json.dumps(raw.args, ensure_ascii=False, default=str)

    def bad(reason: str) -> InvalidToolCall:
        return invalid_tool_call(name=name, args=args_text, id=call_id, error=reason)

    if raw.error:
        return bad(raw.error)
    if name is None:
        return bad("tool call has no function name")
    if tools is not None and name not in tools:
        bare = name.removeprefix("functions.")  # OpenAI-internal namespace some models copy
        name = bare if bare in tools else name
    if tools is not None and name not in tools and len(tools) == 1:
        sole = next(iter(tools.items()))
        name = sole[0] if meant_for_sole(raw.args, sole) else name
    if tools is not None and name not in tools:
        return bad(f"unknown tool {name!r}; available tools: {', '.join(sorted(tools)) or 'none'}")
    args: Any = raw.args
    if raw.text_input and isinstance(args, str) and tools is not None:
        args = _text_input(args, tools[name])
    if args is None or (isinstance(args, str) and not args.strip()):
        args = {}
    elif isinstance(args, str):
        args, err = load_lenient(args)
        if err:
            return bad(f"arguments are not valid JSON ({err}): {raw.args[:200]!r}")
    if not isinstance(args, dict):
        return bad(f"arguments must be a JSON object, got {type(args).__name__}")
    if tools is not None:
        args = _unecho_schema(args, tools[name])
        args, errors = validate(args, tools[name])
        if errors:
            return bad("arguments do not match the tool's schema: " + "; ".join(errors))
        copied = _copied_placeholders(args)
        if copied:
            return bad(f"placeholder values copied from the example for {', '.join(copied)}: "
                       "write real values")
    return tool_call(name=name, args=args, id=call_id)


def _copied_placeholders(value: Any, path: str = "") -> list[str]:
    """Where ``render.call_skeleton``'s ``"..."`` / ``<type>`` placeholders were copied verbatim."""
    if isinstance(value, str):
        return [path or "arguments"] if is_placeholder(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in _copied_placeholders(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _copied_placeholders(v, f"{path}[{i}]")]
    return []


_SCHEMA_KEYS = frozenset({"type", "properties", "required", "title", "description",
                          "additionalProperties", "$schema"})


def _unecho_schema(args: dict, schema: dict | None) -> dict:
    """Arguments that are the tool's own JSON schema echoed back -> no arguments.

    Small models (Qwen2.5-0.5B, seen in the standard no-argument test) answer a
    parameterless tool with ``"arguments": {"type": "object", "properties": {}}``.
    Only keys that are all schema keywords the tool does not itself define are
    read as an echo (for a tool with parameters, also ``type: object`` with a
    ``properties`` object); anything else is left to the validator.
    """
    own = set((schema or {}).get("properties") or {})
    keys = set(args)
    if not keys or not keys <= _SCHEMA_KEYS or keys & own or (schema or {}).get("required"):
        return args
    if not own or (args.get("type") == "object" and isinstance(args.get("properties"), dict)):
        return {}  # a parameterless tool, or a whole schema object echoed back
    return args


def _text_input(text: str, schema: dict) -> Any:
    """A plain ``tool_input``/``Action Input`` string -> the tool's only (string) parameter."""
    param = single_string_param(schema)
    if param is None or not text.strip() or isinstance(load_lenient(text)[0], dict):
        return text
    return {param: text}


def cut_at_limit(call: ToolCall | InvalidToolCall) -> InvalidToolCall:
    """``call`` as an invalid call: the reply hit the token limit before the call closed."""
    if call["type"] == "tool_call":
        args = json.dumps(call["args"], ensure_ascii=False)
        return invalid_tool_call(name=call["name"], args=args, id=call["id"], error=LIMIT_ERROR)
    error = call["error"] or ""
    if "cut off" not in error:
        error = f"{LIMIT_ERROR} ({error})" if error else LIMIT_ERROR
    return invalid_tool_call(name=call["name"], args=call["args"], id=call["id"], error=error)
