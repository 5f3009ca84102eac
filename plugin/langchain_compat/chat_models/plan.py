"""Request shaping: the wire messages and the request body of one attempt (pure).

Emulation works on messages: the tool prompt and the replayed tool history are
written into the wire message list, and then the body is built once from it.
What to do (mode, withheld tools) is decided by the reply policy and passed in.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_compat.chat_models.call_options import CallOptions, CallSettings, ToolMode, tool_name
from langchain_compat.core.request import build_chat_payload
from langchain_compat.errors import InvalidParameterError

#: The function-name rule of the OpenAI chat-completions API (servers that mimic it
#: refuse or mangle other names).
NATIVE_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")

__all__ = ["build_payload", "shape_messages"]


def _with_system(wire: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Append ``text`` to the leading system message (or insert one)."""
    if wire and wire[0]["role"] == "system" and isinstance(wire[0].get("content"), str):
        return [{**wire[0], "content": f"{wire[0]['content']}\n\n{text}"}, *wire[1:]]
    return [{"role": "system", "content": text}, *wire]


def _has_tool_history(wire: list[dict[str, Any]]) -> bool:
    return any(m["role"] == "tool" or m.get("tool_calls") for m in wire)


def shape_messages(wire: list[dict[str, Any]], settings: CallSettings, options: CallOptions,
                   mode: ToolMode, *, failed_ids: frozenset[str] = frozenset(),
                   withhold_tools: bool = False) -> list[dict[str, Any]]:
    """The messages to send for ``mode``.

    Args:
        wire: the conversation as wire dicts (not modified).
        settings: the model's settings (profile: tool role, tool prompt template).
        options: the call's options (tools, tool_choice, structured output).
        mode: the call's tool mode.
        failed_ids: ids of tool results whose tool failed (marked in replayed history).
        withhold_tools: describe no tools (the policy asks for a plain answer).

    Returns:
        New wire messages: JSON instructions for prompted structured output; for
        emulation the tool prompt in the system message and tool history replayed
        as text; tool history replayed also where the backend has no tool role.
    """
    profile = settings.profile
    if options.prompted_json:
        from langchain_compat.emulation.json_output import render_json_instructions

        wire = _with_system(wire, render_json_instructions(options.structured.schema or {}))
    if mode.emulates or (not mode.sends_tools and not profile.tool_role
                         and _has_tool_history(wire)):
        # (the emulation package is loaded only by calls that need it)
        from langchain_compat.emulation.render import emulate_messages, replay_tool_history
    if mode is ToolMode.CONSTRAINED:  # the same tool block every turn: the schema does the rest
        return emulate_messages(wire, options.tools or [], None, tool_role=profile.tool_role,
                                template=profile.tool_prompt, failed_ids=failed_ids,
                                fmt="constrained")
    if mode is ToolMode.EMULATED:
        return emulate_messages(wire, [] if withhold_tools else options.tools or [],
                                options.tool_choice, tool_role=profile.tool_role,
                                template=profile.tool_prompt,
                                parallel=options.parallel is not False,
                                failed_ids=failed_ids, fmt=profile.tool_format)
    if not mode.sends_tools and not profile.tool_role and _has_tool_history(wire):
        return replay_tool_history(wire, tool_role=False, failed_ids=failed_ids,
                                   fmt=profile.tool_format)
    return wire


def build_payload(messages: list[dict[str, Any]], settings: CallSettings, options: CallOptions,
                  mode: ToolMode, *, withhold_tools: bool = False) -> dict[str, Any]:
    """The request body: ``messages`` plus checked parameters, tools where ``mode`` sends them.

    ``tool_choice`` and ``parallel_tool_calls`` are sent only where the profile
    accepts them; the reply policy enforces a forced choice or one call per
    reply itself where they are not.
    """
    params = dict(options.params)
    if mode is ToolMode.CONSTRAINED:
        params["response_format"] = constrained_format(options, withhold_tools)
    elif mode is ToolMode.EMULATED and options.calls_wanted == 1:
        params["stop"] = _one_call_stop(params.get("stop"), settings)
    if mode.sends_tools and not withhold_tools:
        profile = settings.profile
        check_native_names(options.tools)
        params["tools"] = options.tools
        if options.tool_choice is not None and profile.tool_choice:
            params["tool_choice"] = options.tool_choice
        if options.parallel is not None and profile.parallel_tool_calls:
            params["parallel_tool_calls"] = options.parallel
    return build_chat_payload(
        model=options.model_name, messages=messages, params=params, profile=settings.profile,
        provider=settings.provider, stream=options.stream, stream_usage=settings.stream_usage,
        drop_unsupported=settings.drop_unsupported_params, extra_body=settings.extra_body,
    )


def constrained_format(options: CallOptions, withhold_tools: bool) -> dict[str, Any]:
    """The ``response_format`` of a constrained turn, narrowed by ``tool_choice``."""
    from langchain_compat.emulation.formats.constrained import response_format
    from langchain_compat.emulation.render import normalize_tool_choice

    tools = options.tools or []
    mode, name = normalize_tool_choice(options.tool_choice, tools)
    return response_format(tools, mode, name, parallel=options.calls_wanted != 1,
                           answer_only=withhold_tools)


def _one_call_stop(stop: Any, settings: CallSettings) -> Any:
    """The stop sequences with the end of the format's call (``</tool_call>``) added, so
    a reply that should hold one call ends with it; unchanged where the format's calls have
    no end marker or the profile takes no more stop sequences."""
    from langchain_compat.emulation.formats import writer

    end = writer(settings.profile.tool_format).call_end
    rule = settings.profile.rule("stop")
    have = [stop] if isinstance(stop, str) else list(stop or ())
    if not end or not rule.supported or end in have or (
            rule.max_items is not None and len(have) >= rule.max_items):
        return stop
    return [*have, end]


def check_native_names(tools: list[dict[str, Any]] | None) -> None:
    """Refuse tool names a native ``tools`` field cannot carry, before any request.

    Raises:
        InvalidParameterError: a name outside ``^[a-zA-Z0-9_-]{1,64}$``.
    """
    for tool in tools or ():
        name = tool_name(tool)
        if name is None or not NATIVE_TOOL_NAME.fullmatch(name):
            raise InvalidParameterError(
                "tools", f"the tool name {name!r} cannot be sent natively (names are 1-64 of "
                         "a-z A-Z 0-9 _ -); rename the tool, or use tool_calling='emulated', "
                         "which puts tools in the prompt and accepts any name")
