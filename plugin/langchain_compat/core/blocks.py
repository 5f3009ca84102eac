"""Standard LangChain content blocks for our messages (``AIMessage.content_blocks``).

LangChain derives ``content_blocks`` (and ``output_version="v1"`` content)
from a translator chosen by ``response_metadata["model_provider"]``. OpenAI's
chat-completions translator knows no reasoning, so replies of thinking models
(``reasoning_content``, ``<think>``) lost it there. Our messages name
:data:`MODEL_PROVIDER` instead, whose translator, registered on import, gives
``reasoning`` first, then ``text``, then ``tool_call`` blocks (streamed chunks:
``tool_call_chunk`` blocks until the last one). Reasoning stays in
``additional_kwargs["reasoning_content"]`` too, where code written for
ChatOpenAI-style integrations reads it.

Streamed blocks carry ``lc_``-prefixed indexes, so a v1 stream aggregates into
one reasoning block and one text block rather than one block per chunk.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.block_translators import register_translator

__all__ = ["MODEL_PROVIDER", "translate_content", "translate_content_chunk"]

#: ``response_metadata["model_provider"]`` of our messages (an OpenAI-compatible server).
MODEL_PROVIDER = "openai_compatible"


def _head(message: AIMessage, *, streamed: bool) -> list[dict[str, Any]]:
    """The reasoning and text blocks of ``message`` (indexed when ``streamed``)."""
    blocks: list[dict[str, Any]] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "reasoning", "reasoning": reasoning})
        if streamed:
            blocks[-1]["index"] = "lc_rs_0"
    content = message.content
    if isinstance(content, str):
        if content:
            blocks.append({"type": "text", "text": content})
            if streamed:
                blocks[-1]["index"] = "lc_txt_0"
        return blocks
    for block in content:  # list content: keep standard blocks, wrap bare strings
        if isinstance(block, str):
            blocks.append({"type": "text", "text": block})
        elif isinstance(block, dict) and not (block.get("type") == "reasoning" and reasoning):
            blocks.append(dict(block))
    return blocks


def _tail(message: AIMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "tool_call", "name": tc["name"], "args": tc["args"], "id": tc.get("id")}
        for tc in message.tool_calls
    ]
    refusal = message.additional_kwargs.get("refusal")
    if refusal:
        blocks.append({"type": "refusal", "refusal": refusal})
    return blocks


def translate_content(message: AIMessage) -> list[Any]:
    """Standard content blocks of a whole reply: reasoning, text, tool calls.

    Args:
        message: a reply read by :mod:`~langchain_compat.core.response`.

    Returns:
        The ``content_blocks`` of ``message``.
    """
    return [*_head(message, streamed=False), *_tail(message)]


def translate_content_chunk(chunk: AIMessageChunk) -> list[Any]:
    """Standard content blocks of a streamed chunk (or of chunks added together).

    Args:
        chunk: a chunk of a streamed reply.

    Returns:
        Reasoning and text blocks with ``lc_`` indexes, then ``tool_call``
        blocks on the last chunk and ``tool_call_chunk`` blocks before it.
    """
    blocks = _head(chunk, streamed=True)
    if chunk.chunk_position == "last":
        return [*blocks, *_tail(chunk)]
    for tcc in chunk.tool_call_chunks:
        block: dict[str, Any] = {"type": "tool_call_chunk", "id": tcc.get("id"),
                                 "name": tcc.get("name"), "args": tcc.get("args")}
        if tcc.get("index") is not None:
            block["index"] = tcc["index"]
        blocks.append(block)
    return blocks


register_translator(MODEL_PROVIDER, translate_content, translate_content_chunk)
