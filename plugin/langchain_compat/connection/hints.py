"""What to do when a server cannot be reached or has no such path: the fix, named (pure).

A connection error alone ("Connection refused") leaves a newcomer guessing which
server, which setting and which URL shape. :func:`endpoint_hints` writes, once
per driver, the sentences appended to such errors: the URL that was tried and
where it came from (``base_url=``, the provider's environment variable, or its
default), the command that starts the server when the provider has one
(``langchain-compat local up``), and the URL shape expected. The transport
appends them (``Endpoint.connect_hint`` / ``not_found_hint``); nothing here does I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from langchain_compat.connection.hosts import is_loopback

from langchain_compat.providers.base import Provider

__all__ = ["EndpointHints", "endpoint_hints", "is_loopback", "shown_url"]

#: Where common local servers listen, for a base URL on loopback that nothing answers.
LOCAL_SHAPES = ("http://127.0.0.1:8000/v1 (vLLM)", "http://127.0.0.1:11434/v1 (Ollama)",
                "http://127.0.0.1:8080/v1 (llama-server)")


@dataclass(frozen=True, slots=True)
class EndpointHints:
    """The sentences appended to errors of one endpoint (each starts with a space).

    Attributes:
        connect: for a refused, reset or timed-out connection and an unknown host.
        not_found: for a 404 answer (a path below the base URL the server does not have).
        unknown_model: for a 404 answer whose message names the model.
    """

    connect: str = ""
    not_found: str = ""
    unknown_model: str = ""


def shown_url(url: str) -> str:
    """``url`` as an error shows it: scheme, host, port and path (no query: it may hold a key)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _source(provider: Provider, base_url: str) -> str:
    """Where the URL came from: the env var, the provider's default, else ``base_url=``."""
    env = provider.base_url_env
    if env and os.environ.get(env, "").strip().rstrip("/") == base_url:
        return f"${env}"
    if provider.base_url and provider.base_url.rstrip("/") == base_url:
        return f"{provider.display_name}'s default"
    return "base_url="


def _setting(provider: Provider) -> str:
    env = provider.base_url_env
    return f"{env} or base_url=" if env else "base_url="


def _shape(provider: Provider) -> str:
    if provider.base_url:
        return provider.base_url
    return "https://HOST/v1 (the API root: the client appends /chat/completions)"


def _start(provider: Provider, port: int | None) -> str:
    """How to start the provider's own server for this URL (command and Python), or ""."""
    command = provider.start_command
    if not command or not provider.base_url:
        return ""
    call = "ensure_server()"
    if port is not None and port != urlsplit(provider.base_url).port:
        command += f" --port {port}"
        call = f"ensure_server(port={port})"
    return f"start it with `{command}` (or call langchain_compat.local.{call})"


def endpoint_hints(provider: Provider, base_url: str, *,
                   servers: tuple[Provider, ...] = ()) -> EndpointHints:
    """The hints for errors reaching ``base_url``.

    Args:
        provider: the provider record the client was built for.
        base_url: the resolved base URL.
        servers: providers with a ``start_command`` (the embedded server): a generic client
            pointed at one's URL is told how to start it too.

    Returns:
        Sentences for a connection failure and for a 404, naming the fix.
    """
    url = shown_url(base_url)
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port
    where = f"{url} (from {_source(provider, base_url)})"
    start = _start(provider, port)
    if not start:  # a generic client on the embedded server's address
        for other in servers:
            theirs = urlsplit(other.base_url or "")
            if other.start_command and (theirs.hostname, theirs.port) == (host, port):
                start = _start(other, port)
                break
    if start:
        connect = (f" Nothing answered at {where}: is the server running? To serve the embedded "
                   f"model there, {start}; "
                   f"to use another server, set {_setting(provider)} to its API root, "
                   "shaped http://HOST:PORT/v1.")
    elif is_loopback(host):
        connect = (f" Nothing answered at {where}: is the server running and listening on port "
                   f"{port or (443 if parts.scheme == 'https' else 80)}? Set {_setting(provider)} "
                   f"to its API root, e.g. {', '.join(LOCAL_SHAPES)}; the embedded model: "
                   "`langchain-compat local up` serves http://127.0.0.1:8089/v1.")
    else:
        connect = (f" Could not reach {where}: check the host name, your network and proxy "
                   f"settings; {_setting(provider)} should be {_shape(provider)}.")
    not_found = (f" The server has no such path below {where}: base_url must be the API root the "
                 f"client appends {provider.chat_path} and {provider.embeddings_path} to, such as "
                 f"{_shape(provider) if provider.base_url else 'http://HOST:PORT/v1'}.")
    unknown_model = (f" The server at {url} does not serve that model: list the ones it serves "
                     f"with GET {url}/models, and pass one as model=.")
    return EndpointHints(connect=connect, not_found=not_found, unknown_model=unknown_model)
