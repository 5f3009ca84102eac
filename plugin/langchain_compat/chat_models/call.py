"""One chat call as a sans-IO state machine, h11-style: what to send next, and what came back.

A shell (``base.py``) asks :meth:`Call.next_action` what to do: :class:`Send` a
request (its body and the reader of its answer), or nothing more (the call is
over). It hands every answer back to :meth:`Call.receive` -- each decoded delta,
then :data:`END`, or the error that ended the attempt -- and yields the chunks
``receive`` returns. A stream feeds deltas as they arrive; invoke sends the same
request without ``stream`` and feeds the one delta its whole body makes, then
adds the chunks up. Everything else is decided here, once, for both:

- the request: the conversation shaped for the tool mode (``plan.py``), fields
  the backend is known to refuse left out (``downgrades.py``);
- the reply: read by the one reader (``reader.py``), trimmed to one call where one
  was asked for, judged (``judge.py``): accepted, re-asked, or finished changed;
- the errors: a refused optional field or native tools sent again without them,
  a server that could not parse the model's call sent again emulated, the rest raised;
- the chunks: made in one place (``chunks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage, message_chunk_to_message
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_compat.chat_models.call_options import CallOptions, CallSettings, ToolMode
from langchain_compat.chat_models.chunks import ChunkBuilder
from langchain_compat.chat_models.downgrades import apply_remembered, refused_row, remember
from langchain_compat.chat_models.judge import Finish, Judge, Reask
from langchain_compat.chat_models.plan import build_payload, grammar_turn
from langchain_compat.chat_models.reader import MAX_EMULATED_CALLS, Reply, ReplyReader
from langchain_compat.chat_models.tool_mode import ToolModes
from langchain_compat.chat_models.usage import estimate_usage
from langchain_compat.core.messages import messages_to_wire, refuse_images
from langchain_compat.core.response import ChatBody, StreamDelta, served_model_ids
from langchain_compat.core.stream import ChatStream
from langchain_compat.connection.hints import shown_url
from langchain_compat.core.server_meta import server_metadata
from langchain_compat.errors import (
    CompatError,
    ModelNotServedError,
    StreamInterruptedError,
    ToolCallParseError,
)
from langchain_compat.profiles import ReasoningReplay
from langchain_compat.transport.readers import JSONAnswer

__all__ = ["END", "MAX_EMULATED_CALLS", "Call", "Send"]

#: Longest the model-list request may take (``served_models_check``).
CHECK_TIMEOUT = 10.0


class _End:
    def __repr__(self) -> str:
        return "END"


#: What a shell hands to :meth:`Call.receive` when an answer ended normally.
END = _End()


@dataclass(frozen=True, slots=True)
class Send:
    """Send one request: POST ``body`` to ``path``, read the answer with ``reader``.

    Attributes:
        path: the path below the base URL.
        body: the JSON request body (None: a GET, the model list).
        reader: the answer's reader (a stream's SSE decoder, or a whole body's).
        timeout: the request's total timeout (None: the model's).
        admitted: the caller's rate limiter already let this request through.
    """

    path: str
    body: dict[str, Any] | None
    reader: Any
    timeout: float | None
    admitted: bool


class Call:
    """Everything one call decides (see the module docstring).

    Args:
        settings: the model's frozen settings.
        options: this call's options.
        messages: the conversation.

    Raises:
        InvalidParameterError: a bad ``tool_choice``.
        UnsupportedParameterError: an image for a text-only model.
    """

    __slots__ = ("_builder", "_checking", "_done", "_extra", "_failed", "_judge", "_modes",
                 "_one_call", "_payload", "_reader", "_reasks", "_replies", "_sent", "_side",
                 "_usage", "_wire", "_withheld", "downgrades", "options", "settings")

    def __init__(self, settings: CallSettings, options: CallOptions,
                 messages: list[BaseMessage]) -> None:
        # Fields the backend is known to refuse are left out from the first request on.
        settings, options, self.downgrades = apply_remembered(settings, options)
        self.settings, self.options = settings, options
        if options.tools and options.tool_choice is not None:
            from langchain_compat.chat_models.tools import wire_tool_choice

            wire_tool_choice(options.tool_choice, options.tools)  # a typed error for a bad one
        self._wire = messages_to_wire(
            messages, reasoning=settings.profile.reasoning_replay is ReasoningReplay.REQUIRED)
        if settings.profile.image_inputs is False:
            refuse_images(self._wire, provider=settings.provider, model=settings.model_name)
        self._failed = frozenset(m.tool_call_id for m in messages
                                 if isinstance(m, ToolMessage) and m.status == "error")
        self._modes = ToolModes(settings, options)
        self._judge = Judge(settings, options, self._wire)
        self._builder = ChunkBuilder(whole=not options.stream)
        self._extra: tuple[dict[str, Any], ...] = ()  # the re-ask turns after the conversation
        self._withheld = False  # the next request asks for an answer (tools withheld)
        self._reasks = 0
        self._sent = 0
        self._done = False
        self._reader: ReplyReader | None = None
        self._one_call = False  # the reply in flight may hold one call (next_action decides)
        self._payload: dict[str, Any] = {}
        self._usage: UsageMetadata | None = None
        self._replies: list[Reply] = []  # n > 1: the other choices of the last whole answer
        self._side: dict[int, ReplyReader] = {}
        self._checking = False  # the request in flight asks for the server's model list

    # -- the protocol ------------------------------------------------------
    def next_action(self) -> Send | None:
        """The next request to send, or None when the call is over."""
        if self._done:
            return None
        mode, withhold = self._modes.mode, self._withheld
        ends = self._ends_early(mode, withhold)
        streamed = self.options.stream or ends  # (a reply ended early is read as a stream)
        # Decided once for both sides of the turn, the prompt and the reply: how many calls
        # the reply may hold (the prompt's stop, the reader's end, the trim), and whether it
        # is decoded under the grammar (then read as plain text, else as the schema's JSON).
        one_call = self.options.calls_wanted(mode, self.settings.profile) == 1
        grammar = grammar_turn(self._wire, self.settings, mode)
        reader = ReplyReader(self.options, calls_only=mode.sends_tools and not withhold,
                             constrained=mode is ToolMode.CONSTRAINED and not grammar,
                             ends_early=ends, one_call=one_call)
        self._payload = build_payload(self._wire, self.settings, self.options, mode,
                                      failed_ids=self._failed, withhold_tools=withhold,
                                      extra=self._extra, stream=streamed, grammar=grammar,
                                      one_call=one_call)  # (bad values refused)
        if self._sent == 0 and self._model_list_due():
            self._checking = True
            return Send("/models", None, JSONAnswer(), CHECK_TIMEOUT, admitted=False)
        self._checking = False
        self._reader, self._one_call = reader, one_call
        self._side = {}
        profile = self.settings.profile
        how = {"think_tags": profile.think_tags, "think_prefilled": profile.think_prefilled,
               "provider": self.settings.provider}
        reader = ChatStream(**how) if streamed else ChatBody(**how)
        if streamed and not self.options.stream:  # a server that cannot stream answers whole
            reader.whole_answer = ChatBody(**how)
        self._sent += 1
        return Send(self.settings.path, self._payload, reader, self.options.timeout,
                    admitted=self._sent == 1)

    @property
    def reply_over(self) -> bool:
        """Whether the reply in flight holds all that will be used of it (``early_stop``):
        the shell may stop reading it and hand :data:`END` over at once."""
        return not self._checking and self._reader is not None and self._reader.over is not None

    def receive(self, event: StreamDelta | _End | CompatError) -> list[ChatGenerationChunk]:
        """What came back for the request in flight; returns the chunks to yield.

        Raises:
            CompatError: the error that ends the call (given, or the cause of a broken stream).
        """
        if self._checking:
            return self._model_list(event)
        if isinstance(event, StreamDelta):
            return self._delta(event)
        if isinstance(event, CompatError):
            return self._error(event)
        return self._end()

    def result(self, chunks: list[ChatGenerationChunk]) -> ChatResult:
        """Invoke's result: the call's chunks added up, as a stream's would be, and the other
        choices of a whole answer (``n > 1``, read but not judged) as further generations."""
        total = chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0]
        generations = [_generation(total)]
        generations += [_generation(ChunkBuilder().final(
            r.text, r.tool_calls, metadata=self._metadata(r), usage=None,
            generation_info=_generation_info(r))) for r in self._replies]
        # LangChain merges llm_output into invoke's response_metadata: only what the
        # stream's metadata holds too (usage is the message's usage_metadata).
        meta = total.message.response_metadata
        return ChatResult(generations=generations, llm_output={
            k: meta[k] for k in ("model_name", "system_fingerprint", "id") if k in meta})

    def _ends_early(self, mode: ToolMode, withhold: bool) -> bool:
        """Whether the next reply is read until it holds all that will be used of it:
        plain emulation with tools described, one choice, where the profile says so."""
        options = self.options
        return (mode is ToolMode.EMULATED and not withhold and options.reads_calls
                and self.settings.profile.early_stop and options.params.get("n") in (None, 1))

    # -- answers -----------------------------------------------------------
    def _delta(self, delta: StreamDelta) -> list[ChatGenerationChunk]:
        if delta.choice:  # n > 1 (a whole answer): read aside, for other generations
            side = self._side.get(delta.choice)
            if side is None:
                side = self._side[delta.choice] = ReplyReader(self.options)
            side.feed(delta)
            return []
        assert self._reader is not None
        if delta.first:
            self._builder.response_id(delta.id)
        chunk = self._builder.piece(self._reader.feed(delta), delta.reasoning)
        return [] if chunk is None else [chunk]

    def _end(self) -> list[ChatGenerationChunk]:
        assert self._reader is not None
        self._modes.answered()
        reply = self._reader.finish()
        self._replies = [self._side[i].finish() for i in sorted(self._side)]
        self._count_usage(reply)
        if self._modes.mode.emulates:
            reply.fold_calls(MAX_EMULATED_CALLS)
        if self._one_call:
            reply.keep_one_call()
        verdict = self._judge.judge(reply, mode=self._modes.mode, withheld=self._withheld,
                                    reasks=self._reasks)
        if isinstance(verdict, Reask):
            self._reasks += 1
            self._withheld = verdict.withhold_tools
            # The re-ask replaces an earlier one: failed attempts do not pile up in the
            # history a weak model is shown (they prime it to repeat them).
            self._extra = verdict.messages
            self._builder.attempt_over()
            return []
        if isinstance(verdict, Finish):
            reply = verdict.reply
        self._done = True
        return [self._builder.final(reply.text, reply.tool_calls, metadata=self._metadata(reply),
                                    usage=self._usage, generation_info=_generation_info(reply))]

    def _error(self, error: CompatError) -> list[ChatGenerationChunk]:
        """A failed attempt: sent again (a refused field or tools, a call the server could
        not parse) or raised. Text already shown is not shown again by the next attempt."""
        received = self._reader is not None and self._reader.received
        if not received and self._downgrade(error):
            return []
        cause = error.__cause__ if isinstance(error, StreamInterruptedError) else error
        parse_failure = isinstance(cause, ToolCallParseError)
        if not parse_failure:
            cause = error
        shown = received and not parse_failure
        if not self._modes.on_error(cause, received=shown,  # type: ignore[arg-type]
                                    withheld=self._withheld):
            if cause is not error:
                raise cause from None  # type: ignore[misc]
            raise error
        self._builder.attempt_over()
        return []

    def _downgrade(self, error: CompatError) -> bool:
        """Whether ``error`` refused an optional field of the request: then the call goes on
        without it (learned for the backend, see :mod:`.downgrades`). A field refused again
        after its row was applied is the server's error: the row did not take it out."""
        row = refused_row(error, self._payload)
        if row is None or row.name in self.downgrades:
            return False
        remember(self.settings, self.options, row)
        self.settings, self.options = row.apply(self.settings, self.options)
        self.downgrades.append(row.name)
        self._modes.renew(self.settings, self.options)
        self._judge = Judge(self.settings, self.options, self._wire)
        return True

    # -- the model asked for (served_models_check) -------------------------
    def _model_list_due(self) -> bool:
        """Whether the first request asks the server which models it serves: the profile
        checks it (llama-server answers any model name with its own) and the call's
        memory has no list for the server yet; then a served list is checked at once."""
        settings, options = self.settings, self.options
        if not settings.profile.served_models_check or not options.model_name:
            return False
        key = settings.backend(options)
        if settings.memory.served_models_due(key):
            return True
        self._check_served(settings.memory.served_models(key))
        return False

    def _model_list(self, event: Any) -> list[ChatGenerationChunk]:
        """The answer to ``GET /models``, learned (the next :meth:`next_action` checks it).
        A list that cannot be read is not judged (the chat request reports its own error)
        and not asked for again for a while."""
        if event is not END:
            models = served_model_ids(event) if not isinstance(event, CompatError) else None
            self.settings.memory.learn_served_models(self.settings.backend(self.options), models)
        return []

    def _check_served(self, models: tuple[str, ...] | None) -> None:
        model = self.options.model_name or ""
        if models and model not in models:
            raise ModelNotServedError(model, models, base_url=shown_url(self.settings.base_url),
                                      provider=self.settings.provider)

    # -- the final chunk ---------------------------------------------------
    def _count_usage(self, reply: Reply) -> None:
        """Every request's usage counts (re-asks cost tokens too); where ``stream_options``
        was refused or the reply was ended early, and the server sent none, it is
        estimated offline."""
        usage = reply.usage
        if usage is None and ("stream_options" in self.downgrades or "ended_early" in reply.meta):
            usage = estimate_usage(self._payload, reply.text, reply.tool_calls)
            reply.meta["usage_estimated"] = True
        if usage is not None:
            self._usage = usage if self._usage is None else add_usage(self._usage, usage)

    def _metadata(self, reply: Reply) -> dict[str, Any]:
        meta: dict[str, Any] = dict(reply.info)
        if self._builder.id:
            meta["id"] = self._builder.id
        if reply.finish_reason is not None:
            meta["finish_reason"] = reply.finish_reason
        if reply.logprobs is not None:
            meta["logprobs"] = reply.logprobs
        meta.update(server_metadata({}, self.options.params))  # a pinned llama-server slot
        if reply.invalid_tool_calls:
            meta["invalid_tool_calls"] = reply.invalid_tool_calls
        meta.update(reply.meta)
        if self.downgrades:
            meta["downgrades"] = list(self.downgrades)
        meta.update(path_metadata(self._modes.mode, self._modes.downgraded, self.options,
                                  self._sent))
        return meta


