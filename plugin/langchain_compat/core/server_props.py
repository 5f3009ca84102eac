"""llama-server's ``GET /props`` as a typed record, and how to ask for it (sans-IO).

``/props`` holds the server's per-slot context window (``n_ctx``), its
sampling defaults (the values every request field left out gets), the slots,
the model file and alias, and the build. A bare llama-server serves it at its
root (``?model=`` picks the model in router mode and is ignored otherwise);
llama-swap at ``/upstream/<model>/props``. :func:`props_steps` tries both, in
that order, and reads the first answer that is llama-server's.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from langchain_compat.core.error_mapping import error_from_response

__all__ = ["PropsRequest", "ServerDefaults", "props_requests", "props_steps", "read_props",
           "server_root"]


def _round32(value: Any) -> Any:
    """A float32 the server reports as ``0.949999988079071`` back to ``0.95``."""
    return float(f"{value:.7g}") if isinstance(value, float) else value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class ServerDefaults:
    """What a llama-server says about itself in ``GET /props``.

    Attributes:
        n_ctx: the context window of one slot: what one request (prompt and reply)
            may use. The profile's ``context_window`` becomes this.
        total_slots: requests the server runs at once (``-np``).
        model_path: the model file the server loaded.
        model_alias: the name it answers to (``--alias``), when it has one.
        build_info: the server's build (``b11434-...``).
        sampling: the sampling defaults a request gets for each field it leaves out
            (``temperature``, ``top_k``, ``top_p``, ``min_p``, ``repeat_penalty``,
            ``samplers``, DRY and XTC values...), float32 noise rounded off.
        props: the whole answer, without the chat template's text.
    """

    n_ctx: int | None
    total_slots: int | None
    model_path: str | None
    model_alias: str | None
    build_info: str | None
    sampling: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    props: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def __getitem__(self, name: str) -> Any:
        """A sampling default by name (``defaults["top_k"]``); ``n_ctx`` too."""
        if name == "n_ctx":
            return self.n_ctx
        return self.sampling[name]

    def get(self, name: str, default: Any = None) -> Any:
        """A sampling default by name, or ``default``."""
        try:
            return self[name]
        except KeyError:
            return default

    def __reduce__(self) -> tuple[Any, ...]:
        # A mappingproxy does not pickle: the mappings travel as dicts (a memory that
        # learned these defaults is pickled with the model that owns it).
        values = [getattr(self, f.name) for f in fields(self)]
        return (_unpickled, tuple(dict(v) if isinstance(v, Mapping) else v for v in values))


def _unpickled(*values: Any) -> ServerDefaults:
    return ServerDefaults(*(MappingProxyType(v) if isinstance(v, dict) else v for v in values))


def read_props(body: Any) -> ServerDefaults | None:
    """``/props`` -> :class:`ServerDefaults`; None when the answer is not llama-server's."""
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    if not isinstance(settings, dict) or not isinstance(settings.get("params"), dict):
        return None
    params = {k: _round32(v) for k, v in settings["params"].items()}
    n_ctx = _int(settings.get("n_ctx"))
    props = {k: v for k, v in body.items() if k != "chat_template"}
    return ServerDefaults(
        n_ctx=n_ctx if n_ctx and n_ctx > 0 else None,
        total_slots=_int(body.get("total_slots")),
        model_path=_str(body.get("model_path")),
        model_alias=_str(body.get("model_alias")),
        build_info=_str(body.get("build_info")),
        sampling=MappingProxyType(params),
        props=MappingProxyType(props),
    )


def server_root(base_url: str) -> str:
    """The server's root: ``base_url`` without a trailing ``/v1``."""
    return base_url.rstrip("/").removesuffix("/v1")


@dataclass(frozen=True, slots=True)
class PropsRequest:
    """One ``GET`` to send: ``url`` with ``params``."""

    url: str
    params: Mapping[str, str]


def props_requests(base_url: str, model: str | None) -> list[PropsRequest]:
    """Where ``/props`` may be: the server's root, then llama-swap's upstream path."""
    root = server_root(base_url)
    out = [PropsRequest(root + "/props", MappingProxyType({"model": model} if model else {}))]
    if model:
        swap = f"{root}/upstream/{quote(model, safe='')}/props"
        out.append(PropsRequest(swap, MappingProxyType({})))
    return out


#: Answers that mean "no /props here": not llama-server (or not this path).
_NOT_HERE = frozenset({400, 404, 405, 422, 501})

Answer = tuple[int, Mapping[str, str], bytes, Any]
"""``(status, headers, raw body, decoded JSON or None)`` of one request."""


def props_steps(base_url: str, model: str | None, *, provider: str | None = None,
                secrets: tuple[str | None, ...] = ()
                ) -> Generator[PropsRequest, Answer, ServerDefaults | None]:
    """Ask for ``/props``: yield each request, receive its answer, return what was found.

    Returns:
        The server's defaults, or None when no answer is llama-server's (another server).

    Raises:
        APIError: an answer that says nothing about the server's kind (401, 403, 429,
            5xx): the typed error, so a wrong key or a failing server is not taken
            for "not llama-server".
    """
    for request in props_requests(base_url, model):
        status, headers, content, body = yield request
        if 200 <= status < 300:
            found = read_props(body)
            if found is not None:
                return found
        elif status not in _NOT_HERE:
            raise error_from_response(status, content, headers, provider=provider, secrets=secrets)
    return None
