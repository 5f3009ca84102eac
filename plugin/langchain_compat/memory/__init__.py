"""Conversation memory for stateless chat-completions backends.

Every turn replays the conversation, so the history must fit the model's
context window. This package gives the pieces, built on LangGraph persistence
(checkpointers keep the history; these functions shape what the model sees):

- :mod:`.tokens` — an offline, conservative token estimate
  (:func:`count_tokens`, usable as langchain's ``token_counter``);
- :mod:`.trim` — :func:`trim_to_window`: keep the system message and the
  newest whole turns that fit, never splitting tool calls from their results;
  also as a Runnable (:func:`window_trimmer`) and a LangGraph
  ``pre_model_hook`` (:func:`trim_hook`);
- :mod:`.summary` — :class:`SummaryMemory`: fold old turns into a running
  summary written by the same chat model (sync and async);
- :mod:`.middleware` — ``TrimToWindowMiddleware`` for ``create_agent``
  (imported on first use: it needs the ``langchain`` package).
"""

from typing import Any

from langchain_compat.memory.summary import (
    SUMMARY_PREFIX,
    SummaryMemory,
    asummarize_messages,
    is_summary,
    summarize_messages,
)
from langchain_compat.memory.tokens import (
    count_message_tokens,
    count_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
)
from langchain_compat.memory.trim import (
    TRUNCATION_MARKER,
    context_window_of,
    input_budget,
    split_units,
    trim_hook,
    trim_to_window,
    window_trimmer,
)

__all__ = [
    "SUMMARY_PREFIX",
    "TRUNCATION_MARKER",
    "SummaryMemory",
    "TrimToWindowMiddleware",
    "asummarize_messages",
    "context_window_of",
    "count_message_tokens",
    "count_tokens",
    "estimate_text_tokens",
    "estimate_tools_tokens",
    "input_budget",
    "is_summary",
    "split_units",
    "summarize_messages",
    "trim_hook",
    "trim_to_window",
    "window_trimmer",
]


def __getattr__(name: str) -> Any:
    if name == "TrimToWindowMiddleware":
        from langchain_compat.memory.middleware import TrimToWindowMiddleware

        return TrimToWindowMiddleware
    raise AttributeError(f"module 'langchain_compat.memory' has no attribute {name!r}")
