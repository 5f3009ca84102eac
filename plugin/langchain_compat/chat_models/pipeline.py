"""One chat call as a sans-IO pipeline: shape the request, read the reply, ask the policy.

:meth:`Call.generate` (invoke) is a generator: it yields request bodies and
receives response bodies (or has the driver's error thrown in). Streams make
one :class:`~langchain_compat.chat_models.chunks.StreamAttempt` per request
(:meth:`Call.attempt`) and report its end (:meth:`Call.after_stream`) or its
error (:meth:`Call.recover`). The sync and async chat methods share every
decision and differ only in how they send; the decisions are the
:class:`~langchain_compat.chat_models.policy.ReplyPolicy`'s.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_compat.chat_models.chunks import StreamAttempt
from langchain_compat.chat_models.downgrades import apply_remembered, refused_row, remember
from langchain_compat.chat_models.plan import build_payload, shape_messages
from langchain_compat.chat_models.policy import Finish, Reask, ReplyPolicy
from langchain_compat.chat_models.reply import path_metadata, read_result
from langchain_compat.chat_models.settings import CallOptions, CallSettings
from langchain_compat.chat_models.tools import wire_tool_choice
from langchain_compat.core.messages import messages_to_wire
from langchain_compat.errors import (
    APIError,
    CompatError,
    StreamInterruptedError,
    ToolCallParseError,
    UnsupportedParameterError,
)
from langchain_compat.profiles import ReasoningReplay

__all__ = ["Call", "Exchange"]


class Exchange:
    """Drives :meth:`Call.generate` for a driver: send ``request``, hand back the answer.

    Example (the sync chat model; the async one differs only by ``await``)::

        ex = call.exchange()
        while (payload := ex.request) is not None:
            try:
                answer = driver.post_json(call.path, payload)
            except CompatError as exc:
                answer = exc
            ex.reply(answer)
        return ex.result
    """

    __slots__ = ("_gen", "request", "result")

    def __init__(self, gen: Generator[dict[str, Any], Any, ChatResult]) -> None:
        self._gen = gen
        self.result: ChatResult | None = None
        self.request: dict[str, Any] | None = next(gen)

    def reply(self, answer: Any) -> None:
        """The response body of ``request``, or the driver's error (raised again if final)."""
        try:
            self.request = self._gen.throw(answer) if isinstance(answer, CompatError) else self._gen.send(answer)
        except StopIteration as done:
            self.request, self.result = None, done.value


