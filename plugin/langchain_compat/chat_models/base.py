"""The shared base of every chat model: fields, validation, and the two shells of a call.

A call reads the model's fields once into a frozen :class:`CallSettings`
(``call_options.py``); everything it decides (shape the request, read the reply,
judge it, re-ask, build the chunks) is the sans-IO
:class:`~langchain_compat.chat_models.call.Call`. This module only runs it: one
sync shell and one async shell that send what the call asks for and hand back
what came. ``invoke`` is the same run without ``stream``, its chunks added up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing, closing
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field, PrivateAttr

from langchain_compat.chat_models.call import END, Call
from langchain_compat.chat_models.call_options import CallOptions, CallSettings, ToolSetting
from langchain_compat.chat_models.llama_fields import LlamaServerFields
from langchain_compat.chat_models.llama_server import LlamaServerMethods, with_server_facts
from langchain_compat.chat_models.token_counts import TokenCountMethods
from langchain_compat.connection import CompatConnection
from langchain_compat.core.backend_memory import (
    DEFAULT_BACKEND_MEMORY,
    BackendMemory,
    key_digest,
)
from langchain_compat.core.llama_params import LLAMA_FIELDS
from langchain_compat.core.request import check_params
from langchain_compat.errors import CompatError, InvalidParameterError
from langchain_compat.profiles import PROFILE_FIELDS, Profile
from langchain_compat.providers.base import Provider

__all__ = ["BaseChatCompat"]

#: Fields the profile is made from: the provider's record for the model, the overrides, and
#: what the backend memory learned of this backend (base URL, model, key).
PROFILE_INPUTS = frozenset({"model_name", "model", "profile_overrides", "base_url", "api_key",
                            "backend_memory"})
#: Constructor fields sent as request parameters (checked against the profile).
SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "n", "stop", "presence_penalty",
                   "frequency_penalty", "seed", "logit_bias", "user")


class BaseChatCompat(TokenCountMethods, LlamaServerMethods, CompatConnection, LlamaServerFields,
                     BaseChatModel):
    """A LangChain chat model for an OpenAI-compatible chat-completions API.

    Subclasses set ``provider`` (connection facts + profile) and nothing else.
    Tool calling works on every backend: ``tool_calling="native"`` sends OpenAI
    ``tools``; ``"emulated"`` renders tools into the prompt and parses calls back
    out; ``"auto"`` follows the profile, or where it does not know tries native
    once and falls back (learned per backend in ``backend_memory``).
    llama-server's own fields (``top_k``, ``min_p``, DRY...): :mod:`.llama_fields`.

    Connection fields (``base_url``, ``api_key``, timeouts, headers, TLS, clients)
    and the driver come from :class:`~langchain_compat.connection.CompatConnection`;
    ChatOpenAI's names are aliases (docs/migrating-from-chatopenai.md). Other unknown
    arguments go to ``model_kwargs`` with a warning; credential-looking ones are refused.
    """

    provider: ClassVar[Provider]

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model_name: str | None = Field(default=None, alias="model")
    """Model name sent in the request (defaults to the provider's default model)."""
    tool_calling: Literal["auto", "native", "emulated"] = "auto"
    """``"auto"``: follow the profile (where it does not know, try native tools once and fall
    back to emulation); ``"native"``: send OpenAI ``tools``; ``"emulated"``: render tools into
    the prompt and parse calls out of the reply."""
    temperature: float | None = None
    """Sampling temperature (checked against the profile's range; None: not sent)."""
    top_p: float | None = None
    """Nucleus sampling (None: not sent)."""
    max_tokens: int | None = None
    """Most tokens per reply (None: the server's default, or the profile's: 512 for
    ``ChatLocal``)."""
    n: int | None = None
    """Replies per request, where the provider allows several (None: not sent)."""
    stop: list[str] | str | None = None
    """Stop sequences (the profile may limit how many; None: not sent)."""
    presence_penalty: float | None = None
    """Presence penalty (None: not sent)."""
    frequency_penalty: float | None = None
    """Frequency penalty (None: not sent)."""
    seed: int | None = None
    """Sampling seed, where the backend honours it (None: not sent)."""
    logit_bias: dict[str, float] | None = None
    """Token id -> bias (refused before sending where the provider does not accept it)."""
    user: str | None = None
    """End-user id sent as ``user`` (None: not sent)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request parameters, checked against the profile like the named ones."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body last, unchecked."""
    streaming: bool = False
    """Make ``invoke`` stream under the hood (LangChain's flag)."""
    stream_usage: bool = True
    """Ask for token usage in streams where the profile allows it."""
    drop_unsupported_params: bool = False
    """Drop parameters the provider refuses (with a warning) instead of raising."""
    max_tool_reasks: int = 2
    """Re-asks when an emulated reply breaks ``tool_choice`` or the output schema."""
    profile_overrides: dict[str, Any] | None = None
    """Changes applied on top of the provider/model profile (e.g. {"native_tools": False})."""
    backend_memory: BackendMemory = Field(default=DEFAULT_BACKEND_MEMORY, exclude=True, repr=False)
    """What the backend taught (whether native tools work for ``auto``, refused optional
    fields, llama-server's ``/props``, a failed tokenizer), keyed by base URL, model and a
    digest of the key (default: the process-wide memory; pass your own ``BackendMemory()``
    to keep it apart)."""
    tokenize_timeout: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    """Total seconds of one ``/tokenize`` count (rate limiter included); then the estimate."""

    _compat_profile: Profile | None = PrivateAttr(default=None)
    _call_settings: CallSettings | None = PrivateAttr(default=None)

    # -- construction ----------------------------------------------------
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # CompatConnection: aliases, typed errors, _resolve()
        if "profile" not in kwargs:
            self.profile = self.compat_profile.to_model_profile()

    def _resolve(self) -> None:
        prov = self.provider
        if self.model_name is None:
            self.model_name = prov.default_model
        if self.tool_calling not in ("auto", "native", "emulated"):
            raise InvalidParameterError("tool_calling", "use 'auto', 'native' or 'emulated'")
        self._resolve_connection()
        self._compat_profile = None  # the model name may have changed
        self._call_settings = None
        profile = self.compat_profile
        self._check_server_fields()
        check_params(self._sampling_params(), profile, prov.display_name,
                     drop_unsupported=self.drop_unsupported_params)
        self._resolve_rate_limiter(profile.rate_limit_rpm)

    def _after_copy(self, changed: set[str]) -> None:
        self._call_settings = None  # the copy's fields differ: a call reads them again
        if changed & PROFILE_INPUTS:
            self._profile_inputs_changed()

    def _resolve_model_profile(self) -> Any:
        return self.compat_profile.to_model_profile()

    @property
    def compat_profile(self) -> Profile:
        """The langchain-compat :class:`Profile` of this provider and model."""
        if self._compat_profile is None:
            profile = self.provider.profile_for(self.model_name)
            profile = with_server_facts(profile, self.backend_memory.get(self._backend()))
            if self.profile_overrides:
                unknown = sorted(set(self.profile_overrides) - PROFILE_FIELDS)
                if unknown:
                    raise InvalidParameterError(
                        "profile_overrides", f"{unknown} are not profile fields; use some of "
                        f"{sorted(PROFILE_FIELDS)} (see langchain_compat.profiles.Profile)")
                profile = profile.replace(**self.profile_overrides)
            self._compat_profile = profile
        return self._compat_profile

    def _sampling_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in (*SAMPLING_FIELDS, *LLAMA_FIELDS)}
        params.update(self.model_kwargs)
        return params

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in type(self).model_fields:  # a call reads the fields through call_settings
            self._call_settings = None
            if name in PROFILE_INPUTS:
                self._profile_inputs_changed()

    def _profile_inputs_changed(self) -> None:
        """Make the profile again once it was made (LangChain's ``profile`` too, unless the
        caller gave one): what was learned of another backend or key must not stay in it."""
        if self._compat_profile is not None:
            self._learn()

    @property
    def call_settings(self) -> CallSettings:
        """The fields a call needs, frozen (read again after a field changes)."""
        settings = self._call_settings
        if settings is None:
            settings = self._call_settings = CallSettings(
                profile=self.compat_profile, provider=self.provider.display_name,
                path=self.provider.chat_path, base_url=self.base_url or "",
                model_name=self.model_name, sampling=self._sampling_params(),
                tool_calling=ToolSetting(self.tool_calling), stream_usage=self.stream_usage,
                drop_unsupported_params=self.drop_unsupported_params, extra_body=self.extra_body,
                max_reasks=self.max_tool_reasks, memory=self.backend_memory,
                key_digest=key_digest(self._raw_key()),
            )
        return settings

    # -- LangChain metadata ----------------------------------------------
    @property
    def _llm_type(self) -> str:
        return f"{self.provider.name}-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_compat", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "base_url": self.base_url,
                **{k: v for k, v in self._sampling_params().items() if v is not None}}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self.provider.ls_provider,
            ls_model_name=kwargs.get("model") or self.model_name or "",
            ls_model_type="chat",
        )
        for key, value in (("ls_temperature", kwargs.get("temperature", self.temperature)),
                           ("ls_max_tokens", kwargs.get("max_tokens", self.max_tokens))):
            if value is not None:
                params[key] = value  # type: ignore[literal-required]
        stop = stop or kwargs.get("stop") or self.stop
        if isinstance(stop, str):
            params["ls_stop"] = [stop]
        elif isinstance(stop, (list, tuple)) and stop:
            params["ls_stop"] = list(stop)  # other types are refused by check_params
        return params

    # -- tools and structured output (see tools.py) ----------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (dicts, pydantic models, functions or BaseTools).

        Args:
            tools: the tools the model may call.
            tool_choice: "auto", "none", "any"/"required"/True, a tool name, or
                the OpenAI dict form ``{"type": "function", "function": {"name": ...}}``.
            parallel_tool_calls: True allows several calls in one reply, False one. Not
                given: the backend's default natively; one call a reply when tools are
                emulated, unless the profile says ``several_emulated_calls``.
            strict: ask for strict schema adherence (native only, where supported).
        """
        from langchain_compat.chat_models.tools import tool_kwargs

        return self.bind(**tool_kwargs(tools, tool_choice, parallel_tool_calls, strict), **kwargs)

    def with_structured_output(  # type: ignore[override]
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        tools: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable whose output follows ``schema``.

        Args:
            schema: a pydantic class, TypedDict class or JSON-schema dict
                (None only with ``method="json_mode"``).
            method: how to ask: native tool call, JSON mode or JSON schema. By
                default chosen from the profile so nothing the backend rejects
                is sent; where the backend has none of them the reply is
                prompted JSON, validated and re-asked on errors.
            include_raw: return ``{"raw", "parsed", "parsing_error"}``.
            strict: strict schema adherence where natively supported (prompted
                JSON is always validated against the schema).
            tools: tools bound beside the schema (JSON methods, as in ChatOpenAI):
                a reply that calls one is returned as is (use ``include_raw=True``
                to see its calls; ``parsed`` is then None).

        Raises:
            InvalidParameterError: unknown arguments, an unknown method, or
                ``tools`` with ``method="function_calling"``.
        """
        if kwargs:
            raise InvalidParameterError("with_structured_output",
                                        f"unexpected arguments {sorted(kwargs)}")
        from langchain_compat.chat_models.tools import structured_output

        return structured_output(self, self.compat_profile, schema, method=method,
                                 include_raw=include_raw, strict=strict, tools=tools)

    # -- the call: made (a llama-server field on an unknown server reads /props first), run
    def _call(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any],
              stream: bool) -> Call:
        names = self._llama_names(kwargs)
        if names and self._kind_due():
            self._learn(self._read(refresh=False))
        return self._make_call(messages, stop, kwargs, stream, names)

    async def _acall(self, messages: list[BaseMessage], stop: list[str] | None,
                     kwargs: dict[str, Any], stream: bool) -> Call:
        names = self._llama_names(kwargs)
        if names and self._kind_due():
            self._learn(await self._aread(refresh=False))
        return self._make_call(messages, stop, kwargs, stream, names)

    def _make_call(self, messages: list[BaseMessage], stop: list[str] | None,
                   kwargs: dict[str, Any], stream: bool, names: list[str]) -> Call:
        settings, kwargs = self._gate(self.call_settings, kwargs, names)
        return Call(settings, CallOptions.read(settings, stop, kwargs, stream=stream), messages)

    def _run(self, call: Call) -> Iterator[ChatGenerationChunk]:
        """The sync shell: send what ``call`` asks for, hand back what came, yield its chunks."""
        while (send := call.next_action()) is not None:
            try:
                with closing(self.driver.send(send.path, send.body, send.reader,
                                              timeout=send.timeout,
                                              admitted=send.admitted)) as deltas:
                    for delta in deltas:
                        yield from call.receive(delta)
                        if call.reply_over:
                            break  # (closing the stream ends the server's generation)
                chunks = call.receive(END)
            except CompatError as exc:
                chunks = call.receive(exc)  # raises it when it ends the call
            yield from chunks

    async def _arun(self, call: Call | Awaitable[Call]) -> AsyncIterator[ChatGenerationChunk]:
        """The async shell (:meth:`_run` with ``await``; ``call`` may still be in the making)."""
        if not isinstance(call, Call):
            call = await call
        while (send := call.next_action()) is not None:
            try:
                async with aclosing(self.driver.asend(send.path, send.body, send.reader,
                                                      timeout=send.timeout,
                                                      admitted=send.admitted)) as deltas:
                    async for delta in deltas:
                        for chunk in call.receive(delta):
                            yield chunk
                        if call.reply_over:
                            break
                chunks = call.receive(END)
            except CompatError as exc:
                chunks = call.receive(exc)
            for chunk in chunks:
                yield chunk

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        call = self._call(messages, stop, kwargs, stream=False)
        return call.result(list(self._run(call)))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        call = await self._acall(messages, stop, kwargs, stream=False)
        return call.result([chunk async for chunk in self._arun(call)])

    # LangChain's stream()/astream() report each chunk to the callbacks themselves and pass
    # no run_manager here; a caller of _stream that does gets the tokens reported too. The
    # shell's iterator is returned as it is otherwise: no generator layer per chunk.
    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        chunks = self._run(self._call(messages, stop, kwargs, stream=True))
        return chunks if run_manager is None else _reported(chunks, run_manager)

    def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                 run_manager: AsyncCallbackManagerForLLMRun | None = None,
                 **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        chunks = self._arun(self._acall(messages, stop, kwargs, stream=True))
        return chunks if run_manager is None else _areported(chunks, run_manager)


def _reported(chunks: Iterator[ChatGenerationChunk],
              run_manager: CallbackManagerForLLMRun) -> Iterator[ChatGenerationChunk]:
    for chunk in chunks:
        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def _areported(
    chunks: AsyncIterator[ChatGenerationChunk], run_manager: AsyncCallbackManagerForLLMRun,
) -> AsyncIterator[ChatGenerationChunk]:
    async for chunk in chunks:
        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk

