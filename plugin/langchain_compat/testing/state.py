"""The emulator's shared state: settings (read by the app) and mutable queues/logs.

Tests mutate it from their thread (``script``, ``inject``, ``reset``) while the
server thread reads it; every mutable part carries its own lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from langchain_compat.profiles import EmbeddingsLimits
from langchain_compat.providers.base import Provider
from langchain_compat.testing.faults import FaultQueue
from langchain_compat.testing.llama import PromptCache
from langchain_compat.testing.quirks import SlidingWindow
from langchain_compat.testing.recording import RequestLog
from langchain_compat.testing.responders import ChatRequest, ReplyQueue

__all__ = ["EmulatorState", "base_paths_for"]

DEFAULT_DIMENSIONS = 1024


def base_paths_for(provider: Provider, base_path: str | None = None) -> tuple[str, ...]:
    """Paths the API is served under: the path of ``provider.base_url``.

    A provider without a public base URL gets ``/v1`` (what OpenAI-compatible
    servers use). A ``/v1`` base path is also served at the root: Avangenio's
    docs show both ``/chat/completions`` and ``/v1/chat/completions``, and
    OpenAI-compatible gateways commonly accept both.
    """
    if base_path is None:
        base_path = urlsplit(provider.base_url).path if provider.base_url else "/v1"
    path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    return (path, "") if path == "/v1" else (path,)


@dataclass
class EmulatorState:
    """Everything the app needs, for one emulator instance."""

    provider: Provider
    api_key: str | None
    base_paths: tuple[str, ...]
    rate_limit: float | None = None
    rate_window: float = 60.0
    strict_models: bool = True
    proxy: str | None = None
    proxy_model: str | Mapping[str, str] | None = None
    proxy_api_key: str | None = None
    proxy_embeddings: bool | str = False
    responder: Callable[[ChatRequest], Any] | None = None
    refuse: frozenset[str] = frozenset()
    log: RequestLog = field(default_factory=RequestLog)
    replies: ReplyQueue = field(default_factory=ReplyQueue)
    faults: FaultQueue = field(default_factory=FaultQueue)
    prompt_cache: PromptCache = field(default_factory=PromptCache)  # llama-server's (llama.py)
    window: SlidingWindow = field(init=False)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    _http: httpx.AsyncClient | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.proxy:
            self.proxy = self.proxy.rstrip("/")
        self.window = SlidingWindow(self.rate_limit, self.rate_window)

    def embeddings_limits_for(self, model: str | None) -> EmbeddingsLimits:
        return self.provider.profile_for(model).embeddings or EmbeddingsLimits()

    @property
    def embeddings_upstream(self) -> str | None:
        """Base URL ``/embeddings`` is forwarded to, or None (synthetic vectors)."""
        if isinstance(self.proxy_embeddings, str):
            return self.proxy_embeddings.rstrip("/")
        return self.proxy.rstrip("/") if self.proxy_embeddings and self.proxy else None

    def upstream_model(self, model: Any) -> Any:
        """The model name to send upstream (``proxy_model``: one name or a mapping)."""
        if isinstance(self.proxy_model, Mapping):
            return self.proxy_model.get(model, model)
        return self.proxy_model or model

    @property
    def http(self) -> httpx.AsyncClient:
        """The proxy's upstream client (created in the server loop on first use)."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(300.0, connect=10.0),
                # keepalive below llama-server's 5 s idle timeout: a proxied request must not
                # land on a connection the upstream already closed ("Server disconnected").
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=32,
                                    keepalive_expiry=2.0),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
