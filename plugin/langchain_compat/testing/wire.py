"""OpenAI wire objects the emulator answers with: completions, chunks, embeddings."""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import time
import uuid
from array import array
from collections.abc import Mapping
from typing import Any

from langchain_compat.testing.responders import Reply, call_id, split_tokens

__all__ = ["completion", "completion_chunks", "embedding_vector", "embeddings_response", "new_id"]

FINGERPRINT = "fp_emulator"


def new_id(prefix: str = "chatcmpl-") -> str:
    return prefix + uuid.uuid4().hex


def usage(prompt: int, completion_tokens: int,
          details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``usage`` object; ``details`` (a scripted reply's) are merged in."""
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }
    out.update(details or {})
    return out


def _message(reply: Reply, choice: int) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning is not None:
        msg["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        msg["tool_calls"] = [
            {
                "id": call_id(c, choice, i),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return msg


def completion(
    reply: Reply, *, n: int, model: str, prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    """A ``chat.completion`` with ``n`` identical choices."""
    return {
        "id": new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {
                "index": i,
                "message": _message(reply, i),
                "logprobs": reply.logprobs,
                "finish_reason": reply.finish_reason,
            }
            for i in range(n)
        ],
        "usage": usage(prompt_tokens, completion_tokens * n, reply.usage),
    }


def _pieces(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def completion_chunks(
    reply: Reply,
    *,
    n: int,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    include_usage: bool,
) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed reply (no ``[DONE]``).

    Per choice: a role chunk, one chunk per content token, for each tool call
    a chunk with its id and name then its arguments in pieces, and a final
    chunk with ``finish_reason``. With ``include_usage``, every chunk carries
    ``usage: null`` and a last chunk with empty ``choices`` carries the usage,
    as OpenAI does.
    """
    cid, created = new_id(), int(time.time())

    def chunk(choice: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        logprobs = reply.logprobs if finish is not None else None  # all of them on the last chunk
        out = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [
                {"index": choice, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            ],
        }
        if include_usage:
            out["usage"] = None
        return out

    chunks: list[dict[str, Any]] = []
    for i in range(n):
        first = {
            "role": "assistant",
            "content": "" if reply.content is not None or not reply.tool_calls else None,
        }
        chunks.append(chunk(i, first))
        for token in split_tokens(reply.reasoning or ""):
            chunks.append(chunk(i, {"reasoning_content": token}))
        for token in split_tokens(reply.content or ""):
            chunks.append(chunk(i, {"content": token}))
        for k, call in enumerate(reply.tool_calls):
            head = {
                "index": k,
                "id": call_id(call, i, k),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            chunks.append(chunk(i, {"tool_calls": [head]}))
            for piece in _pieces(call.arguments):
                chunks.append(
                    chunk(i, {"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
                )
        chunks.append(chunk(i, {}, reply.finish_reason))
    if include_usage:
        last = chunk(0, {})
        last["choices"] = []
        last["usage"] = usage(prompt_tokens, completion_tokens * n, reply.usage)
        chunks.append(last)
    return chunks


def embedding_vector(item: str | list[int], model: str, dim: int) -> list[float]:
    """A deterministic unit vector for ``item`` (SHAKE-256 seeded; same input, same vector)."""
    seed = (model + "\0" + (item if isinstance(item, str) else ",".join(map(str, item)))).encode()
    raw = array("H", hashlib.shake_256(seed).digest(2 * dim))
    vec = [v / 32767.5 - 1.0 for v in raw]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def embeddings_response(
    inputs: list[str | list[int]], *, model: str, dim: int, encoding_format: str
) -> dict[str, Any]:
    """An OpenAI ``list`` of ``embedding`` objects (float lists or base64 float32)."""
    data = []
    tokens = 0
    for i, item in enumerate(inputs):
        vec = embedding_vector(item, model, dim)
        tokens += len(item) if isinstance(item, list) else len(split_tokens(item)) + 2
        value: Any = vec
        if encoding_format == "base64":
            value = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode("ascii")
        data.append({"object": "embedding", "index": i, "embedding": value})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
