"""One chat call as a sans-IO flow: build, send (by the caller), parse, re-ask.

:class:`Call` decides how tools are handled for this call:

- ``plain``: no tools bound;
- ``native``: OpenAI ``tools`` on the wire;
- ``probe``: the profile does not know; native is tried once and a refusal
  (400/422 naming tools, or a tool-parser 5xx) switches to emulation, and the
  answer is remembered per (base URL, model) for the process;
- ``emulated``: tools rendered into the prompt, calls parsed out of the text.

``Call.generate()`` is a generator: it yields request bodies and receives
response bodies (or has the driver's error thrown in), so the sync and async
chat methods share every decision and differ only in how they send.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_compat.core.errors import looks_like_tools_refusal
from langchain_compat.core.messages import messages_to_wire
from langchain_compat.core.request import build_chat_payload
from langchain_compat.core.response import parse_chat_response
from langchain_compat.core.stream import ChatStream
from langchain_compat.errors import APIError, CompatError

if TYPE_CHECKING:
    from langchain_compat.chat_models.base import BaseChatCompat

__all__ = ["Call", "native_tools_known"]

#: (base_url, model) -> whether the backend accepted native tools.
_NATIVE_TOOLS: dict[tuple[str, str], bool] = {}

_TOOL_KEYS = ("tools", "tool_choice", "parallel_tool_calls")


def native_tools_known(base_url: str, model: str) -> bool | None:
    """What ``auto`` learned about this backend (None: not probed yet)."""
    return _NATIVE_TOOLS.get((base_url, model))


def _legacy_functions(kwargs: dict[str, Any]) -> None:
    """Translate legacy ``functions``/``function_call`` into tools/tool_choice."""
    functions = kwargs.pop("functions", None)
    function_call = kwargs.pop("function_call", None)
    if functions:
        kwargs.setdefault("tools", [{"type": "function", "function": f} for f in functions])
    if function_call is not None and "tool_choice" not in kwargs:
        if isinstance(function_call, dict) and "name" in function_call:
            kwargs["tool_choice"] = {"type": "function", "function": {"name": function_call["name"]}}
        elif function_call in ("auto", "none"):
            kwargs["tool_choice"] = function_call


def _strip_private(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop keys we add for emulation (``status`` on tool results) before sending."""
    if not any("status" in m for m in wire):
        return wire
    return [{k: v for k, v in m.items() if k != "status"} for m in wire]


