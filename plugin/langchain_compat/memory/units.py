"""How a conversation is cut into pieces that stay whole (pure).

Used by :mod:`langchain_compat.memory.trim` (the window trimmer) and
:mod:`langchain_compat.memory.summary` (summary memory): a *unit* is an
assistant message with tool calls plus the results that answer it, or any
other single message; a *turn* is a human message and the units up to the
next one. Also: text of a message, cutting text in the middle with a visible
marker, and a binary search for the largest prefix that fits a budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_compat.core.messages import content_text

__all__ = [
    "TRUNCATION_MARKER",
    "cut_text",
    "flat",
    "largest_fitting",
    "split_turns",
    "split_units",
    "text_of",
]

#: Inserted where text was cut to fit (``{n}`` is the number of characters removed).
TRUNCATION_MARKER = ("\n[... {n} characters truncated by langchain-compat to fit the model's "
                     "context window ...]\n")


def split_units(messages: Sequence[BaseMessage]) -> list[list[BaseMessage]]:
    """Group messages into units that must be kept or dropped together.

    A unit is an ``AIMessage`` with tool calls followed by the ``ToolMessage``
    results that answer it, or any other single message.
    """
    units: list[list[BaseMessage]] = []
    open_ids: set[str] = set()
    for msg in messages:
        if isinstance(msg, ToolMessage) and units and (
            msg.tool_call_id in open_ids or _is_tool_unit(units[-1])
        ):
            units[-1].append(msg)
            open_ids.discard(msg.tool_call_id)
            continue
        units.append([msg])
        open_ids = (
            {c["id"] for c in msg.tool_calls if c.get("id")}
            if isinstance(msg, AIMessage)
            else set()
        )
    return units


def _is_tool_unit(unit: list[BaseMessage]) -> bool:
    first = unit[0]
    return isinstance(first, AIMessage) and bool(first.tool_calls)


def split_turns(units: list[list[BaseMessage]]) -> list[list[list[BaseMessage]]]:
    """Group units into turns, each starting at a human message."""
    turns: list[list[list[BaseMessage]]] = []
    for unit in units:
        if isinstance(unit[0], HumanMessage) or not turns:
            turns.append([unit])
        else:
            turns[-1].append(unit)
    return turns


def flat(units: Sequence[list[BaseMessage]]) -> list[BaseMessage]:
    """The messages of ``units``, in order."""
    return [m for u in units for m in u]


def largest_fitting(n: int, fits: Callable[[int], bool]) -> int:
    """Largest k in [1, n] with fits(k), assuming monotony; 0 if none (a binary search)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo




def text_of(message: BaseMessage) -> str:
    """A message's text; non-text blocks become a visible placeholder."""
    return content_text(message.content,
                        "[non-text content removed to fit the model's context window]")


def cut_text(text: str, keep: int) -> str:
    """``text`` cut to ``keep`` characters in the middle (head and tail kept), with the marker."""
    if keep >= len(text):
        return text
    head = text[: (keep + 1) // 2]
    tail = text[len(text) - keep // 2 :] if keep // 2 else ""
    return head + TRUNCATION_MARKER.format(n=len(text) - keep) + tail
