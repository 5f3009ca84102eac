"""Conversation memory for stateless chat-completions backends.

Every turn replays the conversation, so the history must fit the model's
context window. This package gives the pieces, built on LangGraph persistence
(checkpointers keep the history; these functions shape what the model sees):

- :mod:`.estimate` — an offline, conservative token estimate
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

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_compat._lazy import lazy_face

#: public name -> the module that defines it (imported on first use: a chat call that
#: counts tokens needs ``tokens`` only, not summaries, trimming or LangGraph).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("SUMMARY_PREFIX", "SummaryMemory", "asummarize_messages", "is_summary",
                     "summarize_messages"), "summary"),
    **dict.fromkeys(("count_message_tokens", "count_tokens", "estimate_text_tokens",
                     "estimate_tools_tokens"), "estimate"),
    **dict.fromkeys(("TRUNCATION_MARKER", "context_window_of", "input_budget", "split_units",
                     "trim_hook", "trim_to_window", "window_trimmer"), "trim"),
    "TrimToWindowMiddleware": "middleware",
}

if TYPE_CHECKING:  # pragma: no cover
    # For type checkers only: __getattr__ imports these on first use (the noqa says so).
    from langchain_compat.memory.middleware import TrimToWindowMiddleware  # noqa: F401
    from langchain_compat.memory.summary import (  # noqa: F401
        SUMMARY_PREFIX,
        SummaryMemory,
        asummarize_messages,
        is_summary,
        summarize_messages,
    )
    from langchain_compat.memory.estimate import (  # noqa: F401
        count_message_tokens,
        count_tokens,
        estimate_text_tokens,
        estimate_tools_tokens,
    )
    from langchain_compat.memory.trim import (  # noqa: F401
        TRUNCATION_MARKER,
        context_window_of,
        input_budget,
        split_units,
        trim_hook,
        trim_to_window,
        window_trimmer,
    )

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_face(__name__, _EXPORTS, globals(), prefix=f"{__name__}.")
