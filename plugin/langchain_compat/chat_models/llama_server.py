"""What a chat model knows of llama-server: ``/props``, its window, and the llama-field gate.

A mixin of :class:`~langchain_compat.chat_models.base.BaseChatCompat`. Which
server the model talks to comes from the profile's ``server_kind``
(``ChatLocal``: llama.cpp; cloud providers: another server; ``ChatOpenAICompatible``:
unknown, read from ``/props`` once per backend when it matters, bounded by the
model's ``timeout``). What ``/props`` said is learned in the model's
``backend_memory`` (per base URL, model and key digest, like every fact about a
backend) and applied to the profile (:func:`with_server_facts`): the kind, and the
server's real context window. The profile follows the memory: what it forgets
(``reset()``, the size bound, an answer grown old) is read again when it matters.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from langchain_compat.core.backend_memory import BackendKey, BackendRecord, key_digest
from langchain_compat.chat_models.call_options import CallSettings
from langchain_compat.connection.resolve import user_stacklevel
from langchain_compat.core.llama_params import LLAMA_FIELDS, check_llama_value
from langchain_compat.core.server_props import ServerDefaults
from langchain_compat.errors import CompatError, ServerFeatureError
from langchain_compat.profiles import Profile, ServerKind
from langchain_compat.transport import props as props_io

if TYPE_CHECKING:
    from langchain_compat.core.backend_memory import BackendMemory
    from langchain_compat.providers.base import Provider
    from langchain_compat.transport.driver import HTTPDriver

__all__ = ["DETECT_TIMEOUT", "LlamaServerMethods", "with_server_facts"]

logger = logging.getLogger(__name__)

#: Seconds one ``/props`` request may take at most (less when the model's ``timeout`` is less).
DETECT_TIMEOUT = 10.0


def with_server_facts(profile: Profile, record: BackendRecord | None) -> Profile:
    """``profile`` with what ``/props`` said (``record``): llama-server, its window, and its
    ``grammar`` field for constrained tool turns (``Profile.call_grammar``), or another server.

    A profile that already names another server (cloud providers) is left as it is.
    """
    if record is None or record.server_kind is None or profile.server_kind is ServerKind.OTHER:
        return profile
    found = record.server_defaults
    if found is None:
        return profile.replace(server_kind=profile.server_kind or ServerKind.OTHER)
    return profile.replace(server_kind=ServerKind.LLAMA_CPP, call_grammar=True,
                           context_window=found.n_ctx or profile.context_window)


def _hint(name: str) -> str:
    return (f"{name} is a llama-server field. If the server is llama-server, say so with "
            "profile_overrides={'server_kind': 'llama.cpp'}; to send the field unchecked to a "
            "server that takes it (vLLM takes top_k and min_p), use "
            f"model_kwargs={{'{name}': ...}}")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class LlamaServerMethods:
    """``get_server_defaults``, ``context_window`` and the llama-field gate of every chat model."""

    if TYPE_CHECKING:  # what BaseChatCompat provides
        provider: Provider
        base_url: str | None
        model_name: str | None
        driver: HTTPDriver
        profile: Any
        drop_unsupported_params: bool
        backend_memory: BackendMemory
        _compat_profile: Profile | None
        _call_settings: CallSettings | None

        @property
        def compat_profile(self) -> Profile: ...

        @property
        def call_settings(self) -> CallSettings: ...

        def _raw_key(self) -> str | None: ...

    # -- the typed fields -------------------------------------------------
    def _llama_names(self, kwargs: Mapping[str, Any] | None = None) -> list[str]:
        """The llama-server fields set on the model or given to this call (not model_kwargs)."""
        names = [n for n in LLAMA_FIELDS if getattr(self, n) is not None]
        extra = [n for n, v in (kwargs or {}).items() if n in LLAMA_FIELDS and v is not None]
        return names + [n for n in extra if n not in names]

    def _check_server_fields(self) -> None:
        """The model's llama-server fields: types and ranges, and a server that takes them.

        Raises:
            InvalidParameterError: a value of the wrong type or out of range.
            ServerFeatureError: the profile says the server is not llama-server.
        """
        names = self._llama_names()
        for name in names:
            check_llama_value(name, getattr(self, name))
        if not self.drop_unsupported_params:
            self._refuse(self.compat_profile, names)

    def _refuse(self, profile: Profile, names: list[str]) -> None:
        if names and profile.server_kind is ServerKind.OTHER:
            raise ServerFeatureError(names[0], self._server_name(), _hint(names[0]))

    def _gate(self, settings: CallSettings, kwargs: dict[str, Any],
              names: list[str]) -> tuple[CallSettings, dict[str, Any]]:
        """The call's settings and kwargs once its llama-server fields are allowed: refused
        (:class:`ServerFeatureError`), or dropped with a warning (``drop_unsupported_params``)
        where the server is not llama-server."""
        if not names or settings.profile.server_kind is not ServerKind.OTHER:
            return settings, kwargs
        if not settings.drop_unsupported_params:
            self._refuse(settings.profile, names)
        warnings.warn(f"{self._server_name()} is not llama-server: {', '.join(names)} dropped "
                      "from the request (drop_unsupported_params=True)",
                      stacklevel=user_stacklevel())
        sampling = {k: v for k, v in settings.sampling.items() if k not in names}
        kept = {k: v for k, v in kwargs.items() if k not in names}
        return replace(settings, sampling=sampling), kept

    def _server_name(self) -> str:
        return f"{self.provider.display_name} at {self.base_url}"

    # -- /props --------------------------------------------------------------
    def _backend(self) -> BackendKey:
        """The backend whose ``/props`` facts the model's memory holds (URL, model, key)."""
        return BackendKey(self.base_url or "", self.model_name or "", key_digest(self._raw_key()))

    def _props_timeout(self) -> float:
        total = self.driver.ep.total_timeout
        return min(total, DETECT_TIMEOUT) if total else DETECT_TIMEOUT

    def _read(self, *, refresh: bool) -> BackendRecord:
        return props_io.read_server_props(self.driver.ep, self.backend_memory, self._backend(),
                                          timeout=self._props_timeout(), refresh=refresh)

    async def _aread(self, *, refresh: bool) -> BackendRecord:
        return await props_io.aread_server_props(self.driver.ep, self.backend_memory,
                                                 self._backend(), timeout=self._props_timeout(),
                                                 refresh=refresh)

    def _learn(self, record: BackendRecord | None = None) -> BackendRecord | None:
        """Apply what the memory knows of ``/props`` now (``record``, just read, or nothing)
        to this model's profile and to LangChain's ``profile``; returns ``record``."""
        old = self.compat_profile
        self._compat_profile = None
        new = self.compat_profile
        if new == old:
            self._compat_profile = old
            return record
        self._call_settings = None
        if self.profile == old.to_model_profile():
            self.profile = new.to_model_profile()
        return record

    def _kind_due(self) -> bool:
        """Whether a call with llama-server fields reads ``/props`` first: the profile does not
        say what the server is. A kind learned from ``/props`` is looked up again first (the
        memory may have forgotten it: ``reset()``, the size bound)."""
        if self.provider.profile_for(self.model_name).server_kind is None:
            self._learn()
        return self.compat_profile.server_kind is None

    def _defaults_of(self, record: BackendRecord) -> ServerDefaults:
        self._learn(record)
        if record.server_defaults is None:
            raise ServerFeatureError("get_server_defaults", self._server_name(),
                                     "its /props does not answer as llama-server does")
        return record.server_defaults

    def _needs_llama(self, what: str) -> None:
        if self.compat_profile.server_kind is ServerKind.OTHER:
            raise ServerFeatureError(what, self._server_name(), "only llama-server serves /props")

    def get_server_defaults(self, *, refresh: bool = False) -> ServerDefaults:
        """What llama-server applies to every field a request leaves out, and its window.

        Reads ``GET /props`` (llama-swap's ``/upstream/<model>/props`` as a fallback),
        remembered in the model's ``backend_memory`` for five minutes (``refresh=True``
        reads it again; ``backend_memory.reset()`` forgets it).
        The server's ``n_ctx`` also becomes the profile's context window, which
        memory trimming reads.

        Example:
            ```python
            defaults = llm.get_server_defaults()
            defaults.n_ctx, defaults["top_k"], defaults.total_slots
            ```

        Raises:
            ServerFeatureError: the server is not llama-server.
            APIConnectionError: it could not be reached (within the model's ``timeout``).
        """
        self._needs_llama("get_server_defaults")
        return self._defaults_of(self._read(refresh=refresh))

    async def aget_server_defaults(self, *, refresh: bool = False) -> ServerDefaults:
        """Async :meth:`get_server_defaults`."""
        self._needs_llama("get_server_defaults")
        return self._defaults_of(await self._aread(refresh=refresh))

    # -- the window ------------------------------------------------------------
    def _window_due(self) -> bool:
        """Whether the window is to be read from ``/props`` (the server is, or may be,
        llama-server, and its memory has no current answer nor a failed read of the last
        minute); the profile follows the memory first."""
        self._learn()
        return (self.compat_profile.server_kind is not ServerKind.OTHER
                and self.backend_memory.props_due(self._backend()))

    def _given_window(self) -> int | None:
        """The window of a LangChain ``profile=`` the caller gave the model (it wins)."""
        given = self.profile
        if not isinstance(given, Mapping) or given == self.compat_profile.to_model_profile():
            return None
        return _count(given.get("max_input_tokens"))

    def _unreadable(self, exc: CompatError) -> None:
        logger.info("context window: /props unreadable (%s); the profile's is used",
                    type(exc).__name__)

    def context_window(self) -> int:
        """The context window in tokens: llama-server's own ``n_ctx`` (from ``/props``, read
        once per backend and remembered) where the server is, or may be, llama-server;
        else the profile's (a LangChain ``profile=`` given to the model wins). Memory
        trimming reads it; a server that cannot be reached leaves the profile's value
        (and is not asked again for a minute)."""
        if (given := self._given_window()) is not None:
            return given
        if self._window_due():
            try:
                self._learn(self._read(refresh=False))
            except CompatError as exc:
                self._unreadable(exc)
        return self.compat_profile.context_window

    async def acontext_window(self) -> int:
        """Async :meth:`context_window`."""
        if self._given_window() is None and self._window_due():
            try:
                self._learn(await self._aread(refresh=False))
            except CompatError as exc:
                self._unreadable(exc)
        return self.context_window()