class Call:
    """Everything one call needs; the request body of its next attempt is ``payload``."""

    __slots__ = ("_extra", "_failed", "_shown", "_wire", "downgrades", "options", "payload", "policy",
                 "settings")

    def __init__(self, settings: CallSettings, options: CallOptions, messages: list[BaseMessage]) -> None:
        # Fields the backend is known to refuse are left out from the first request on.
        settings, options, self.downgrades = apply_remembered(settings, options)
        self.settings, self.options = settings, options
        if options.tools and options.tool_choice is not None:
            wire_tool_choice(options.tool_choice, options.tools)  # a typed error for a bad one
        self._wire = messages_to_wire(
            messages, reasoning=settings.profile.reasoning_replay is ReasoningReplay.REQUIRED)
        if settings.profile.image_inputs is False:
            refuse_images(self._wire, settings)
        self._failed = frozenset(m.tool_call_id for m in messages
                                 if isinstance(m, ToolMessage) and m.status == "error")
        self._extra: tuple[dict[str, Any], ...] = ()  # re-ask turns after the conversation
        self._shown = ""
        self.policy = ReplyPolicy(settings, options, self._wire)
        self.payload = self._payload()

    @property
    def path(self) -> str:
        return self.settings.path

    @property
    def timeout(self) -> float | None:
        return self.options.timeout

    def _payload(self) -> dict[str, Any]:
        mode, withhold = self.policy.mode, self.policy.withheld
        messages = shape_messages(self._wire, self.settings, self.options, mode,
                                  failed_ids=self._failed, withhold_tools=withhold)
        if self._extra:
            messages = [*messages, *self._extra]
        return build_payload(messages, self.settings, self.options, mode, withhold_tools=withhold)

    def _downgrade(self, error: CompatError) -> bool:
        """Whether ``error`` refused an optional field of the request: then the call
        goes on without it (remembered for the backend, see :mod:`.downgrades`)."""
        row = refused_row(error, self.payload)
        if row is None:
            return False
        remember(self.settings, self.options, row)
        self.settings, self.options = row.apply(self.settings, self.options)
        self.downgrades.append(row.name)
        old = self.policy
        self.policy = ReplyPolicy(self.settings, self.options, self._wire)
        self.policy.reasks, self.policy.withheld = old.reasks, old.withheld
        self.policy.requests = old.requests + 1
        return True

    def _marked(self, message: BaseMessage) -> BaseMessage:
        """``message`` with the call's downgrades in ``response_metadata["downgrades"]``."""
        if not self.downgrades:
            return message
        meta = {**message.response_metadata, "downgrades": list(self.downgrades)}
        return message.model_copy(update={"response_metadata": meta})

    def _reask(self, verdict: Reask) -> None:
        # The re-ask replaces an earlier one: failed attempts do not pile up in the
        # history a weak model is shown (they prime it to repeat them).
        self._extra = verdict.messages
        self.payload = self._payload()

    # -- invoke ----------------------------------------------------------
    def exchange(self) -> Exchange:
        """The invoke conversation with the driver (see :class:`Exchange`)."""
        return Exchange(self.generate())

    def generate(self) -> Generator[dict[str, Any], Any, ChatResult]:
        """Yield request bodies, receive response bodies, return the result."""
        while True:
            try:
                body = yield self.payload
            except APIError as exc:
                if not (self._downgrade(exc) or self.policy.on_error(exc, received=False)):
                    raise
                self.payload = self._payload()
                continue
            self.policy.answered()
            profile = self.settings.profile
            result = read_result(body, self.options, think_tags=profile.think_tags,
                                 think_prefilled=profile.think_prefilled,
                                 calls_only=self.policy.native_rescue)
            verdict = self.policy.judge(result.generations[0].message)
            if isinstance(verdict, Reask):
                self._reask(verdict)
                continue
            gens = result.generations
            if isinstance(verdict, Finish):
                gens = [ChatGeneration(message=verdict.message, generation_info=gens[0].generation_info), *gens[1:]]
            if self.downgrades:  # the call's refused-field downgrades, on the first reply
                gens = [ChatGeneration(message=self._marked(gens[0].message),
                                       generation_info=gens[0].generation_info), *gens[1:]]
            return ChatResult(generations=[self._with_path(g) for g in gens], llm_output=result.llm_output)

    def _with_path(self, generation: ChatGeneration) -> ChatGeneration:
        """The generation with how the call ran in its ``response_metadata`` (see
        :func:`~langchain_compat.chat_models.reply.path_metadata`)."""
        path = path_metadata(self.policy.mode, self.policy.downgraded, self.options,
                             self.policy.requests)
        if not path:
            return generation
        message = generation.message
        meta = {**message.response_metadata, **path}
        return ChatGeneration(message=message.model_copy(update={"response_metadata": meta}),
                              generation_info=generation.generation_info)

    # -- stream ----------------------------------------------------------
    def attempt(self) -> StreamAttempt:
        """The next streamed attempt (send ``payload`` with its ``decoder``)."""
        return StreamAttempt(self.settings, self.options, self.policy, shown=self._shown,
                             downgrades=tuple(self.downgrades), payload=self.payload)

    def recover(self, error: CompatError, attempt: StreamAttempt) -> bool:
        """Whether a failed stream is sent again: a refused native probe (before any
        chunk), or a server that could not parse the model's call (llama-server says
        so in an error event mid-stream; the text already shown is not shown again).

        A request refused for an optional field (see :mod:`.downgrades`) is sent
        again without it.

        Raises:
            ToolCallParseError: the cause of an interrupted stream, when not recovered.
        """
        if not attempt.received and self._downgrade(error):
            self.payload = self._payload()
            return True
        cause = error.__cause__ if isinstance(error, StreamInterruptedError) else error
        parse_failure = isinstance(cause, ToolCallParseError)
        if not parse_failure:
            cause = error
        if not self.policy.on_error(cause, received=attempt.received and not parse_failure):
            if cause is not error:
                raise cause from None
            return False
        self._shown = attempt.yielded_text
        self.payload = self._payload()
        return True

    def after_stream(self, attempt: StreamAttempt) -> bool:
        """Whether another attempt follows the one that ended (a re-ask)."""
        self.policy.answered()
        if attempt.reask is None:
            return False
        self._shown = attempt.shown
        self._reask(attempt.reask)
        return True


def refuse_images(wire: list[dict[str, Any]], settings: CallSettings) -> None:
    """Refuse a conversation with an image for a model whose profile reads text only.

    Raises:
        UnsupportedParameterError: a message carries an ``image_url`` part.
    """
    for i, message in enumerate(wire):
        content = message.get("content")
        if isinstance(content, list) and any(
                isinstance(part, dict) and part.get("type") == "image_url" for part in content):
            raise UnsupportedParameterError(
                f"messages[{i}].content", settings.provider,
                f"{settings.model_name or 'this model'} reads text only, so the image would be "
                "dropped or refused; use a vision model, or profile_overrides="
                "{'image_inputs': True} if this one does take images")
