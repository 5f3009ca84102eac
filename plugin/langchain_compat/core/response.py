"""Chat-completion response bodies -> :class:`StreamDelta` records (what each event or choice adds).

A whole (non-streamed) reply is read as a stream of one delta per choice: its
``message`` becomes the delta a stream would have added up to, so invoke and
stream share one reply reader from here on (``chat_models/reader.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata

from langchain_compat.core.reasoning import ThinkSplitter, reasoning_field
from langchain_compat.core.server_meta import server_metadata
from langchain_compat.errors import ResponseParseError

__all__ = ["ChatBody", "StreamDelta", "choice_info", "served_model_ids", "text_or_none",
           "usage_to_metadata", "wire_tool_chunks"]


def usage_to_metadata(usage: dict[str, Any] | None) -> UsageMetadata | None:
    """OpenAI ``usage`` -> LangChain ``UsageMetadata`` (None when absent).

    Counts that are not whole numbers >= 0 (a negative count, a string, a float)
    make the usage unknown (None) rather than wrong in cost and budget sums.
    """
    if not usage:
        return None
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if not all(c is None or _is_count(c) for c in counts):
        return None
    inp, out, total = (c or 0 for c in counts)
    meta = UsageMetadata(input_tokens=inp, output_tokens=out, total_tokens=total or inp + out)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if _is_count(cached):
        meta["input_token_details"] = InputTokenDetails(cache_read=cached)
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if _is_count(reasoning):
        meta["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return meta


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def wire_tool_chunks(calls: Any, *, call_id: str | None = None) -> list[dict[str, Any]]:
    """OpenAI ``tool_calls`` (a response message's or a stream delta's) as LangChain
    ``tool_call_chunk`` dicts; arguments sent as an object are encoded as JSON text.

    Raises:
        TypeError: a call is not an object (the caller reports a malformed answer).
    """
    out = []
    for i, tc in enumerate(calls or ()):
        fn = tc.get("function") or {}
        args = fn.get("arguments")
        if args is not None and not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)
        index = tc.get("index", i)
        out.append({"name": text_or_none(fn.get("name")), "args": args,
                    "id": text_or_none(tc.get("id")) or call_id,
                    "index": index if isinstance(index, int) and not isinstance(index, bool) else i,
                    "type": "tool_call_chunk"})
    return out


def served_model_ids(body: Any) -> tuple[str, ...] | None:
    """Model ids from an OpenAI ``{"data": [{"id"}]}`` list (or Ollama's ``{"models": [...]}``);
    None when the body is not such a list."""
    if not isinstance(body, dict):
        return None
    items = body.get("data") if isinstance(body.get("data"), list) else body.get("models")
    if not isinstance(items, list):
        return None
    ids = [item.get("id") or item.get("model") or item.get("name") for item in items
           if isinstance(item, dict)]
    return tuple(str(i) for i in ids if i) or None


def text_or_none(value: Any) -> str | None:
    """``value`` when it is a non-empty string (an id or a name), else None."""
    return value if isinstance(value, str) and value else None


def choice_info(obj: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any] | None:
    """``finish_reason``, ``model_name``, ``system_fingerprint`` and ``logprobs`` of a choice
    (None when it carries none of them)."""
    info: dict[str, Any] | None = None
    finish = choice.get("finish_reason")
    if finish:
        info = {"finish_reason": finish, "model_name": obj.get("model")}
        if obj.get("system_fingerprint"):
            info["system_fingerprint"] = obj["system_fingerprint"]
    if choice.get("logprobs"):
        info = {**(info or {}), "logprobs": choice["logprobs"]}
    return info


@dataclass(slots=True)
class StreamDelta:
    """What one stream event (or one choice of a whole reply) adds to the reply.

    Attributes:
        text: answer text.
        reasoning: reasoning text (``reasoning_content``, ``<think>``).
        tool_chunks: native tool-call chunks (LangChain ``tool_call_chunk`` dicts).
        usage: token usage, when the event carries it (a server that sends it on
            every event sends the running total: the latest one counts).
        info: ``finish_reason``, ``model_name``, ``system_fingerprint``, ``logprobs``.
        id: the response id (first delta only).
        first: the first delta of the reply.
        choice: which choice of the reply (a stream follows choice 0 only).
    """

    text: str = ""
    reasoning: str | None = None
    tool_chunks: list[dict[str, Any]] | None = None
    usage: Any = None
    info: dict[str, Any] | None = None
    id: str | None = None
    first: bool = False
    choice: int = 0


class ChatBody:
    """The reader of a whole ``chat.completion`` body (a transport ``WholeReader``).

    :meth:`parse` turns the body into one
    :class:`~langchain_compat.core.stream.StreamDelta` per choice, as a stream
    of it would have delivered in all: its text (``<think>`` split out as in a
    stream), reasoning, native calls as ``tool_call_chunk`` dicts, and on the
    first choice the usage and the response id.
    """

    whole = True
    __slots__ = ("_think_prefilled", "_think_tags", "provider")

    def __init__(self, *, think_tags: bool = True, think_prefilled: bool = False,
                 provider: str | None = None) -> None:
        self._think_tags = think_tags
        self._think_prefilled = think_prefilled
        self.provider = provider

    def parse(self, body: Any) -> list[Any]:
        """The deltas of every choice (``choice`` 0, 1, ...).

        Raises:
            ResponseParseError: the body is not a chat completion.
        """
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            raise ResponseParseError("expected a chat.completion object with a 'choices' list",
                                     body=body, provider=self.provider)
        if not body["choices"]:
            raise ResponseParseError("the response has no choices", body=body,
                                     provider=self.provider)
        try:
            usage = usage_to_metadata(body.get("usage"))
            return [self._delta(body, choice, i, usage if i == 0 else None)
                    for i, choice in enumerate(body["choices"])]
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # A malformed field deeper in the body (usage, tool_calls, ...): the
            # documented error for a 2xx we cannot read, not a bare AttributeError.
            if isinstance(exc, ResponseParseError):
                raise
            raise ResponseParseError(f"malformed chat.completion body: {exc}", body=body,
                                     provider=self.provider) from None

    def _delta(self, body: dict[str, Any], choice: Any, index: int, usage: Any) -> Any:
        if not isinstance(choice, dict):
            raise ResponseParseError("a response choice is not an object", body=body,
                                     provider=self.provider)
        msg = choice.get("message")
        if not isinstance(msg, dict):
            raise ResponseParseError("response choice has no message object", body=body,
                                     provider=self.provider)
        text = msg.get("content") or ""
        if not isinstance(text, str):
            raise TypeError(f"message content is not a string: {text!r:.80}")
        reasoning = reasoning_field(msg)
        if self._think_tags:
            splitter = ThinkSplitter(prefilled=self._think_prefilled)
            if reasoning:
                splitter.server_splits()
            tagged, text = splitter.feed(text)
            more, tail = splitter.flush()
            tagged += more
            text += tail
            reasoning = (reasoning or "") + tagged if tagged else reasoning
        calls = wire_tool_chunks(msg.get("tool_calls"))
        if isinstance(msg.get("function_call"), dict):  # the legacy single function call
            calls += wire_tool_chunks([{"function": msg["function_call"], "index": len(calls)}],
                                      call_id=f"call_{text_or_none(body.get('id')) or '0'}")
        info = choice_info(body, choice) or {}
        info.update(server_metadata(body))  # llama-server's timings
        info.setdefault("model_name", body.get("model"))
        info.setdefault("finish_reason", choice.get("finish_reason"))
        return StreamDelta(text, reasoning or None, calls or None, usage, info,
                           text_or_none(body.get("id")), first=True, choice=index)
