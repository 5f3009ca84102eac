"""Where replies come from: the scripted queue, or a deterministic default.

A script item is one of:

- ``str``: the assistant's text (also raw text such as
  ``'<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>'`` for
  backends whose tool calls are emulated in the prompt);
- ``dict``: ``{"content": ..., "tool_calls": [{"name", "arguments"}],
  "finish_reason": ...}`` (native tool calls; ``arguments`` a dict or a JSON
  string; ``id`` optional), plus for thinking models and usage details
  ``"reasoning_content"`` (sent in its own field, streamed before the answer),
  ``"logprobs"`` (the choice's ``logprobs`` object) and ``"usage"`` (merged
  into the usage object, e.g. ``{"completion_tokens_details":
  {"reasoning_tokens": 12}, "prompt_tokens_details": {"cached_tokens": 8}}``);
- :class:`Reply`;
- a callable ``(ChatRequest) -> str | dict | Reply`` (answer from the request).

The default responder answers ``"Echo: <last user message>"`` (stable, so
tests can predict it), or a JSON object ``{"echo": ...}`` when the request
asks for ``response_format`` JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "ChatRequest",
    "Reply",
    "ReplyQueue",
    "ToolCall",
    "default_reply",
    "split_tokens",
    "to_reply",
]

_TOKEN = re.compile(r"\s*\S+|\s+")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One native tool call in a reply."""

    name: str
    arguments: str = "{}"
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the assistant says: text and/or native tool calls, with its reasoning.

    Attributes:
        reasoning: ``reasoning_content`` of a thinking model (None: none).
        logprobs: the choice's ``logprobs`` object (None: ``null``).
        usage: fields merged into the computed ``usage`` object (details).
    """

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    reasoning: str | None = None
    logprobs: Mapping[str, Any] | None = None
    usage: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a callable script item is given."""

    body: Mapping[str, Any]
    messages: list[dict[str, Any]]
    model: str

    @property
    def last_user_text(self) -> str:
        return last_user_text(self.messages)


ScriptItem = str | Mapping[str, Any] | Reply | Callable[[ChatRequest], Any]


def split_tokens(text: str) -> list[str]:
    """Split text into pseudo-tokens (a word with its leading whitespace)."""
    return _TOKEN.findall(text)


def message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "")
            for p in content
            if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def prompt_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Usage count for the prompt: pseudo-tokens plus 4 per message."""
    return sum(len(split_tokens(message_text(m))) + 4 for m in messages)


def _tool_call(raw: Any, index: int) -> ToolCall:
    if isinstance(raw, ToolCall):
        return raw
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise TypeError(f"tool call must be a dict with a 'name', got {raw!r}")
    args = raw.get("arguments", {})
    if not isinstance(args, str):
        args = json.dumps(args, ensure_ascii=False)
    return ToolCall(name=raw["name"], arguments=args, id=raw.get("id"))


def to_reply(item: ScriptItem, request: ChatRequest) -> Reply:
    """Turn a script item into a :class:`Reply`."""
    if callable(item) and not isinstance(item, (str, Mapping, Reply)):
        item = item(request)
    if isinstance(item, Reply):
        return item
    if isinstance(item, str):
        return Reply(content=item)
    if isinstance(item, Mapping):
        calls = tuple(_tool_call(c, i) for i, c in enumerate(item.get("tool_calls") or ()))
        return Reply(
            content=item.get("content"), tool_calls=calls, finish_reason=item.get("finish_reason"),
            reasoning=item.get("reasoning_content"), logprobs=item.get("logprobs"),
            usage=item.get("usage"),
        )
    raise TypeError(f"cannot use {item!r} as a scripted reply")


def default_reply(request: ChatRequest) -> Reply:
    """The deterministic default: ``Echo: <last user text>``."""
    text = request.last_user_text
    fmt = request.body.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"):
        return Reply(content=json.dumps({"echo": text}, ensure_ascii=False))
    return Reply(content=f"Echo: {text}" if text else "Hello from the emulator.")


def call_id(call: ToolCall, choice: int, index: int) -> str:
    if call.id:
        return call.id
    digest = hashlib.sha1(f"{choice}:{index}:{call.name}:{call.arguments}".encode()).hexdigest()
    return f"call_{digest[:24]}"


def apply_limits(reply: Reply, stop: Any, max_tokens: Any) -> tuple[Reply, str, int]:
    """Cut the reply at the first stop sequence / after ``max_tokens``.

    Returns:
        (reply, finish_reason, completion_tokens).
    """
    content = reply.content
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    if content:
        stops = [stop] if isinstance(stop, str) else list(stop or ())
        cut = min((i for i in (content.find(s) for s in stops if s) if i >= 0), default=-1)
        if cut >= 0:
            content, finish = content[:cut], "stop"
        tokens = split_tokens(content)
        if (
            isinstance(max_tokens, int)
            and not isinstance(max_tokens, bool)
            and len(tokens) > max_tokens
        ):
            content, finish = "".join(tokens[:max_tokens]), "length"
    n = len(split_tokens(content or "")) + sum(
        len(split_tokens(c.arguments)) + 2 for c in reply.tool_calls
    )
    n += len(split_tokens(reply.reasoning or ""))
    return replace(reply, content=content, finish_reason=finish), finish, n


@dataclass
class ReplyQueue:
    """Thread-safe FIFO of script items."""

    _items: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def extend(self, items: Iterable[ScriptItem]) -> None:
        with self._lock:
            self._items.extend(items)

    def pop(self) -> ScriptItem | None:
        with self._lock:
            return self._items.popleft() if self._items else None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
