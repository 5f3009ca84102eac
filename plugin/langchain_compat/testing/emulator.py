"""The :class:`Emulator`: a provider's API on loopback, for tests and demos."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from typing_extensions import Self

from langchain_compat.errors import ConfigurationError
from langchain_compat.providers import Provider, get_provider
from langchain_compat.testing.app import build_app
from langchain_compat.testing.faults import Fault, Schedule
from langchain_compat.testing.recording import RecordedRequest
from langchain_compat.testing.refusals import OPTIONAL_REFUSALS
from langchain_compat.testing.responders import ChatRequest, Reply, ScriptItem
from langchain_compat.testing.server import ServerThread
from langchain_compat.testing.state import EmulatorState, base_paths_for

__all__ = ["Emulator", "emulate"]

_FROM_PROFILE: Any = object()


class Emulator:
    """An emulated provider API served by a real HTTP server on loopback.

    Use as a context manager (``with`` or ``async with``), or call
    :meth:`start` / :meth:`stop`. Behaviour comes from the provider's facts
    and profile: auth scheme, paths, refused parameters, ranges, embeddings
    limits and rate limit.

    Args:
        provider: a provider name (``"cotomi"``, ``"telkom"``, ...) or a
            :class:`~langchain_compat.providers.Provider`.
        api_key: the accepted key. Default: a random ``emu-...`` key for
            providers that require one, no auth for the others (local
            servers); ``""`` turns auth off.
        host, port: where to listen (port 0 = a free port).
        rate_limit: requests allowed per ``rate_window`` seconds; default
            ``profile.rate_limit_rpm`` per 60 s; None disables it.
        rate_window: the sliding window in seconds (shorten it in tests).
        proxy: base URL of an upstream OpenAI-compatible server (e.g.
            ``http://127.0.0.1:8089/v1``) that answers unscripted chat
            requests, after the provider's rules are enforced.
        proxy_model: model name sent upstream instead of the client's, or a
            mapping ``{client model: upstream model}``.
        proxy_api_key: Bearer key for the upstream (masked in the log).
        proxy_embeddings: also forward ``/embeddings`` — True: to ``proxy``;
            a URL: to that upstream (default False: synthetic vectors).
        base_path: serve under this path instead of the provider's.
        strict_models: 404 for a model the provider does not list.
        refuse: optional fields to refuse as a real server does (see
            :data:`~langchain_compat.testing.refusals.OPTIONAL_REFUSALS`):
            ``"stream_options"``, ``"json_object"``, ``"tool_choice"``, ``"named_tool_choice"``.
        responder: answers unscripted chat requests instead of the echo
            (a callable script item, e.g. :class:`~langchain_compat.testing.ToolCaller`).

    Raises:
        ConfigurationError: unknown provider name or refused field.

    Main properties and methods: ``base_url`` (with the provider's base
    path), ``api_key``, ``headers`` (auth headers as the provider wants them),
    ``env`` (the provider's env vars pointing here), ``client_kwargs``,
    ``requests`` (the masked log), ``script(...)``, ``inject(...)``,
    ``schedule(...)``, ``set_rate_limit(...)``, ``reset()``.
    """

    def __init__(
        self,
        provider: str | Provider = "openai-compatible",
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: float | None = _FROM_PROFILE,
        rate_window: float = 60.0,
        proxy: str | None = None,
        proxy_model: str | Mapping[str, str] | None = None,
        proxy_api_key: str | None = None,
        proxy_embeddings: bool | str = False,
        base_path: str | None = None,
        strict_models: bool = True,
        refuse: Iterable[str] = (),
        responder: Callable[[ChatRequest], Any] | None = None,
    ) -> None:
        self.provider = get_provider(provider) if isinstance(provider, str) else provider
        if api_key is None and self.provider.requires_api_key and self.provider.auth.header:
            api_key = "emu-" + secrets.token_hex(12)
        if rate_limit is _FROM_PROFILE:
            rate_limit = self.provider.profile.rate_limit_rpm
        self._state = EmulatorState(
            provider=self.provider,
            api_key=api_key or None,  # None / "": no auth checked
            base_paths=base_paths_for(self.provider, base_path),
            rate_limit=rate_limit,
            rate_window=rate_window,
            strict_models=strict_models,
            proxy=proxy,
            proxy_model=proxy_model,
            proxy_api_key=proxy_api_key,
            proxy_embeddings=proxy_embeddings,
            responder=responder,
        )
        self.refuse(*refuse)
        self.host = host
        self._server = ServerThread(
            build_app(self._state),
            host,
            port,
            before_stop=lambda: self._state.shutdown.set(),
            after_stop=self._state.aclose,
        )

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start serving (returns when the server accepts connections)."""
        if not self._server.running:
            self._state.shutdown = asyncio.Event()  # fresh for each run (restart keeps the port)
            self._server.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: hung requests are released, the thread joined."""
        self._server.stop(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # ---------------------------------------------------------------- facts

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no base path)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The full base URL, with the provider's base path (e.g. ``.../Telkom-LLM/0.0.4``)."""
        return self.url + self._state.base_paths[0]

    @property
    def chat_url(self) -> str:
        return self.base_url + self.provider.chat_path

    @property
    def embeddings_url(self) -> str:
        return self.base_url + self.provider.embeddings_path

    @property
    def api_key(self) -> str | None:
        """The key the emulator accepts (None: no auth)."""
        return self._state.api_key

    @property
    def headers(self) -> dict[str, str]:
        """Auth headers the way the provider wants them."""
        return self.provider.auth.headers(self.api_key)

    @property
    def client_kwargs(self) -> dict[str, str]:
        """``base_url`` and ``api_key`` (when there is one) for a client constructor."""
        out = {"base_url": self.base_url}
        if self.api_key:
            out["api_key"] = self.api_key
        return out

    @property
    def env(self) -> dict[str, str]:
        """Environment variables pointing the provider's client here (base URL, key)."""
        out = {}
        if self.provider.base_url_env:
            out[self.provider.base_url_env] = self.base_url
        if self.provider.api_key_env and self.api_key:
            out[self.provider.api_key_env] = self.api_key
        return out

    # ------------------------------------------------------------- the log

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far (a copy), credentials masked."""
        return self._state.log.snapshot()

    @property
    def last_request(self) -> RecordedRequest | None:
        items = self._state.log.snapshot()
        return items[-1] if items else None

    # -------------------------------------------------------------- control

    def script(self, replies: Iterable[ScriptItem] | ScriptItem) -> Emulator:
        """Queue replies for the next chat requests (see :mod:`.responders`)."""
        if isinstance(replies, (str, Mapping, Reply)) or callable(replies):
            replies = [replies]
        self._state.replies.extend(replies)
        return self

    @property
    def pending_replies(self) -> int:
        return len(self._state.replies)

    def inject(self, *faults: Fault, times: int = 1) -> Emulator:
        """Queue faults, in order, each for the next ``times`` matching requests."""
        for fault in faults:
            self._state.faults.push(fault, times)
        return self

    def schedule(self, schedule: Schedule | None) -> Emulator:
        """Faults by request number: ``{3: fault}`` or ``lambda n: fault or None``."""
        self._state.faults.set_schedule(schedule)
        return self

    def set_rate_limit(self, limit: float | None, window: float = 60.0) -> Emulator:
        """Change the rate limit (None disables it); the window restarts."""
        from langchain_compat.testing.quirks import SlidingWindow

        self._state.window = SlidingWindow(limit, window)
        return self

    def refuse(self, *fields: str) -> Emulator:
        """Refuse requests carrying these optional fields from now on (none: accept all).

        Raises:
            ConfigurationError: a field the emulator cannot refuse.
        """
        unknown = sorted(set(fields) - set(OPTIONAL_REFUSALS))
        if unknown:
            raise ConfigurationError(f"the emulator cannot refuse {unknown}; use some of "
                                     f"{sorted(OPTIONAL_REFUSALS)}")
        self._state.refuse = frozenset(fields)
        return self

    def reset(self) -> Emulator:
        """Forget requests, scripted replies, faults, schedule and rate-limit history."""
        self._state.log.clear()
        self._state.replies.clear()
        self._state.faults.clear()
        self._state.window.clear()
        return self

    def __repr__(self) -> str:
        state = "running" if self._server.running else "stopped"
        where = self.base_url if self._server.running else ""
        return f"<Emulator {self.provider.name} {where} {state}>"


def emulate(provider: str | Provider = "openai-compatible", **options: Any) -> Emulator:
    """An :class:`Emulator` for ``provider`` (start it with ``with`` / ``async with``).

    Example::

        with emulate("cotomi") as emu:
            httpx.post(emu.chat_url, headers=emu.headers, json={...})
    """
    return Emulator(provider, **options)
