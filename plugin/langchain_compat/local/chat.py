"""A ready chat model for the embedded backend: :func:`chat_model`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_compat.local.server import DEFAULT_PORT, ensure_server

if TYPE_CHECKING:
    from langchain_compat.chat_models import ChatLocal

__all__ = ["chat_model"]


def chat_model(*, ensure: bool = True, port: int = DEFAULT_PORT, timeout: float = 180.0,
               **kwargs: Any) -> ChatLocal:
    """Return a :class:`~langchain_compat.ChatLocal` talking to the local llama-server.

    Args:
        ensure: start the server on ``port`` if it is not running (it is
            reused otherwise, and left running afterwards). Ignored when
            ``base_url`` is given.
        port: the server's port (default 8089, the provider's default URL).
        timeout: seconds to wait for the server to become healthy.
        **kwargs: passed to ``ChatLocal`` (``temperature``, ``max_tokens``, ...).

    Returns:
        The chat model, pointed at the server's base URL and model.

    Raises:
        LocalNotInstalledError: llama-server or the model is not installed
            (run ``langchain-compat local install``).
        ServerStartError, PortInUseError: the server could not be started.
    """
    from langchain_compat.chat_models import ChatLocal

    if ensure and "base_url" not in kwargs:
        server = ensure_server(port=port, timeout=timeout)
        kwargs["base_url"] = server.base_url
        kwargs.setdefault("model", server.model)
    return ChatLocal(**kwargs)
