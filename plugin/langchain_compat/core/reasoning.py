"""Reasoning text: ``reasoning_content``/``reasoning`` fields and ``<think>`` tags.

Models served by vLLM/llama.cpp/Ollama return chain-of-thought either in a
separate ``reasoning_content`` (or ``reasoning``) field, or inline as
``<think>…</think>`` at the start of the content. Both are surfaced as
``additional_kwargs["reasoning_content"]`` (and as standard ``reasoning``
content blocks, see :mod:`~langchain_compat.core.blocks`) and never mixed into
the answer. :func:`message_reasoning` reads it back from a message for backends
that want it replayed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ThinkSplitter", "message_reasoning", "reasoning_field"]

OPEN = "<think>"
CLOSE = "</think>"


def reasoning_field(message: dict[str, Any]) -> str | None:
    """The reasoning text a wire message or delta carries in its own field."""
    value = message.get("reasoning_content")
    if value is None:
        value = message.get("reasoning")
    return value if isinstance(value, str) and value else None


def message_reasoning(message: Any) -> str | None:
    """The reasoning a LangChain message carries, to send it back.

    ``additional_kwargs["reasoning_content"]`` first, else the text of its
    standard ``reasoning`` content blocks (``output_version="v1"`` messages).
    """
    value = (getattr(message, "additional_kwargs", None) or {}).get("reasoning_content")
    if isinstance(value, str) and value:
        return value
    content = getattr(message, "content", None)
    if isinstance(content, list):
        parts = [b.get("reasoning") for b in content
                 if isinstance(b, dict) and b.get("type") == "reasoning"]
        text = "".join(p for p in parts if isinstance(p, str))
        return text or None
    return None


class ThinkSplitter:
    """Splits ``<think>`` reasoning out of a reply's text, read in pieces of any size.

    Only a ``<think>`` block at the start counts (after white space); with
    ``prefilled`` (templates that pre-fill ``<think>``) the reply starts inside
    reasoning and only ``</think>`` ends it. A whole reply is one piece.

    ``feed(delta)`` returns ``(reasoning_delta, answer_delta)``. Until the
    first non-blank text shows whether a ``<think>`` opens the reply, only
    that short prefix is held back; after the answer starts, deltas pass
    through untouched (the fast path).
    """

    __slots__ = ("_buf", "_prefilled", "_state")

    def __init__(self, *, prefilled: bool = False) -> None:
        self._buf = ""
        self._state = "start"  # start -> think -> gap -> answer
        self._prefilled = prefilled  # no <think> at the start: the reply is inside reasoning

    def feed(self, delta: str) -> tuple[str, str]:
        if self._state == "answer":
            return "", delta
        if self._state == "gap":  # white space between </think> and the answer
            delta = delta.lstrip()
            if delta:
                self._state = "answer"
            return "", delta
        self._buf += delta
        if self._state == "start":
            head = self._buf.lstrip()
            if not head or (OPEN.startswith(head) and head != OPEN):
                return "", ""  # could still become <think>
            if head.startswith(OPEN):
                self._buf = head[len(OPEN):]
            elif not self._prefilled:
                self._state = "answer"
                out, self._buf = self._buf, ""
                return "", out
            self._state = "think"
        # in <think>: emit reasoning up to a possible partial </think>
        idx = self._buf.find(CLOSE)
        if idx >= 0:
            reasoning, rest = self._buf[:idx], self._buf[idx + len(CLOSE):]
            self._buf = ""
            rest = rest.lstrip()
            self._state = "answer" if rest else "gap"
            return reasoning, rest
        keep = _partial_suffix(self._buf, CLOSE)
        out = self._buf[: len(self._buf) - keep]
        self._buf = self._buf[len(self._buf) - keep:]
        return out, ""

    def server_splits(self) -> None:
        """The server sends reasoning in its own field: content is not pre-filled reasoning."""
        if self._state == "start":
            self._prefilled = False

    def flush(self) -> tuple[str, str]:
        """End of stream: release anything held back."""
        buf, self._buf = self._buf, ""
        if self._state == "think" or (self._state == "start" and self._prefilled):
            return buf, ""
        return "", buf


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
