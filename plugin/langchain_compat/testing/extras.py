"""Thinking models and tokenizers in the emulator: the reasoning-replay rule and ``/tokenize``.

Both are read from data, like the rest of the emulator: the replay rule from
the profile's :class:`~langchain_compat.profiles.ReasoningReplay` (a backend
that requires ``reasoning_content`` on assistant turns with tool calls answers
400 without it, as DeepSeek's thinking mode does; one that forbids it answers
400 when it is sent), and ``/tokenize`` splits text into the same
pseudo-tokens the emulator's usage counts are made of.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_compat.profiles import Profile, ReasoningReplay
from langchain_compat.testing.quirks import bad_request
from langchain_compat.testing.responders import message_text, split_tokens

__all__ = ["check_reasoning_replay", "tokenize_response"]


def check_reasoning_replay(profile: Profile, messages: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a conversation the backend's reasoning-replay rule does not accept.

    Raises:
        APIErrorReply: 400 when ``profile.reasoning_replay`` is ``required`` and
            an assistant message with ``tool_calls`` has no ``reasoning_content``,
            or is ``forbidden`` and a message carries one.
    """
    rule = profile.reasoning_replay
    for i, msg in enumerate(messages):
        has = isinstance(msg.get("reasoning_content"), str) and bool(msg["reasoning_content"])
        if rule is ReasoningReplay.REQUIRED and msg.get("role") == "assistant" \
                and msg.get("tool_calls") and not has:
            raise bad_request(
                f"Missing `reasoning_content` field in the assistant message at message index {i}. "
                "In thinking mode, the reasoning_content of an assistant message with tool_calls "
                "must be passed back to the API.",
                param=f"messages[{i}].reasoning_content", code="invalid_request_error")
        if rule is ReasoningReplay.FORBIDDEN and "reasoning_content" in msg:
            raise bad_request(
                f"messages[{i}]: reasoning_content is not allowed in input messages; "
                "remove it before sending the conversation back.",
                param=f"messages[{i}].reasoning_content", code="invalid_request_error")


def _token_id(piece: str) -> int:
    return int.from_bytes(hashlib.blake2b(piece.encode(), digest_size=3).digest(), "big")


def tokenize_response(body: Any) -> dict[str, Any]:
    """The answer of ``POST /tokenize`` (llama.cpp's and vLLM's shapes at once).

    Accepts ``{"content": text}`` (llama.cpp), ``{"prompt": text}`` or
    ``{"messages": [...]}`` (vLLM); answers ``{"tokens": [ids], "count": n}``
    with one id per pseudo-token (a word with its leading white space).

    Raises:
        APIErrorReply: 400 when none of the three is given.
    """
    if not isinstance(body, Mapping):
        raise bad_request("The request body must be a JSON object.")
    text = body.get("content", body.get("prompt"))
    if text is None and isinstance(body.get("messages"), list):
        text = "\n".join(message_text(m) for m in body["messages"] if isinstance(m, Mapping))
    if not isinstance(text, str):
        raise bad_request("'content' (or 'prompt', or 'messages') is required", param="content",
                          code="missing_required_parameter")
    tokens = [_token_id(p) for p in split_tokens(text)]
    return {"tokens": tokens, "count": len(tokens)}