def _generation(chunk: ChatGenerationChunk) -> ChatGeneration:
    return ChatGeneration(message=message_chunk_to_message(chunk.message),
                          generation_info=chunk.generation_info)


def _generation_info(reply: Reply) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": reply.finish_reason}
    if reply.logprobs is not None:
        info["logprobs"] = reply.logprobs
    return info


def path_metadata(mode: ToolMode, downgraded: bool, options: CallOptions,
                  requests: int | None = None) -> dict[str, Any]:
    """How a reply's tools or structured output were carried, for ``response_metadata``.

    Returns:
        ``{"tool_calling": "native" | "emulated" | "constrained", "tool_calling_downgraded":
        bool}``: ``"native"`` when the request carried OpenAI ``tools`` (or
        ``response_format`` for JSON structured output), ``"emulated"`` when they were
        written into the prompt and read back from the text, ``"constrained"`` when that
        text was also decoded under a JSON schema of the tools; ``tool_calling_downgraded`` when
        ``tool_calling="auto"`` went emulated because the backend refused native tools
        (in this call, or learned earlier for the backend); ``requests``: how many
        requests the call sent (re-asks and re-sends included). ``{}`` when the call
        bound neither tools nor structured output.
    """
    if options.tools:
        how = mode.value if mode.emulates else "native"
    elif options.structured is not None:
        how = "native" if options.structured.native else "emulated"
    else:
        return {}
    out: dict[str, Any] = {"tool_calling": how, "tool_calling_downgraded": downgraded}
    if requests is not None:
        out["requests"] = requests
    return out

