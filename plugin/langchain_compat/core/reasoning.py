"""Reasoning text: ``reasoning_content``/``reasoning`` fields and ``<think>`` tags.

Models served by vLLM/llama.cpp/Ollama return chain-of-thought either in a
separate ``reasoning_content`` (or ``reasoning``) field, or inline as
``<think>…</think>`` at the start of the content. Both are surfaced as
``additional_kwargs["reasoning_content"]`` and never mixed into the answer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ThinkSplitter", "reasoning_field", "split_think"]

OPEN = "<think>"
CLOSE = "</think>"


def reasoning_field(message: dict[str, Any]) -> str | None:
    """The reasoning text a wire message or delta carries in its own field."""
    value = message.get("reasoning_content")
    if value is None:
        value = message.get("reasoning")
    return value if isinstance(value, str) and value else None


def split_think(text: str) -> tuple[str | None, str]:
    """Split a whole reply into (reasoning, answer).

    Only a ``<think>`` block at the start counts (after white space); a
    ``</think>`` with no opening tag (templates that pre-fill ``<think>``)
    also ends reasoning. Text without tags is returned unchanged.
    """
    stripped = text.lstrip()
    if stripped.startswith(OPEN):
        body = stripped[len(OPEN):]
        reasoning, sep, answer = body.partition(CLOSE)
        if not sep:  # never closed: all of it was reasoning
            return reasoning.strip() or None, ""
        return reasoning.strip() or None, answer.lstrip()
    if CLOSE in text and OPEN not in text:
        reasoning, _, answer = text.partition(CLOSE)
        return reasoning.strip() or None, answer.lstrip()
    return None, text


class ThinkSplitter:
    """Streaming version of :func:`split_think`.

    ``feed(delta)`` returns ``(reasoning_delta, answer_delta)``. Until the
    first non-blank text shows whether a ``<think>`` opens the reply, only
    that short prefix is held back; after the answer starts, deltas pass
    through untouched (the fast path).
    """

    __slots__ = ("_buf", "_state")

    def __init__(self) -> None:
        self._buf = ""
        self._state = "start"  # start -> think -> gap -> answer

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
            if not head.startswith(OPEN):
                self._state = "answer"
                out, self._buf = self._buf, ""
                return "", out
            self._state = "think"
            self._buf = head[len(OPEN):]
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

    def flush(self) -> tuple[str, str]:
        """End of stream: release anything held back."""
        buf, self._buf = self._buf, ""
        if self._state == "think":
            return buf, ""
        return "", buf


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
