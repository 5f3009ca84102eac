"""Summary memory: fold old turns into a running summary written by the model.

Trimming (:mod:`.trim`) forgets old turns; summarizing keeps their gist.
When a history's estimate exceeds ``trigger_tokens``, :class:`SummaryMemory`
keeps the most recent whole turns (up to ``keep_tokens``) verbatim and asks
the chat model to fold everything older — together with the previous summary,
if any — into a new summary, placed right after the leading system
message(s)::

    [system, SystemMessage("Summary of earlier conversation: ..."), human, ai, ...]

Tool pairs are never split: the kept part starts on a human turn, so an
``AIMessage`` with ``tool_calls`` and its ``ToolMessage`` results are either
both folded into the summary or both kept. Old turns larger than one
summarization request are folded in chunks (the running summary carries over
from chunk to chunk), so any history length works. The result is finally
passed through :func:`~langchain_compat.memory.trim.trim_to_window` as a
safety net, so it always fits the budget.

The planning and chunking are pure (a generator yields each summarization
prompt and receives the model's text); ``fold`` and ``afold`` are thin sync
and async drivers over it. Works with any ``BaseChatModel``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.runnables import Runnable, RunnableLambda

from langchain_compat.memory.estimate import count_tokens, estimate_text_tokens
from langchain_compat.memory.trim import TokenCounter, input_budget, trim_to_window
from langchain_compat.memory.units import (
    cut_text,
    largest_fitting,
    split_turns,
    split_units,
    text_of,
)

__all__ = [
    "SUMMARY_ID",
    "SUMMARY_PREFIX",
    "SummaryMemory",
    "asummarize_messages",
    "is_summary",
    "render_transcript",
    "summarize_messages",
]

SUMMARY_PREFIX = "Summary of earlier conversation: "
#: Id of the summary message; LangGraph's ``add_messages`` replaces it in place.
SUMMARY_ID = "langchain-compat-summary"

SUMMARY_INSTRUCTIONS = (
    "You maintain the memory of a chat assistant. Update the summary of the conversation "
    "with the new lines below. Keep every fact that may matter later: names, numbers, "
    "user preferences, decisions, tool results and open questions. Write in the "
    "conversation's language, in at most {max_words} words. Reply with the summary only."
)
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)


def is_summary(message: BaseMessage) -> bool:
    """Whether ``message`` is a running summary made by :class:`SummaryMemory`."""
    return isinstance(message, SystemMessage) and (
        message.id == SUMMARY_ID or text_of(message).startswith(SUMMARY_PREFIX)
    )


def render_transcript(messages: Sequence[BaseMessage]) -> list[str]:
    """One plain-text line per message, for the summarization prompt."""
    lines = []
    for msg in messages:
        text = text_of(msg).strip()
        if isinstance(msg, HumanMessage):
            lines.append(f"User: {text}")
        elif isinstance(msg, AIMessage):
            if text:
                lines.append(f"Assistant: {text}")
            for call in msg.tool_calls:
                args = json.dumps(call.get("args"), ensure_ascii=False, default=str)
                lines.append(f"Assistant called tool {call['name']} with {args}")
        elif isinstance(msg, ToolMessage):
            lines.append(f"Tool {msg.name or msg.tool_call_id} returned: {text}")
        elif isinstance(msg, SystemMessage):
            lines.append(f"System note: {text}")
        else:
            lines.append(f"{msg.type}: {text}")
    return lines


@dataclass
class _Plan:
    system: list[BaseMessage]
    summary: str
    old: list[BaseMessage]
    recent: list[BaseMessage]


def _cut_to_tokens(text: str, limit: int) -> str:
    keep = largest_fitting(len(text), lambda n: estimate_text_tokens(cut_text(text, n)) <= limit)
    return cut_text(text, keep)


class SummaryMemory:
    """Fold old turns into a running summary once a history grows too long.

    Args:
        model: the chat model that writes the summary (usually the one chatting).
        max_tokens, profile, reserve_for_output: the budget, as in
            :func:`~langchain_compat.memory.trim.input_budget` (default: the
            model's window minus its reply reserve).
        trigger_tokens: summarize when the history's estimate exceeds this
            (default: 3/4 of the budget).
        keep_tokens: most tokens of recent turns kept verbatim (default:
            2/5 of the budget). At least the newest turn is always kept.
        max_summary_tokens: the summary's size limit (asked for in the
            prompt, enforced by cutting; default: 1/8 of the budget, at most
            512 and at most the model's ``max_tokens``).
        token_counter: counts a list of messages.

    Raises:
        ConfigurationError: no budget can be found (see ``input_budget``).
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        max_tokens: int | None = None,
        profile: Any = None,
        reserve_for_output: int | None = None,
        trigger_tokens: int | None = None,
        keep_tokens: int | None = None,
        max_summary_tokens: int | None = None,
        token_counter: TokenCounter = count_tokens,
    ) -> None:
        self.model = model
        self.budget = input_budget(
            max_tokens=max_tokens, profile=profile, model=model,
            reserve_for_output=reserve_for_output,
        )
        self.trigger_tokens = trigger_tokens or self.budget * 3 // 4
        self.keep_tokens = keep_tokens or self.budget * 2 // 5
        # A summary longer than the model may write would be cut off mid-sentence.
        reply_cap = getattr(model, "max_tokens", None)
        if not (isinstance(reply_cap, int) and reply_cap > 0):
            reply_cap = 512
        default = min(512, self.budget // 8, reply_cap)
        self.max_summary_tokens = max_summary_tokens or max(32, default)
        self.token_counter = token_counter

    # ------------------------------------------------------------ planning

    def _plan(self, msgs: list[BaseMessage]) -> _Plan | None:
        if self.token_counter(msgs) <= self.trigger_tokens:
            return None
        n = 0
        while n < len(msgs) and isinstance(msgs[n], SystemMessage):
            n += 1
        system = [m for m in msgs[:n] if not is_summary(m)]
        summary = " ".join(text_of(m)[len(SUMMARY_PREFIX):].strip()
                           for m in msgs[:n] if is_summary(m))
        turns = split_turns(split_units(msgs[n:]))
        if not turns:
            return None

        def flat(k: int) -> list[BaseMessage]:
            return [m for t in turns[len(turns) - k :] for u in t for m in u]

        k = largest_fitting(len(turns), lambda k: self.token_counter(flat(k)) <= self.keep_tokens)
        k = max(k, 1)  # the newest turn is always kept verbatim
        recent = flat(k)
        old = [m for t in turns[: len(turns) - k] for u in t for m in u]
        if not old:
            return None
        return _Plan(system=system, summary=summary, old=old, recent=recent)

    def _prompt(self, summary: str, lines: list[str]) -> list[BaseMessage]:
        max_words = max(20, int(self.max_summary_tokens / 1.3))
        body = (
            f"Current summary:\n{summary or '(none yet)'}\n\n"
            "New conversation lines:\n" + "\n".join(lines) + "\n\nWrite the updated summary."
        )
        return [
            SystemMessage(SUMMARY_INSTRUCTIONS.format(max_words=max_words)),
            HumanMessage(body),
        ]

    def _chunks(self, summary: str, lines: list[str]) -> list[list[str]]:
        """Split transcript lines so each summarization prompt fits the budget."""
        largest_summary = max(self.max_summary_tokens, estimate_text_tokens(summary))
        room = self.budget - self.token_counter(self._prompt("", [])) - largest_summary
        room = max(room, 64)
        chunks: list[list[str]] = [[]]
        used = 0
        for line in lines:
            cost = estimate_text_tokens(line) + 1
            if cost > room:
                # Cut one huge line (a pasted document, a big tool result).
                line, cost = _cut_to_tokens(line, room - 1), room
            if used + cost > room and chunks[-1]:
                chunks.append([])
                used = 0
            chunks[-1].append(line)
            used += cost
        return chunks

    def _clean(self, text: str) -> str:
        text = _THINK.sub("", text).strip()
        limit = self.max_summary_tokens
        if estimate_text_tokens(text) > limit:
            keep = largest_fitting(len(text), lambda n: estimate_text_tokens(text[:n]) <= limit)
            text = text[:keep].rstrip() + " ..."
        return text

    def _steps(
        self, messages: Sequence[Any],
    ) -> Generator[list[BaseMessage], str, list[BaseMessage]]:
        """Sans-IO core: yields prompts, receives summaries, returns the new history."""
        msgs = convert_to_messages(list(messages))
        plan = self._plan(msgs)
        if plan is None:
            return self._fit(msgs)
        summary = plan.summary
        for chunk in self._chunks(summary, render_transcript(plan.old)):
            summary = self._clean((yield self._prompt(summary, chunk)))
        note = SystemMessage(SUMMARY_PREFIX + summary, id=SUMMARY_ID)
        return self._fit([*plan.system, note, *plan.recent])

    def _fit(self, msgs: list[BaseMessage]) -> list[BaseMessage]:
        return trim_to_window(msgs, max_tokens=self.budget, token_counter=self.token_counter)

    # ------------------------------------------------------------- drivers

    def fold(self, messages: Sequence[Any]) -> list[BaseMessage]:
        """Return ``messages`` with old turns folded into the summary (sync)."""
        steps = self._steps(messages)
        try:
            prompt = next(steps)
            while True:
                prompt = steps.send(self.model.invoke(prompt).text)
        except StopIteration as done:
            return done.value

    async def afold(self, messages: Sequence[Any]) -> list[BaseMessage]:
        """Return ``messages`` with old turns folded into the summary (async)."""
        steps = self._steps(messages)
        try:
            prompt = next(steps)
            while True:
                prompt = steps.send((await self.model.ainvoke(prompt)).text)
        except StopIteration as done:
            return done.value

    def as_runnable(self) -> Runnable[Any, list[BaseMessage]]:
        """This memory as a Runnable (sync and async): ``memory.as_runnable() | model``."""
        return RunnableLambda(self.fold, afunc=self.afold, name="summary_memory")

    @staticmethod
    def state_update(new_messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        """Messages that replace a LangGraph ``messages`` state with ``new_messages``.

        ``add_messages`` appends by default; this prepends the
        remove-everything marker so the checkpoint holds the folded history.
        """
        from langgraph.graph.message import REMOVE_ALL_MESSAGES

        return [RemoveMessage(id=REMOVE_ALL_MESSAGES), *new_messages]


def summarize_messages(messages: Sequence[Any], model: BaseChatModel,
                       **options: Any) -> list[BaseMessage]:
    """One-shot ``SummaryMemory(model, **options).fold(messages)``."""
    return SummaryMemory(model, **options).fold(messages)


async def asummarize_messages(
    messages: Sequence[Any], model: BaseChatModel, **options: Any
) -> list[BaseMessage]:
    """One-shot ``await SummaryMemory(model, **options).afold(messages)``."""
    return await SummaryMemory(model, **options).afold(messages)
