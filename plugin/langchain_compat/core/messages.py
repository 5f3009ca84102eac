"""LangChain messages <-> OpenAI chat-completions wire dicts (sans-IO), and the check of a
converted conversation against a text-only model (:func:`refuse_images`).

``to_wire`` is on the hot path of every call, so plain-string content takes a
fast path and only list content goes through block conversion.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    ToolMessage,
)
from langchain_core.messages.block_translators.openai import convert_to_openai_data_block

from langchain_compat.core.reasoning import message_reasoning
from langchain_compat.errors import InvalidParameterError, UnsupportedParameterError

__all__ = ["content_text", "content_to_wire", "message_to_wire", "messages_to_wire",
           "refuse_images", "tool_calls_to_wire"]

_ROLE_BY_TYPE = {
    "system": "system",
    "human": "user",
    "ai": "assistant",
    "tool": "tool",
    "function": "function",
}
_VALID_CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_TEXT_TYPES = frozenset({"text", "text-plain"})
_DATA_TYPES = frozenset({"image", "file", "audio"})


def _block_to_wire(block: Any) -> dict[str, Any] | None:
    """One content block in OpenAI chat-completions form (None drops it)."""
    if isinstance(block, str):
        return {"type": "text", "text": block}
    if not isinstance(block, dict):
        raise InvalidParameterError(
            "content", f"content blocks must be str or dict, got {type(block).__name__}"
        )
    kind = block.get("type")
    if not isinstance(kind, str):  # also keeps unhashable values out of the set lookups below
        raise InvalidParameterError("content",
                                    f"a content block needs a string 'type', got {kind!r}")
    if kind in _TEXT_TYPES:
        text = block.get("text", "")
        if not isinstance(text, str):
            raise InvalidParameterError(
                "content", f"a text block needs a string 'text', got {type(text).__name__}")
        return {"type": "text", "text": text}
    if kind == "image_url":
        url = block.get("image_url")
        if isinstance(url, str):
            url = {"url": url}
        if not isinstance(url, dict) or not isinstance(url.get("url"), str):
            raise InvalidParameterError("content", "an image_url block needs a URL string "
                                        "(image_url='https://...' or {'url': ...})")
        return {"type": "image_url", "image_url": url}
    if kind in _DATA_TYPES:
        try:
            return convert_to_openai_data_block(block)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            # langchain-core raises all four
            raise InvalidParameterError("content", f"cannot send {kind} block: {exc}") from None
    if kind in ("tool_use", "tool_call", "reasoning", "thinking", "non_standard"):
        return None  # carried in tool_calls / not sendable as content
    if kind in ("input_audio", "file"):
        return block
    raise InvalidParameterError(
        "content",
        f"unsupported content block type {kind!r}; use text, image_url, image, file or audio",
    )


def content_to_wire(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """Message content as the wire expects it (str stays str)."""
    if isinstance(content, str):
        return content
    parts = [b for b in (_block_to_wire(x) for x in content) if b is not None]
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)  # plain text: widest compatibility
    return parts


def tool_calls_to_wire(message: AIMessage) -> list[dict[str, Any]]:
    """``AIMessage.tool_calls`` (and invalid ones) as OpenAI ``tool_calls``."""
    out = [
        {
            "id": tc.get("id") or f"call_{i}",
            "type": "function",
            "function": {
                "name": tc["name"],
                "arguments": json.dumps(tc.get("args") or {}, ensure_ascii=False),
            },
        }
        for i, tc in enumerate(message.tool_calls)
    ]
    out.extend(
        {
            "id": itc.get("id") or f"call_invalid_{i}",
            "type": "function",
            "function": {"name": itc.get("name") or "", "arguments": itc.get("args") or ""},
        }
        for i, itc in enumerate(message.invalid_tool_calls)
    )
    return out


def message_to_wire(message: BaseMessage, *, reasoning: bool = False) -> dict[str, Any]:
    """Convert one LangChain message to an OpenAI wire dict.

    Args:
        message: the message.
        reasoning: send an assistant turn's reasoning back as ``reasoning_content``
            when the turn carries tool calls (backends that require it, see
            :class:`~langchain_compat.profiles.ReasoningReplay`); otherwise it is dropped.

    Raises:
        InvalidParameterError: an unknown role or unsendable content.
    """
    mtype = message.type
    content = message.content
    if isinstance(message, ChatMessage):
        role = message.role
        if role not in _VALID_CHAT_ROLES:
            raise InvalidParameterError(
                "messages", f"invalid role {role!r}; use one of {sorted(_VALID_CHAT_ROLES)}"
            )
    else:
        role = _ROLE_BY_TYPE.get(mtype)
        if role is None:
            raise InvalidParameterError(
                "messages", f"cannot send a message of type {mtype!r} to a chat-completions API"
            )
    out: dict[str, Any] = {"role": role}
    if isinstance(message, AIMessage):
        has_calls = message.tool_calls or message.invalid_tool_calls
        calls = tool_calls_to_wire(message) if has_calls else None
        if calls:
            out["tool_calls"] = calls
        text = content_to_wire(content)
        # OpenAI wants content null (not "") beside tool_calls; list content
        # of an assistant message is flattened to its text.
        if isinstance(text, list):
            text = "".join(p.get("text", "") for p in text if p.get("type") == "text")
        out["content"] = text if (text or not calls) else None
        if reasoning and calls and (thought := message_reasoning(message)):
            out["reasoning_content"] = thought
    elif isinstance(message, ToolMessage):
        out["tool_call_id"] = message.tool_call_id
        out["content"] = content_to_wire(content) if not isinstance(content, str) else content
    elif isinstance(message, FunctionMessage):
        out["content"] = content if isinstance(content, str) else json.dumps(content)
    else:
        out["content"] = content if isinstance(content, str) else content_to_wire(content)
    if message.name and role in ("user", "assistant", "system", "function"):
        out["name"] = message.name
    return out


def messages_to_wire(messages: Sequence[BaseMessage], *,
                     reasoning: bool = False) -> list[dict[str, Any]]:
    """Convert a conversation (``reasoning``: see :func:`message_to_wire`).

    Raises:
        InvalidParameterError: the conversation is empty, or a message cannot be sent.
    """
    if not messages:
        raise InvalidParameterError("messages", "at least one message is required")
    return [message_to_wire(m, reasoning=reasoning) for m in messages]


def refuse_images(wire: list[dict[str, Any]], *, provider: str, model: str | None) -> None:
    """Refuse a conversation with an image, for a model whose profile reads text only.

    Args:
        wire: the conversation as wire dicts (:func:`messages_to_wire`).
        provider: the provider's name, for the error.
        model: the model's name, for the error (None: "this model").

    Raises:
        UnsupportedParameterError: a message carries an ``image_url`` part.
    """
    for i, message in enumerate(wire):
        content = message.get("content")
        if isinstance(content, list) and any(
                isinstance(part, dict) and part.get("type") == "image_url" for part in content):
            raise UnsupportedParameterError(
                f"messages[{i}].content", provider,
                f"{model or 'this model'} reads text only, so the image would be "
                "dropped or refused; use a vision model, or profile_overrides="
                "{'image_inputs': True} if this one does take images")


def content_text(content: Any, omitted: str = "[{type} content omitted]") -> str:
    """The text of message content (a string, None, or a list of blocks/parts).

    Args:
        content: LangChain or wire content.
        omitted: what stands for a non-text block (``{type}`` is its type).
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return json.dumps(content, ensure_ascii=False, default=str)
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
        else:
            kind = block.get("type", "non-text") if isinstance(block, dict) else "non-text"
            parts.append(omitted.format(type=kind))
    return "\n".join(parts)

