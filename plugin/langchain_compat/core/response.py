"""Chat-completion response bodies -> LangChain ``ChatResult`` (sans-IO)."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, InvalidToolCall, ToolCall
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_compat.core.blocks import MODEL_PROVIDER
from langchain_compat.core.reasoning import reasoning_field, split_think
from langchain_compat.errors import ResponseParseError

__all__ = ["parse_chat_response", "parse_wire_tool_calls", "usage_to_metadata"]


def usage_to_metadata(usage: dict[str, Any] | None) -> UsageMetadata | None:
    """OpenAI ``usage`` -> LangChain ``UsageMetadata`` (None when absent).

    Counts that are not whole numbers >= 0 (a negative count, a string, a float)
    make the usage unknown (None) rather than wrong in cost and budget sums.
    """
    if not usage:
        return None
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if not all(c is None or _is_count(c) for c in counts):
        return None
    inp, out, total = (c or 0 for c in counts)
    meta = UsageMetadata(input_tokens=inp, output_tokens=out, total_tokens=total or inp + out)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if _is_count(cached):
        meta["input_token_details"] = InputTokenDetails(cache_read=cached)
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if _is_count(reasoning):
        meta["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return meta


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_wire_tool_calls(
    raw_calls: list[dict[str, Any]] | None,
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Native ``tool_calls`` from a response message -> (valid, invalid)."""
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls or ():
        fn = raw.get("function") or {}
        name = fn.get("name") or ""
        args_text = fn.get("arguments")
        call_id = raw.get("id")
        if isinstance(args_text, dict):  # some servers send an object
            valid.append(ToolCall(name=name, args=args_text, id=call_id, type="tool_call"))
            continue
        try:
            args = json.loads(args_text) if args_text else {}
        except (TypeError, ValueError) as exc:
            invalid.append(InvalidToolCall(name=name, args=args_text, id=call_id,
                                           error=f"arguments are not valid JSON: {exc}",
                                           type="invalid_tool_call"))
            continue
        if not isinstance(args, dict) or not name:
            invalid.append(InvalidToolCall(name=name, args=args_text, id=call_id,
                                           error="arguments must be a JSON object and name non-empty",
                                           type="invalid_tool_call"))
            continue
        valid.append(ToolCall(name=name, args=args, id=call_id, type="tool_call"))
    return valid, invalid


def _message_from_choice(
    choice: dict[str, Any], body: dict[str, Any], usage: UsageMetadata | None, think_tags: bool,
    think_prefilled: bool = False,
) -> AIMessage:
    msg = choice.get("message")
    if not isinstance(msg, dict):
        raise ResponseParseError("response choice has no message object", body=body)
    content = msg.get("content") or ""
    additional: dict[str, Any] = {}
    reasoning = reasoning_field(msg)
    prefilled = think_prefilled and not reasoning  # a server that splits reasoning itself
    if think_tags and isinstance(content, str) and ("think>" in content or prefilled):
        tagged, content = split_think(content, prefilled=prefilled)
        reasoning = reasoning or tagged
    if reasoning:
        additional["reasoning_content"] = reasoning
    tool_calls, invalid = parse_wire_tool_calls(msg.get("tool_calls"))
    if msg.get("function_call"):  # legacy single function call
        fc = msg["function_call"]
        legacy, legacy_invalid = parse_wire_tool_calls(
            [{"id": f"call_{body.get('id', '0')}", "function": fc}]
        )
        tool_calls += legacy
        invalid += legacy_invalid
    metadata: dict[str, Any] = {
        "model_name": body.get("model"),
        "finish_reason": choice.get("finish_reason"),
        "model_provider": MODEL_PROVIDER,
    }
    if body.get("system_fingerprint"):
        metadata["system_fingerprint"] = body["system_fingerprint"]
    if body.get("id"):
        metadata["id"] = body["id"]
    if choice.get("logprobs") is not None:
        metadata["logprobs"] = choice["logprobs"]
    return AIMessage(
        content=content,
        additional_kwargs=additional,
        response_metadata=metadata,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        id=body.get("id"),
        usage_metadata=usage,
    )


def parse_chat_response(body: Any, *, think_tags: bool = True, think_prefilled: bool = False) -> ChatResult:
    """Turn a ``chat.completion`` body into a ``ChatResult``.

    ``think_tags`` splits ``<think>`` reasoning out of the content;
    ``think_prefilled`` reads it up to a bare ``</think>`` (see
    :func:`~langchain_compat.core.reasoning.split_think`).

    Every choice becomes a generation (``n > 1``). Usage is attached to the
    first generation's message only, so aggregating generations does not
    count it twice.

    Raises:
        ResponseParseError: the body is not a chat completion.
    """
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise ResponseParseError(
            "expected a chat.completion object with a 'choices' list", body=body
        )
    if not body["choices"]:
        raise ResponseParseError("the response has no choices", body=body)
    try:
        usage = usage_to_metadata(body.get("usage"))
        generations = []
        for i, choice in enumerate(body["choices"]):
            if not isinstance(choice, dict):
                raise ResponseParseError("a response choice is not an object", body=body)
            message = _message_from_choice(choice, body, usage if i == 0 else None, think_tags,
                                           think_prefilled)
            info = {"finish_reason": choice.get("finish_reason")}
            if choice.get("logprobs") is not None:
                info["logprobs"] = choice["logprobs"]
            generations.append(ChatGeneration(message=message, generation_info=info))
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        # A malformed field deeper in the body (usage, tool_calls, ...): the
        # documented error for a 2xx we cannot read, not a bare AttributeError.
        if isinstance(exc, ResponseParseError):
            raise
        raise ResponseParseError(f"malformed chat.completion body: {exc}", body=body) from None
    llm_output = {
        "model_name": body.get("model"),
        "id": body.get("id"),
        "system_fingerprint": body.get("system_fingerprint"),
        "token_usage": body.get("usage"),
    }
    return ChatResult(generations=generations, llm_output=llm_output)
