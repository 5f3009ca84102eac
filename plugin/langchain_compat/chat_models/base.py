"""The shared base of every chat model: fields, validation and the I/O drivers.

A call reads the model's fields once into a frozen :class:`CallSettings`
(``settings.py``); what it does with them (shape the request, read the reply,
re-ask) is the sans-IO :class:`~langchain_compat.chat_models.pipeline.Call`
with its reply policy. This module only runs it over the sync or async driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, ClassVar, Literal

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, model_validator

from langchain_compat.chat_models.pipeline import Call
from langchain_compat.chat_models.settings import CallOptions, CallSettings, ToolSetting
from langchain_compat.chat_models.tools import structured_output, tool_kwargs
from langchain_compat.connection import (
    build_driver,
    resolve_api_key,
    resolve_base_url,
    typed_validation_error,
)
from langchain_compat.core.request import check_params
from langchain_compat.errors import CompatError, InvalidParameterError
from langchain_compat.profiles import Profile
from langchain_compat.providers.base import AuthScheme, Provider
from langchain_compat.transport.driver import HTTPDriver
from langchain_compat.transport.rate_limit import limiter_for_rpm

__all__ = ["BaseChatCompat"]

#: Constructor fields sent as request parameters (checked against the profile).
SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "n", "stop", "presence_penalty",
                   "frequency_penalty", "seed", "logit_bias", "user")


class BaseChatCompat(BaseChatModel):
    """A LangChain chat model for an OpenAI-compatible chat-completions API.

    Subclasses set ``provider`` (connection facts + profile) and nothing else.
    Tool calling works on every backend: ``tool_calling="native"`` sends
    OpenAI ``tools``; ``"emulated"`` renders tools into the prompt and parses
    calls back out; ``"auto"`` follows the profile and, where the profile
    does not know, tries native once and falls back (remembered per base URL
    and model for the process).
    """

    provider: ClassVar[Provider]

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model_name: str | None = Field(default=None, alias="model")
    """Model name sent in the request (defaults to the provider's default model)."""
    base_url: str | None = None
    """Base URL (env var per provider, e.g. ``COTOMI_BASE_URL``)."""
    api_key: SecretStr | None = None
    """API key (env var per provider, e.g. ``COTOMI_API_KEY``); never shown."""
    tool_calling: Literal["auto", "native", "emulated"] = "auto"
    timeout: float | None = None
    """Per-request timeout in seconds (read and total); None uses 60 s reads."""
    connect_timeout: float = 10.0
    max_retries: int = 2
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    n: int | None = None
    stop: list[str] | str | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    logit_bias: dict[str, float] | None = None
    user: str | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request parameters, checked against the profile like the named ones."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body last, unchecked."""
    default_headers: dict[str, str] | None = None
    streaming: bool = False
    stream_usage: bool = True
    """Ask for token usage in streams where the profile allows it."""
    drop_unsupported_params: bool = False
    """Drop parameters the provider refuses (with a warning) instead of raising."""
    auth_header: str | None = None
    """Override the auth header name (e.g. ``"api-key"``); ``""`` sends no auth."""
    auth_prefix: str | None = None
    """Override the auth value prefix (default ``"Bearer "`` for Authorization)."""
    verify: bool | str = True
    """TLS verification (True, False or a CA bundle path)."""
    max_connections: int = 128
    max_tool_reasks: int = 2
    """Re-asks when an emulated reply breaks ``tool_choice`` or the output schema."""
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (custom transport, proxies); default: a shared pooled one."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    profile_overrides: dict[str, Any] | None = None
    """Changes applied on top of the provider/model profile (e.g. {"native_tools": False})."""

    _driver: HTTPDriver | None = PrivateAttr(default=None)
    _driver_sig: tuple[Any, ...] | None = PrivateAttr(default=None)
    _compat_profile: Profile | None = PrivateAttr(default=None)
    _call_settings: CallSettings | None = PrivateAttr(default=None)

    # -- construction ----------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Move unknown constructor kwargs into ``model_kwargs`` (like ChatOpenAI)."""
        if not isinstance(values, dict):
            return values
        known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        extra = {k: values.pop(k) for k in list(values) if k not in known}
        if extra:
            values["model_kwargs"] = {**(values.get("model_kwargs") or {}), **extra}
        return values

    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            raise typed_validation_error(exc) from None
        # Resolution runs after pydantic so our typed errors reach the caller
        # unwrapped (a validator's ValueError would become a ValidationError).
        self._resolve()
        if "profile" not in kwargs:
            self.profile = self.compat_profile.to_model_profile()

    def _resolve(self) -> None:
        prov = self.provider
        if self.model_name is None:
            self.model_name = prov.default_model
        if self.tool_calling not in ("auto", "native", "emulated"):
            raise InvalidParameterError("tool_calling", "use 'auto', 'native' or 'emulated'")
        if self.max_retries < 0:
            raise InvalidParameterError("max_retries", "must be >= 0")
        if self.timeout is not None and self.timeout <= 0:
            raise InvalidParameterError("timeout", "must be a positive number of seconds")
        self.base_url = resolve_base_url(prov, self.base_url)
        self._compat_profile = None  # the model name may have changed
        self._call_settings = None
        no_auth = self.auth_header == ""
        self.api_key = resolve_api_key(prov, self.api_key, required=prov.requires_api_key and not no_auth)
        profile = self.compat_profile
        check_params(self._sampling_params(), profile, prov.display_name,
                     drop_unsupported=self.drop_unsupported_params)
        if self.rate_limiter is None and profile.rate_limit_rpm:
            self.rate_limiter = limiter_for_rpm(profile.rate_limit_rpm)

    def _resolve_model_profile(self) -> Any:
        return self.compat_profile.to_model_profile()

    @property
    def compat_profile(self) -> Profile:
        """The langchain-compat :class:`Profile` of this provider and model."""
        if self._compat_profile is None:
            profile = self.provider.profile_for(self.model_name)
            if self.profile_overrides:
                profile = profile.replace(**self.profile_overrides)
            self._compat_profile = profile
        return self._compat_profile

    def _sampling_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in SAMPLING_FIELDS}
        params.update(self.model_kwargs)
        return params

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in type(self).model_fields:  # a call reads the fields through call_settings
            self._call_settings = None
            if name in ("model_name", "profile_overrides"):
                self._compat_profile = None

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Any:
        copied = super().model_copy(update=update, deep=deep)
        if update:  # the copy's fields differ: its settings and profile are read again
            copied._call_settings = None
            copied._compat_profile = None
        return copied

    @property
    def call_settings(self) -> CallSettings:
        """The fields a call needs, frozen (read again after a field changes)."""
        settings = self._call_settings
        if settings is None:
            settings = self._call_settings = CallSettings(
                profile=self.compat_profile, provider=self.provider.display_name,
                path=self.provider.chat_path, base_url=self.base_url or "", model_name=self.model_name,
                sampling=self._sampling_params(), tool_calling=ToolSetting(self.tool_calling),
                stream_usage=self.stream_usage, drop_unsupported_params=self.drop_unsupported_params,
                extra_body=self.extra_body, max_reasks=self.max_tool_reasks,
            )
        return settings

    @property
    def auth(self) -> AuthScheme:
        return self.provider.auth.override(self.auth_header, self.auth_prefix)

    def _driver_signature(self) -> tuple[Any, ...]:
        """Everything the driver is built from (a change rebuilds it)."""
        key = self.api_key.get_secret_value() if self.api_key else None
        return (key, self.base_url, self.auth_header, self.auth_prefix,
                tuple(sorted((self.default_headers or {}).items())), self.timeout,
                self.connect_timeout, self.max_retries, self.verify, self.max_connections,
                id(self.http_client), id(self.http_async_client))

    @property
    def driver(self) -> HTTPDriver:
        """The HTTP driver (created on first use; clients are shared process-wide).

        Rebuilt when a setting it depends on changed since: ``model_copy``
        copies private attributes, so ``llm.model_copy(update={"api_key": ...})``
        (or assigning ``llm.api_key``) would otherwise keep sending the old key.
        """
        sig = self._driver_signature()
        if self._driver is None or sig != self._driver_sig:
            self._driver_sig = sig
            self._driver = build_driver(self)
        return self._driver

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
    def lc_secrets(self) -> dict[str, str]:
        env = self.provider.api_key_env
        return {"api_key": env} if env else {}

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
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
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
            parallel_tool_calls: allow several calls in one reply (native only).
            strict: ask for strict schema adherence (native only, where supported).
        """
        return self.bind(**tool_kwargs(tools, tool_choice, parallel_tool_calls, strict), **kwargs)

    def with_structured_output(  # type: ignore[override]
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
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
            strict: strict schema adherence where natively supported.
        """
        if kwargs:
            raise InvalidParameterError("with_structured_output", f"unexpected arguments {sorted(kwargs)}")
        return structured_output(self, self.compat_profile, schema, method=method,
                                 include_raw=include_raw, strict=strict)

    # -- calls -----------------------------------------------------------
    def _call(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any],
              stream: bool) -> Call:
        settings = self.call_settings
        return Call(settings, CallOptions.read(settings, stop, kwargs, stream=stream), messages)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        call = self._call(messages, stop, kwargs, stream=False)
        ex = call.exchange()
        while (payload := ex.request) is not None:
            try:
                answer = self.driver.post_json(call.path, payload, timeout=call.timeout)
            except CompatError as exc:
                answer = exc
            ex.reply(answer)
        return ex.result  # type: ignore[return-value]

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        call = self._call(messages, stop, kwargs, stream=False)
        ex = call.exchange()
        while (payload := ex.request) is not None:
            try:
                answer = await self.driver.apost_json(call.path, payload, timeout=call.timeout)
            except CompatError as exc:
                answer = exc
            ex.reply(answer)
        return ex.result  # type: ignore[return-value]

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        call = self._call(messages, stop, kwargs, stream=True)
        while True:
            attempt = call.attempt()
            try:
                for delta in self.driver.stream(call.path, call.payload, attempt.decoder,
                                                timeout=call.timeout):
                    for chunk in attempt.on_delta(delta):
                        if run_manager:
                            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
            except CompatError as exc:
                if not call.recover(exc, attempt):
                    raise
                continue
            for chunk in attempt.finish():
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
            if not call.after_stream(attempt):
                return

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        call = self._call(messages, stop, kwargs, stream=True)
        while True:
            attempt = call.attempt()
            try:
                async for delta in self.driver.astream(call.path, call.payload, attempt.decoder,
                                                       timeout=call.timeout):
                    for chunk in attempt.on_delta(delta):
                        if run_manager:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
            except CompatError as exc:
                if not call.recover(exc, attempt):
                    raise
                continue
            for chunk in attempt.finish():
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
            if not call.after_stream(attempt):
                return
