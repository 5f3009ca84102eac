"""Request shaping: the request body of one attempt (pure).

What travels in the prompt (tools, a JSON schema, replayed tool history) is decided
here (:func:`prompt_spec`) and written by emulation's one request-side entry
(``emulation/prompt.py``); the body is then built once from the messages it returns.
What to do (mode, withheld tools) is decided by the call and passed in.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from langchain_compat.chat_models.call_options import CallOptions, CallSettings, ToolMode, tool_name
from langchain_compat.chat_models.conversation import numbers_left
from langchain_compat.core.request import build_chat_payload
from langchain_compat.errors import InvalidParameterError

if TYPE_CHECKING:
    from langchain_compat.emulation.prompt import PromptMode, PromptSpec

#: The function-name rule of the OpenAI chat-completions API (servers that mimic it
#: refuse or mangle other names).
NATIVE_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")

__all__ = ["build_payload", "check_native_names", "prompt_spec"]


def build_payload(wire: list[dict[str, Any]], settings: CallSettings, options: CallOptions,
                  mode: ToolMode, *, failed_ids: frozenset[str] = frozenset(),
                  withhold_tools: bool = False, extra: tuple[dict[str, Any], ...] = (),
                  stream: bool | None = None, grammar: bool, one_call: bool) -> dict[str, Any]:
    """The request body of one attempt.

    Args:
        wire: the conversation as wire dicts (not modified).
        settings: the model's settings (profile: tool role, format, template, stop rule).
        options: the call's options (tools, tool_choice, structured output).
        mode: the call's tool mode.
        failed_ids: ids of tool results whose tool failed (marked in replayed history).
        withhold_tools: the judge asks for a plain answer: no native tools; prompted ones
            as ``PromptSpec.answer_only`` says.
        extra: turns after the conversation (a re-ask), sent as they are.
        stream: request a stream (None: as the call does; invoke reads a reply it may end
            early as a stream).
        grammar: a constrained turn is decoded under the grammar (:func:`grammar_turn`,
            decided by the call, which reads the reply accordingly).
        one_call: the reply may hold one call (``CallOptions.calls_wanted``, decided by the
            call, which ends and trims the reply accordingly).

    Returns:
        The body: where tools or a JSON schema travel in the prompt, the messages and
        fields :func:`~langchain_compat.emulation.prompt.prompt_request` writes; native
        ``tools`` where ``mode`` sends them (``tool_choice`` and ``parallel_tool_calls``
        only where the profile accepts them: the judge enforces a forced choice or one
        call per reply itself where it does not); the parameters checked.
    """
    params = dict(options.params)
    if mode.sends_tools and not withhold_tools:
        profile = settings.profile
        check_native_names(options.tools)
        params["tools"] = options.tools
        if options.tool_choice is not None and profile.tool_choice:
            params["tool_choice"] = options.tool_choice
        if options.parallel is not None and profile.parallel_tool_calls:
            params["parallel_tool_calls"] = options.parallel
    spec = prompt_spec(wire, settings, options, mode, failed_ids=failed_ids,
                       withhold_tools=withhold_tools, grammar=grammar, one_call=one_call)
    if spec is not None:
        from langchain_compat.emulation.prompt import prompt_request

        wire, params = prompt_request(wire, params, spec)
    if extra:
        wire = [*wire, *extra]
    return build_chat_payload(
        model=options.model_name, messages=wire, params=params, profile=settings.profile,
        provider=settings.provider,
        stream=options.stream if stream is None else stream, stream_usage=settings.stream_usage,
        drop_unsupported=settings.drop_unsupported_params, extra_body=settings.extra_body,
    )


def grammar_turn(wire: list[dict[str, Any]], settings: CallSettings, mode: ToolMode) -> bool:
    """Whether a constrained turn is decoded under a grammar (an answer in plain text) rather
    than the JSON schema (an answer as ``{"response": ...}``): where the profile takes one
    (``call_grammar``) and the conversation does not end with a tool result, or ends with one
    while the question has numbers no call has used yet (:func:`numbers_left`: "... then
    multiply the sum by 3"). Before any result the model has to be free to answer without a
    call (under the schema the 0.5B model called a tool on every no-tool question); right
    after one, the schema's short answers restate the result faithfully and it opens fewer
    needless calls, but it also answered every question that needed a second call with the
    first result alone; with numbers left the grammar lets it make that call (the 33 agent
    tasks: 19 -> 21 successes in two runs each, measured in docs/agent-benchmark.md).

    Decided from the conversation alone: a re-ask within the call (``Call._extra``) keeps
    the kind of the turn it re-asks, so its prompt is the same bytes up to the re-ask and a
    server's prompt cache reuses the conversation (a switch of kind re-evaluates all of it)."""
    if mode is not ToolMode.CONSTRAINED or not settings.profile.call_grammar:
        return False
    if not wire or wire[-1].get("role") != "tool":
        return True
    return bool(numbers_left(wire))


def prompt_spec(wire: list[dict[str, Any]], settings: CallSettings, options: CallOptions,
                mode: ToolMode, *,
                failed_ids: frozenset[str] = frozenset(),
                withhold_tools: bool = False, grammar: bool,
                one_call: bool) -> PromptSpec | None:
    """What the prompt carries for ``mode`` (None: nothing, the request is sent as it is):
    the JSON instructions of prompted structured output; the tools of an emulated or
    constrained call; tool history as text where the backend has no tool role."""
    profile = settings.profile
    if mode is ToolMode.CONSTRAINED:
        how: PromptMode | None = "constrained"
    elif mode is ToolMode.EMULATED:
        how = "emulated"
    elif not mode.sends_tools and not profile.tool_role and _has_tool_history(wire):
        how = "replay"
    else:
        how = None
    schema = (options.structured.schema or {}) if options.prompted_json else None
    if how is None and schema is None:
        return None
    # (the emulation package is loaded only by calls that need it)
    from langchain_compat.emulation import prompt

    stop = profile.rule("stop")
    return prompt.PromptSpec(
        mode=how, tools=options.tools or [], tool_choice=options.tool_choice,
        fmt=profile.tool_format, tool_role=profile.tool_role, template=profile.tool_prompt,
        parallel=options.parallel is not False, one_call=one_call,
        failed_ids=failed_ids, json_schema=schema, answer_only=withhold_tools,
        stop_max=(stop.max_items if stop.supported else 0),
        grammar=grammar, grammar_prompt=profile.call_grammar)


def _has_tool_history(wire: list[dict[str, Any]]) -> bool:
    return any(m["role"] == "tool" or m.get("tool_calls") for m in wire)


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
