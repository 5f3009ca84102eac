"""Reading a whole reply: the response body, then calls or JSON out of its text (pure).

Where tools are bound, reply text is searched for calls (emulated tools, and
a backend that wrote its native call as text); prompted structured output is
parsed, validated and rewritten as clean JSON, or marked with
``response_metadata["structured_output_error"]`` for the reply policy.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_compat.chat_models.settings import CallOptions, ToolMode
from langchain_compat.core.response import parse_chat_response
from langchain_compat.core.server_meta import add_server_metadata
from langchain_compat.emulation.parser import parse_tool_calls, unwrap_generic_response
from langchain_compat.emulation.schema import validate
from langchain_compat.emulation.structured import parse_json_reply

__all__ = ["path_metadata", "read_json", "read_message", "read_result"]


def read_result(body: Any, options: CallOptions, *, think_tags: bool, think_prefilled: bool = False,
                calls_only: bool = False) -> ChatResult:
    """A response body as a ``ChatResult`` whose messages went through :func:`read_message`."""
    result = parse_chat_response(body, think_tags=think_tags, think_prefilled=think_prefilled)
    result = add_server_metadata(result, body, options.params)  # llama-server's timings, id_slot
    if not (options.reads_calls or options.prompted_json):
        return result
    gens = [ChatGeneration(message=read_message(g.message, options, calls_only=calls_only),
                           generation_info=g.generation_info)
            for g in result.generations]
    return ChatResult(generations=gens, llm_output=result.llm_output)


def _text(message: AIMessage) -> str:
    return message.content if isinstance(message.content, str) else message.text


def read_json(message: AIMessage, options: CallOptions) -> AIMessage:
    """Prompted JSON: the message with clean JSON content, or marked with the error."""
    obj, error = parse_json_reply(_text(message))
    if error is None:
        obj, errors = validate(obj, options.structured.schema if options.structured else None)
        if not errors:
            return message.model_copy(update={"content": json.dumps(obj, ensure_ascii=False)})
        error = "; ".join(errors)
    meta = {**message.response_metadata, "structured_output_error": error}
    return message.model_copy(update={"response_metadata": meta})


def read_message(message: AIMessage, options: CallOptions, *, calls_only: bool = False) -> AIMessage:
    """Calls (or prompted JSON) read out of a reply's text.

    Args:
        message: the reply as the backend sent it.
        options: the call's options (tools, parallel_tool_calls, structured output).
        calls_only: native tools were sent: text is read as calls only when the
            reply is calls and nothing else (a backend that wrote its call as text).

    A call cut off by the token limit (``finish_reason == "length"``) is invalid, and
    llama-server's generic ``{"response": "..."}`` answer shape is unwrapped.
    """
    if options.prompted_json and not options.tools:
        return read_json(message, options)
    text = _text(message)
    if message.tool_calls:
        return message  # the backend parsed native calls itself
    if not text:
        return read_json(message, options) if options.prompted_json else message
    inner = unwrap_generic_response(text)
    if inner is not None:
        return message.model_copy(update={"content": inner})
    truncated = message.response_metadata.get("finish_reason") == "length"
    parsed = parse_tool_calls(text, options.tools, truncated=truncated, calls_only=calls_only)
    if not parsed.tool_calls and not parsed.invalid_tool_calls:
        return read_json(message, options) if options.prompted_json else message  # tools beside JSON
    if options.parallel is False:  # one call per reply was asked for
        parsed.tool_calls = parsed.tool_calls[:1]
    return message.model_copy(update={"content": parsed.content, "tool_calls": parsed.tool_calls,
                                      "invalid_tool_calls": parsed.invalid_tool_calls})


def path_metadata(mode: ToolMode, downgraded: bool, options: CallOptions) -> dict[str, Any]:
    """How a reply's tools or structured output were carried, for ``response_metadata``.

    Returns:
        ``{"tool_calling": "native" | "emulated", "tool_calling_downgraded": bool}``:
        ``"native"`` when the request carried OpenAI ``tools`` (or ``response_format``
        for JSON structured output), ``"emulated"`` when they were written into the
        prompt and read back from the text; ``tool_calling_downgraded`` when
        ``tool_calling="auto"`` went emulated because the backend refused native tools
        (in this call, or earlier in the process for the same base URL and model).
        ``{}`` when the call bound neither tools nor structured output.
    """
    if options.tools:
        how = "emulated" if mode is ToolMode.EMULATED else "native"
    elif options.structured is not None:
        how = "native" if options.structured.native else "emulated"
    else:
        return {}
    return {"tool_calling": how, "tool_calling_downgraded": downgraded}