class Call:
    """Everything one call needs, decided before the first byte is sent."""

    __slots__ = (
        "_base_payload",
        "_key",
        "_stream",
        "_wire",
        "mode",
        "model",
        "path",
        "payload",
        "profile",
        "reasks",
        "shown_text",
        "structured",
        "timeout",
        "tool_choice",
        "tools",
    )

    @classmethod
    def build(cls, model: BaseChatCompat, messages: list[BaseMessage], stop: list[str] | None,
              kwargs: dict[str, Any], *, stream: bool) -> Call:
        self = cls()
        self.reasks = 0
        self.shown_text = ""
        kwargs = dict(kwargs)
        _legacy_functions(kwargs)
        self.model = model
        self.profile = model.compat_profile
        self.path = model.provider.chat_path
        self.timeout = kwargs.pop("timeout", None)
        kwargs.pop("stream", None)
        self.tools = kwargs.pop("tools", None) or None
        self.tool_choice = kwargs.pop("tool_choice", None)
        parallel = kwargs.pop("parallel_tool_calls", None)
        self.structured = kwargs.pop("_compat_structured", None)
        model_name = kwargs.pop("model", None) or model.model_name
        params = model._sampling_params()
        params.update(kwargs)
        if stop is not None:
            params["stop"] = stop
        self._wire = messages_to_wire(messages)
        self._stream = stream
        self._key = (model.base_url or "", model_name or "")
        self._base_payload = {
            "model": model_name, "params": params, "parallel": parallel,
        }
        self.mode = self._choose_mode()
        self.payload = self._make_payload()
        return self

    # -- decisions -------------------------------------------------------
    def _choose_mode(self) -> str:
        if not self.tools:
            return "plain"
        setting = self.model.tool_calling
        if setting != "auto":
            return setting
        native = self.profile.native_tools
        if native is None:
            native = _NATIVE_TOOLS.get(self._key)
        if native is None:
            return "probe"
        return "native" if native else "emulated"

    def _make_payload(self) -> dict[str, Any]:
        base = self._base_payload
        params = dict(base["params"])
        wire = self._wire
        native = self.mode in ("native", "probe")
        if native:
            params["tools"] = self.tools
            if self.tool_choice is not None:
                params["tool_choice"] = self.tool_choice
            if base["parallel"] is not None:
                params["parallel_tool_calls"] = base["parallel"]
        if self.structured is not None and not self.structured.get("native"):
            from langchain_compat.emulation.structured import render_json_instructions

            wire = _with_system(wire, render_json_instructions(self.structured.get("schema") or {}))
        if not native and (self.tools or not self.profile.tool_role):
            if self.mode == "emulated":
                from langchain_compat.emulation.render import emulate_request

                payload = build_chat_payload(
                    model=base["model"], messages=wire, params=params, profile=self.profile,
                    provider=self.model.provider.display_name, stream=self._stream,
                    stream_usage=self.model.stream_usage,
                    drop_unsupported=self.model.drop_unsupported_params, extra_body=self.model.extra_body,
                )
                if base["parallel"] is not None:  # read (and removed) by emulate_request
                    payload["parallel_tool_calls"] = base["parallel"]
                return emulate_request(payload, self.tools, self.tool_choice,
                                       tool_role=self.profile.tool_role, template=self.profile.tool_prompt)
            if any(m["role"] == "tool" or m.get("tool_calls") for m in wire):
                from langchain_compat.emulation.render import replay_tool_history

                wire = replay_tool_history(wire, tool_role=self.profile.tool_role)
        return build_chat_payload(
            model=base["model"], messages=_strip_private(wire), params=params, profile=self.profile,
            provider=self.model.provider.display_name, stream=self._stream,
            stream_usage=self.model.stream_usage,
            drop_unsupported=self.model.drop_unsupported_params, extra_body=self.model.extra_body,
        )

    def _switch_to_emulated(self) -> None:
        _NATIVE_TOOLS[self._key] = False
        self.mode = "emulated"
        self.payload = self._make_payload()

    def fallback(self, exc: CompatError, state: StreamRun) -> bool:
        """For streams: switch a refused native probe to emulation (before any chunk)."""
        if (self.mode == "probe" and isinstance(exc, APIError) and state.decoder.chunks == 0
                and looks_like_tools_refusal(exc)):
            self._switch_to_emulated()
            return True
        return False

    # -- non-streaming ---------------------------------------------------
    def generate(self) -> Generator[dict[str, Any], Any, ChatResult]:
        """Yield request bodies, receive response bodies, return the result."""
        result: ChatResult | None = None
        if self.mode == "probe":
            try:
                body = yield self.payload
            except APIError as exc:
                if not looks_like_tools_refusal(exc):
                    raise
                self._switch_to_emulated()
            else:
                _NATIVE_TOOLS[self._key] = True
                self.mode = "native"
                result = self._finish(body)
        payload = self.payload
        while True:
            if result is None:
                body = yield payload
                result = self._finish(body)
            problem = self._violation(result)
            if problem is None:
                return result
            if self.reasks >= self.model.max_tool_reasks:
                return self._drop_repeats(result)
            self.reasks += 1
            payload = self._reask(payload, result.generations[0].message, problem)
            result = None

    def _finish(self, body: Any) -> ChatResult:
        result = parse_chat_response(body, think_tags=self.profile.think_tags)
        if not self._parses_text():
            return result
        gens = [ChatGeneration(message=self._parse_message(g.message), generation_info=g.generation_info)
                for g in result.generations]
        return ChatResult(generations=gens, llm_output=result.llm_output)

    def _parses_text(self) -> bool:
        """Whether reply text is searched for calls / JSON (emulation, and native rescue)."""
        if self.structured is not None and not self.structured.get("native"):
            return True
        return bool(self.tools) and self.tool_choice != "none"

    def _parse_message(self, message: AIMessage) -> AIMessage:
        text = message.content if isinstance(message.content, str) else message.text
        if self.structured is not None and not self.structured.get("native") and not self.tools:
            from langchain_compat.emulation.structured import parse_json_reply

            obj, error = parse_json_reply(text)
            if error is None:
                from langchain_compat.emulation.schema import validate

                obj, errors = validate(obj, self.structured.get("schema"))
                if not errors:
                    content = json.dumps(obj, ensure_ascii=False)
                    return message.model_copy(update={"content": content})
                error = "; ".join(errors)
            meta = {**message.response_metadata, "structured_output_error": error}
            return message.model_copy(update={"response_metadata": meta})
        if message.tool_calls or not text:
            return message  # the backend parsed native calls itself
        from langchain_compat.emulation.parser import parse_tool_calls

        parsed = parse_tool_calls(text, self.tools)
        if not parsed.tool_calls and not parsed.invalid_tool_calls:
            return message
        if self._base_payload["parallel"] is False:  # one call per reply was asked for
            parsed.tool_calls = parsed.tool_calls[:1]
        return AIMessage(
            content=parsed.content,
            tool_calls=parsed.tool_calls,
            invalid_tool_calls=parsed.invalid_tool_calls,
            additional_kwargs=message.additional_kwargs,
            response_metadata=message.response_metadata,
            id=message.id,
            usage_metadata=message.usage_metadata,
        )

    def _violation(self, result: ChatResult) -> str | None:
        return self._message_violation(result.generations[0].message)

    def _message_violation(self, message: AIMessage) -> str | None:
        if self.structured is not None and not self.structured.get("native") and not self.tools:
            return message.response_metadata.get("structured_output_error")
        if not self.tools or self.mode == "plain":
            return None
        from langchain_compat.emulation.structured import (
            describe_invalid_calls,
            tool_choice_violation,
        )

        problem = tool_choice_violation(message, self.tool_choice, self.tools)
        if problem is None and message.invalid_tool_calls and not message.tool_calls:
            problem = "your tool call could not be used: " + describe_invalid_calls(message.invalid_tool_calls)
        return problem or self._repeated_call(message)

    def _drop_repeats(self, result: ChatResult) -> ChatResult:
        """Re-asks exhausted on a repeated call: end the loop instead of re-running it.

        The calls are removed (the agent then stops with the reply's text) and
        listed in ``response_metadata["dropped_repeated_tool_calls"]``.
        """
        gen = result.generations[0]
        message = gen.message
        if not isinstance(message, AIMessage) or self._repeated_call(message) is None:
            return result
        meta = {**message.response_metadata, "dropped_repeated_tool_calls": message.tool_calls}
        cleaned = message.model_copy(update={"tool_calls": [], "response_metadata": meta})
        return ChatResult(generations=[ChatGeneration(message=cleaned, generation_info=gen.generation_info),
                                       *result.generations[1:]], llm_output=result.llm_output)

    def _repeated_call(self, message: AIMessage) -> str | None:
        """Small models often repeat an answered call instead of answering (seen
        with Qwen2.5-0.5B on llama-server): when every call in the reply was
        already made with the same arguments and has a result, re-ask with it."""
        if not message.tool_calls or self.tool_choice not in (None, "auto"):
            return None
        answered: dict[tuple[str, str], str] = {}
        results = {m.get("tool_call_id"): m.get("content") for m in self._wire if m["role"] == "tool"}
        for m in self._wire:
            for tc in m.get("tool_calls") or ():
                fn = tc.get("function") or {}
                if tc.get("id") in results:
                    key = (fn.get("name"), _canonical(fn.get("arguments")))
                    answered[key] = str(results[tc.get("id")])
        repeats = [answered.get((c["name"], _canonical(c["args"]))) for c in message.tool_calls]
        if not answered or any(r is None for r in repeats):
            return None
        names = ", ".join(c["name"] for c in message.tool_calls)
        return (f"you already called {names} with these arguments and got: {'; '.join(repeats)}. "
                "Do not call it again: answer the user now in plain text using that result.")

    def _reask(self, payload: dict[str, Any], message: AIMessage, problem: str) -> dict[str, Any]:
        from langchain_compat.emulation.structured import reask_message

        raw = message.content if isinstance(message.content, str) else message.text
        if message.tool_calls and not raw:
            raw = json.dumps([{"name": c["name"], "arguments": c["args"]} for c in message.tool_calls])
        messages = [*payload["messages"], {"role": "assistant", "content": raw or ""},
                    reask_message(problem)]
        return {**payload, "messages": messages}

    # -- streaming -------------------------------------------------------
    def stream_state(self) -> StreamRun:
        return StreamRun(self)


