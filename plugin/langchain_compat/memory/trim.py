"""Fit a conversation into a model's context window.

Chat-completions backends are stateless: every turn replays the whole
conversation, so a long chat eventually exceeds the window and the provider
refuses it (or, worse, silently truncates the start, dropping the system
prompt). :func:`trim_to_window` drops the oldest turns first, with these
guarantees:

- **Budget.** The result's estimate (``token_counter``) is at most the
  budget: an explicit ``max_tokens``, or the context window (from a
  :class:`~langchain_compat.profiles.Profile`, a LangChain ``ModelProfile``
  dict, or ``model.profile["max_input_tokens"]``) minus a reserve for the
  reply and minus the tools' schemas.
- **System first.** The leading system message(s) are always kept.
- **Tool pairs stay whole.** An ``AIMessage`` with ``tool_calls`` and the
  ``ToolMessage`` results that follow it are kept or dropped as one unit, so no
  result is orphaned and no call is left without its results (providers
  reject both).
- **Human first.** After the system messages the result starts on a human
  turn (several chat templates reject an assistant turn first); a leading
  assistant greeting is dropped once trimming starts.
- **Most recent kept.** Whole turns (a human message and everything up to the
  next one) are kept newest first. If the newest turn alone does not fit (a
  long agent loop), its oldest tool exchanges are dropped, keeping the human
  message and the newest unit.
- **Never over-long.** If the human message plus the newest unit still do
  not fit, their text is cut in the middle, keeping head and tail, and a
  visible marker (:data:`TRUNCATION_MARKER`) says how much was removed. The
  largest message is cut first (tool results and the human message, then the
  assistant text, the system messages last). Sending a clearly marked partial
  message beats a request the provider refuses. Only when even empty
  messages exceed the budget is :class:`~langchain_compat.errors.ConfigurationError`
  raised (the budget is absurdly small).

Input is assumed to be a well-formed history (every tool call answered).
A system message after the first turn belongs to the turn it follows and
is dropped with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    BaseMessage,
    HumanMessage,
    SystemMessage,
    convert_to_messages,
)
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda

from langchain_compat.errors import ConfigurationError
from langchain_compat.memory.estimate import (
    REPLY_PRIMING_TOKENS,
    count_message_tokens,
    count_tokens,
    estimate_tools_tokens,
)
from langchain_compat.memory.units import (
    TRUNCATION_MARKER,
    cut_text,
    flat,
    largest_fitting,
    split_turns,
    split_units,
    text_of,
)

__all__ = [
    "DEFAULT_RESERVE",
    "TRUNCATION_MARKER",
    "TokenCounter",
    "context_window_of",
    "input_budget",
    "split_units",
    "trim_hook",
    "trim_to_window",
    "window_trimmer",
]

TokenCounter = Callable[[list[BaseMessage]], int]

#: Reply reserve when neither the model's ``max_tokens`` nor the profile's
#: ``max_output_tokens`` is known: this many tokens, at most a quarter of the window.
DEFAULT_RESERVE = 1024


# --------------------------------------------------------------------- budget


def context_window_of(profile: Any = None, model: Any = None) -> int | None:
    """The context window (max input tokens) known for ``profile`` or ``model``.

    ``profile`` may be a :class:`~langchain_compat.profiles.Profile` (its
    ``context_window``) or a LangChain ``ModelProfile`` mapping (its
    ``max_input_tokens``). Without one, a langchain-compat model's
    ``context_window()`` is asked (llama-server's real window, read from its
    ``/props`` once per backend), else ``model.profile`` is read. Returns
    None when nothing is known.
    """
    ask = getattr(model, "context_window", None) if profile is None else None
    window = ask() if callable(ask) else None
    if isinstance(window, int) and not isinstance(window, bool) and window > 0:
        return window
    for source in (profile, getattr(model, "profile", None)):
        if source is None:
            continue
        window = getattr(source, "context_window", None)
        if window is None and isinstance(source, Mapping):
            window = source.get("max_input_tokens")
        if isinstance(window, int) and window > 0:
            return window
    return None


def _max_output_of(profile: Any, model: Any) -> int | None:
    for attr in ("max_tokens", "max_completion_tokens"):
        value = getattr(model, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    for source in (profile, getattr(model, "profile", None)):
        if source is None:
            continue
        value = getattr(source, "max_output_tokens", None)
        if value is None and isinstance(source, Mapping):
            value = source.get("max_output_tokens")
        if isinstance(value, int) and value > 0:
            return value
    return None


def input_budget(
    *,
    max_tokens: int | None = None,
    profile: Any = None,
    model: Any = None,
    reserve_for_output: int | None = None,
    tools: Sequence[Any] | None = None,
) -> int:
    """Tokens the replayed messages may use.

    Args:
        max_tokens: the budget for the messages themselves (as in langchain's
            ``trim_messages``); when given, the window is not consulted and no
            reply reserve is taken unless ``reserve_for_output`` is given.
        profile: a ``Profile`` or ``ModelProfile`` mapping giving the window.
        model: a chat model whose ``profile`` gives the window and whose
            ``max_tokens`` gives the reply reserve.
        reserve_for_output: tokens kept free for the reply. Default: the
            model's ``max_tokens`` (at most half the window; servers such as
            llama.cpp and vLLM refuse prompt + max_tokens > window), else the
            profile's ``max_output_tokens`` (same cap), else
            ``min(DEFAULT_RESERVE, window // 4)``.
        tools: tools bound to the model; their schemas' estimate is subtracted.

    Raises:
        ConfigurationError: no budget can be found, or it is not positive.
    """
    if max_tokens is not None:
        budget = max_tokens - (reserve_for_output or 0)
    else:
        window = context_window_of(profile, model)
        if window is None:
            raise ConfigurationError(
                "No context window known: pass max_tokens=, a profile with a context window, "
                "or a model whose profile has 'max_input_tokens'."
            )
        if reserve_for_output is None:
            out = _max_output_of(profile, model)
            reserve_for_output = min(out, window // 2) if out else min(DEFAULT_RESERVE, window // 4)
        budget = window - reserve_for_output
    budget -= estimate_tools_tokens(tools)
    if budget <= 0:
        raise ConfigurationError(
            f"The token budget for messages is {budget}: the reply reserve and tools leave no room."
        )
    return budget


def _cut_message(
    msgs: list[BaseMessage], i: int, budget: int, counter: TokenCounter
) -> list[BaseMessage]:
    """``msgs`` with message ``i``'s text cut to the longest that fits the budget."""
    original = msgs[i]
    text = text_of(original)

    def with_keep(keep: int) -> list[BaseMessage]:
        cut = original.model_copy(update={"content": cut_text(text, keep)})
        return [*msgs[:i], cut, *msgs[i + 1 :]]

    return with_keep(largest_fitting(len(text), lambda keep: counter(with_keep(keep)) <= budget))


def _truncate_to_fit(
    msgs: list[BaseMessage], budget: int, counter: TokenCounter, n_system: int
) -> list[BaseMessage] | None:
    """Cut message texts (largest first, system last) until ``msgs`` fit."""
    msgs = list(msgs)
    order = sorted(range(n_system, len(msgs)), key=lambda i: -len(text_of(msgs[i])))
    order += sorted(range(n_system), key=lambda i: -len(text_of(msgs[i])))
    for i in order:
        if counter(msgs) <= budget:
            return msgs
        if not text_of(msgs[i]):
            continue
        candidate = _cut_message(msgs, i, budget, counter)
        if counter(candidate) < counter(msgs):  # the marker can cost more than a short text
            msgs = candidate
    return msgs if counter(msgs) <= budget else None


# --------------------------------------------------------------------- trim


def _memoized(counter: TokenCounter) -> TokenCounter:
    """The default counter is additive: count each message once, then sum."""
    if counter is not count_tokens:
        return counter
    cache: dict[int, tuple[BaseMessage, int]] = {}  # the message is kept so its id stays unique

    def fast(msgs: list[BaseMessage]) -> int:
        if not msgs:
            return 0
        total = REPLY_PRIMING_TOKENS
        for msg in msgs:
            hit = cache.get(id(msg))
            if hit is None:
                hit = cache[id(msg)] = (msg, count_message_tokens(msg))
            total += hit[1]
        return total

    return fast


def trim_to_window(
    messages: Sequence[Any] | PromptValue,
    *,
    max_tokens: int | None = None,
    profile: Any = None,
    model: Any = None,
    reserve_for_output: int | None = None,
    token_counter: TokenCounter = count_tokens,
    tools: Sequence[Any] | None = None,
) -> list[BaseMessage]:
    """Return the most recent part of ``messages`` that fits the model's window.

    See the module docstring for the guarantees.

    Args:
        messages: the history (messages, or anything ``convert_to_messages``
            accepts, or a ``PromptValue``).
        max_tokens, profile, model, reserve_for_output, tools: the budget,
            see :func:`input_budget`.
        token_counter: counts a list of messages; the default
            :func:`~langchain_compat.memory.estimate.count_tokens` over-estimates.

    Returns:
        A new list; unchanged messages are the same objects, cut ones copies.

    Raises:
        ConfigurationError: no budget known, or a budget too small for even
            the system and last human message after truncation.
    """
    if isinstance(messages, PromptValue):
        messages = messages.to_messages()
    msgs = convert_to_messages(list(messages))
    budget = input_budget(
        max_tokens=max_tokens,
        profile=profile,
        model=model,
        reserve_for_output=reserve_for_output,
        tools=tools,
    )
    token_counter = _memoized(token_counter)
    if token_counter(msgs) <= budget:
        return msgs

    n_system = 0
    while n_system < len(msgs) and isinstance(msgs[n_system], SystemMessage):
        n_system += 1
    system, rest = msgs[:n_system], msgs[n_system:]
    turns = split_turns(split_units(rest))
    # A leading turn without a human message is only kept when nothing else exists.
    if len(turns) > 1 and not isinstance(turns[0][0][0], HumanMessage):
        turns = turns[1:]
    if not turns:
        return _fit_or_raise(system, budget, token_counter, n_system)

    def fits_turns(k: int) -> bool:
        return token_counter(system + flat([u for t in turns[-k:] for u in t])) <= budget

    k = largest_fitting(len(turns), fits_turns)
    if k:
        return system + flat([u for t in turns[-k:] for u in t])

    last = turns[-1]
    head, body = (last[:1], last[1:]) if isinstance(last[0][0], HumanMessage) else ([], last)
    # Without a human message at all (head empty) the newest units are kept.

    def fits_units(j: int) -> bool:
        return token_counter(system + flat(head) + flat(body[-j:])) <= budget

    j = largest_fitting(len(body), fits_units)
    if j:
        return system + flat(head) + flat(body[-j:])
    required = system + flat(head) + flat(body[-1:])
    return _fit_or_raise(required, budget, token_counter, n_system)


def _fit_or_raise(
    msgs: list[BaseMessage], budget: int, counter: TokenCounter, n_system: int
) -> list[BaseMessage]:
    fitted = _truncate_to_fit(msgs, budget, counter, n_system)
    if fitted is None:
        raise ConfigurationError(
            f"The token budget ({budget}) is too small for the system message(s) and the "
            f"last message even after truncating their text (estimate {counter(msgs)} before). "
            "Raise max_tokens / the context window or lower reserve_for_output."
        )
    return fitted


# ------------------------------------------------------------ runnable forms


def window_trimmer(**options: Any) -> Runnable[Any, list[BaseMessage]]:
    """``trim_to_window`` as a Runnable, for LCEL: ``prompt | window_trimmer(model=llm) | llm``.

    Args:
        **options: keyword arguments of :func:`trim_to_window`.
    """

    def _trim(messages: Any) -> list[BaseMessage]:
        return trim_to_window(messages, **options)

    return RunnableLambda(_trim, name="trim_to_window")


def trim_hook(
    *, messages_key: str = "messages", output_key: str = "llm_input_messages", **options: Any
) -> Callable[[Mapping[str, Any]], dict[str, list[BaseMessage]]]:
    """A LangGraph ``pre_model_hook``: trim the state's messages for the model only.

    The returned callable maps a graph state to
    ``{"llm_input_messages": trimmed}``, so the model sees the trimmed view
    while the checkpointed state keeps the whole history. For
    ``langchain.agents.create_agent`` use
    :class:`langchain_compat.memory.middleware.TrimToWindowMiddleware`.
    """

    def hook(state: Mapping[str, Any]) -> dict[str, list[BaseMessage]]:
        return {output_key: trim_to_window(state[messages_key], **options)}

    return hook