def _canonical(args: Any) -> str:
    """Arguments as canonical JSON (wire strings and parsed dicts compare equal)."""
    if isinstance(args, str):
        try:
            args = json.loads(args) if args else {}
        except ValueError:
            return args
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def _invalid_call(e: Any) -> dict[str, Any]:
    """A streamed call event that failed validation, as an ``InvalidToolCall`` dict."""
    return {"name": e.name, "args": e.args_json, "id": e.id, "error": e.error, "type": "invalid_tool_call"}


def _with_system(wire: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Append ``text`` to the leading system message (or insert one)."""
    if wire and wire[0]["role"] == "system" and isinstance(wire[0].get("content"), str):
        return [{**wire[0], "content": f"{wire[0]['content']}\n\n{text}"}, *wire[1:]]
    return [{"role": "system", "content": text}, *wire]


class StreamRun:
    """One streamed attempt: decodes SSE and, where tools are bound, parses calls.

    Text is released as it arrives (held back only while a call may be
    starting); parsed calls are held until the end of the stream, so a reply
    that breaks ``tool_choice`` or repeats an answered call can be re-asked
    (``retry_payload``) without ever surfacing the unusable call. Under a
    forcing ``tool_choice`` (required or a named tool, e.g. structured output)
    the reply's text is held to the end too: a reply without the call is
    re-asked unseen, and the aggregated stream equals ``invoke``. Prompted
    JSON (structured output without native support) is held whole the same
    way, validated, re-asked, and released as the clean JSON ``invoke`` returns.
    """

    __slots__ = ("_calls", "_hold", "_json", "_parser", "_text", "call", "decoder", "retry_payload")

    def __init__(self, call: Call) -> None:
        self.call = call
        self.decoder = ChatStream(think_tags=call.profile.think_tags, provider=call.model.provider.display_name)
        self._parser = None
        self._calls: list[Any] = []
        self._text: list[str] = []  # the reply's text; while _hold, none of it was yielded yet
        self.retry_payload: dict[str, Any] | None = None
        if call.tools and call.tool_choice != "none":
            from langchain_compat.emulation.streaming import StreamingToolParser

            self._parser = StreamingToolParser(call.tools)
        self._json = call._parses_text() and not call.tools  # prompted JSON
        self._hold = self._json or (self._parser is not None and (
            call.tool_choice == "required" or isinstance(call.tool_choice, dict)))

    def on_chunk(self, chunk: ChatGenerationChunk) -> Iterator[ChatGenerationChunk]:
        """Pass a decoded chunk through the call parser."""
        text = chunk.message.content if isinstance(chunk.message.content, str) else ""
        if self._json:
            from langchain_compat.emulation.streaming import TextDelta

            yield from self._emit([TextDelta(text)] if text else [], chunk)
            return
        if self._parser is None or chunk.message.tool_call_chunks:
            if chunk.message.tool_call_chunks and self._parser is not None:
                self._parser = None  # the backend streams native calls itself
                yield from self._release_held()
            yield chunk
            return
        events = self._parser.feed(text) if text else []
        yield from self._emit(events, chunk)

    def finish(self) -> Iterator[ChatGenerationChunk]:
        """Flush what was held back; decide whether to re-ask instead."""
        if self._json:
            yield from self._finish_json()
            return
        if self._parser is None:
            return
        yield from self._emit(self._parser.finish(), None)
        call = self.call
        if (self._calls or self._hold) and call.reasks < call.model.max_tool_reasks:
            message = self._message()
            problem = call._message_violation(message)
            if problem is not None:
                call.reasks += 1
                self.retry_payload = call._reask(call.payload, message, problem)
                call.shown_text = "" if self._hold else "".join(self._text)
                return
        yield from self._release_held()
        if self._calls and call._repeated_call(self._message()) is not None:
            self._calls = []  # re-asks exhausted on a repeated call: end the loop (see _drop_repeats)
        if self._calls and call._base_payload["parallel"] is False:
            self._calls = [next((e for e in self._calls if e.error is None), self._calls[0])]
        # Only valid calls become tool_call_chunks: merged chunks re-parse their arguments, so
        # an invalid call whose arguments are a JSON object (e.g. {} missing a required field)
        # would turn into a valid call that an agent then runs. Invalid ones are reported in
        # response_metadata["invalid_tool_calls"] (invoke has them in message.invalid_tool_calls).
        chunks = [{"name": e.name, "args": e.args_json, "id": e.id, "index": e.index,
                   "type": "tool_call_chunk"} for e in self._calls if e.error is None]
        invalid = [_invalid_call(e) for e in self._calls if e.error is not None]
        if chunks or invalid:
            meta = {"invalid_tool_calls": invalid} if invalid else {}
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks,
                                                             response_metadata=meta))

    def _finish_json(self) -> Iterator[ChatGenerationChunk]:
        call = self.call
        raw = AIMessage(content="".join(self._text))
        message = call._parse_message(raw)
        problem = call._message_violation(message)
        if problem is not None and call.reasks < call.model.max_tool_reasks:
            call.reasks += 1
            self.retry_payload = call._reask(call.payload, raw, problem)
            return
        yield ChatGenerationChunk(message=AIMessageChunk(
            content=message.content, response_metadata=message.response_metadata))

    def _release_held(self) -> Iterator[ChatGenerationChunk]:
        """Yield the held text (once: at the end, or when native calls take over)."""
        if self._hold and self._text:
            yield ChatGenerationChunk(message=AIMessageChunk(content="".join(self._text)))

    def _message(self) -> AIMessage:
        valid, invalid = [], []
        for e in self._calls:
            if e.error is None:
                valid.append({"name": e.name, "args": json.loads(e.args_json or "{}"), "id": e.id,
                              "type": "tool_call"})
            else:
                invalid.append(_invalid_call(e))
        return AIMessage(content="".join(self._text), tool_calls=valid, invalid_tool_calls=invalid)

    def _skip_repeated(self, text: str) -> str:
        """After a re-ask, drop the leading text the user has already been shown.

        Models re-asked mid-stream usually start their new reply with the same
        words; the earlier attempt's text was already yielded, so only what
        differs from it is yielded again.
        """
        shown = self.call.shown_text
        if not shown:
            return text
        common = 0
        limit = min(len(shown), len(text))
        while common < limit and shown[common] == text[common]:
            common += 1
        self.call.shown_text = shown[common:] if common == len(text) else ""
        return text[common:]

    def _emit(self, events: list[Any], carrier: ChatGenerationChunk | None) -> Iterator[ChatGenerationChunk]:
        from langchain_compat.emulation.streaming import TextDelta

        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        self._calls.extend(e for e in events if not isinstance(e, TextDelta))
        if text:
            self._text.append(text)
            # held text is yielded by _release_held (never re-asked after a hold: nothing to skip)
            text = "" if self._hold else self._skip_repeated(text)
        if carrier is not None:
            msg = carrier.message
            if text == msg.content:  # nothing held back or parsed out: pass the chunk through
                yield carrier
                return
            has_meta = bool(msg.usage_metadata or msg.response_metadata or msg.additional_kwargs or
                            carrier.generation_info or msg.id)
            if not (text or has_meta):
                return
            message = AIMessageChunk(
                content=text, usage_metadata=msg.usage_metadata,
                response_metadata=msg.response_metadata, additional_kwargs=msg.additional_kwargs,
                id=msg.id,
            )
            yield ChatGenerationChunk(message=message, generation_info=carrier.generation_info)
        elif text:
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
