"""The connection fields chat models and embeddings share, and the driver built from them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import httpx
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError
from typing_extensions import Self

from langchain_compat.connection.aliases import collect_kwargs
from langchain_compat.connection.credentials import (
    check_headers,
    clean_api_key,
    is_secret_name,
    secret_header_values,
)
from langchain_compat.connection.hints import endpoint_hints
from langchain_compat.connection.resolve import (
    check_base_url,
    resolve_api_key,
    resolve_base_url,
    typed_validation_error,
)
from langchain_compat.connection.timeouts import check_proxy, check_timeouts, httpx_timeout
from langchain_compat.errors import InvalidParameterError
from langchain_compat.providers import PROVIDERS
from langchain_compat.providers.base import AuthScheme, Provider
from langchain_compat.transport.driver import Endpoint, HTTPDriver
from langchain_compat.transport.rate_limit import is_shared_limiter, scoped_limiter, shared_limiter
from langchain_compat.transport.retry import RetryPolicy
from langchain_compat.transport.validation import DEFAULT_MAX_RESPONSE_BYTES

__all__ = ["CompatConnection", "build_driver"]

#: Fields checked again whenever they are assigned or replaced by ``model_copy``.
_CHECKED = frozenset({"api_key", "base_url", "default_headers"})


class CompatConnection(BaseModel):
    """Where and how requests go: the fields shared by chat models and embeddings.

    Subclasses set ``provider`` and implement ``_resolve`` (which must call
    :meth:`_resolve_connection`). The :attr:`driver` is rebuilt whenever a
    setting it is made from changes, however it changed: assignment
    (``llm.api_key = ...``) or ``model_copy(update=...)`` (which copies the
    cached driver along with the other private attributes).
    """

    provider: ClassVar[Provider]
    #: What the constructor does with an argument it does not know (see
    #: :func:`~langchain_compat.connection.aliases.collect_kwargs`).
    unknown_kwargs: ClassVar[Literal["model_kwargs", "error"]] = "model_kwargs"

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    base_url: str | None = None
    """Base URL (env var per provider, e.g. ``COTOMI_BASE_URL``); no ``user:password@``."""
    api_key: SecretStr | None = None
    """API key (env var per provider, e.g. ``COTOMI_API_KEY``); never shown, surrounding
    whitespace stripped."""
    timeout: float | tuple[float, float] | httpx.Timeout | None = None
    """Seconds one HTTP request may take, its retries and the waits between them included
    (every socket read is cut to it, streams too). Not a deadline for a whole call: a call
    that re-asks or falls back sends several requests, each with its own ``timeout``.
    None: no deadline, each socket read waits up to 60 s. Per call: ``invoke(..., timeout=)``.
    Also a ``(connect, read)`` tuple, or an ``httpx.Timeout`` used as is (no total; not
    serializable by ``dumpd``, a tuple is). ChatOpenAI's ``request_timeout`` is an alias."""
    connect_timeout: float = 10.0
    """Seconds to open a connection (at most ``timeout``)."""
    proxy: str | None = None
    """HTTP(S) proxy URL for requests (through httpx); ignored by your own ``http_client``."""
    default_query: dict[str, str] | None = None
    """Query parameters appended to every request's URL (e.g. ``{"api-version": "2024-06-01"}``)."""
    max_retries: int = 2
    """Retries of a failed request (408, 409, 429, 5xx, connection errors, timeouts), with
    backoff and ``Retry-After``; 0 disables them."""
    default_headers: dict[str, str] | None = None
    """Extra headers sent with every request (plain ASCII values)."""
    auth_header: str | None = None
    """Override the auth header name (e.g. ``"api-key"``); ``""`` sends no auth."""
    auth_prefix: str | None = None
    """Override the auth value prefix (default ``"Bearer "`` for Authorization)."""
    verify: bool | str = True
    """TLS verification (True, False or a CA bundle path)."""
    max_connections: int = 128
    """Connection pool size of the shared clients."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """Largest response body, and largest single stream event, read (64 MiB; beyond it a
    ``ResponseTooLargeError``). A stream as a whole is not capped: it is never held in memory."""
    http_client: httpx.Client | None = Field(default=None, exclude=True, repr=False)
    """Your own ``httpx.Client`` (custom transport, proxies); default: a shared pooled one."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    """Your own ``httpx.AsyncClient``; default: a shared pooled one."""

    _driver: HTTPDriver | None = PrivateAttr(default=None)
    _driver_sig: tuple[object, ...] | None = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        known = set(type(self).model_fields)
        known |= {f.alias for f in type(self).model_fields.values() if f.alias}
        kwargs = collect_kwargs(kwargs, known, unknown=self.unknown_kwargs)
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            raise typed_validation_error(exc) from None
        # After pydantic, so our typed errors reach the caller unwrapped
        # (a validator's ValueError would become a ValidationError).
        self._resolve()

    def _resolve(self) -> None:  # pragma: no cover - every subclass overrides it
        self._resolve_connection()

    def _resolve_connection(self) -> None:
        """Check the connection fields and fill the key and base URL from the env.

        Raises:
            InvalidParameterError: a negative retry count, a non-positive
                timeout or pool size.
            InvalidCredentialError: a key, header or base URL that cannot
                travel (see :mod:`~langchain_compat.connection.credentials`).
            MissingAPIKeyError, MissingBaseURLError: required and unset.
        """
        for name, low in (("max_retries", 0), ("max_connections", 1), ("max_response_bytes", 1)):
            value = getattr(self, name)
            if value < low:
                raise InvalidParameterError(name, f"must be >= {low}, got {value}")
        check_timeouts(self.timeout, self.connect_timeout)
        check_proxy(self.proxy)
        prov = self.provider
        self.base_url = resolve_base_url(prov, self.base_url)
        self.api_key = resolve_api_key(prov, self.api_key,
                                       required=prov.requires_api_key and self.auth_header != "")
        check_headers(self.default_headers)
        if self.auth_header:
            check_headers({self.auth_header: self.auth_prefix or ""},
                          setting="auth_header/auth_prefix")

    def _resolve_rate_limiter(self, rpm: float | None) -> None:
        """Where the caller passed no ``rate_limiter``, the profile's limit (``rpm``) as the
        process-wide limiter of this provider and key; a shared limiter made without a
        scope (e.g. Redis) is scoped to them."""
        key = self._raw_key()
        limiter = getattr(self, "rate_limiter", None)
        if limiter is None and rpm:
            limiter = shared_limiter(self.provider.name, key, rpm)
        self.rate_limiter = scoped_limiter(limiter, self.provider.name, key)

    # -- keeping the fields clean after construction ---------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CHECKED:
            value = _checked(name, value)
        super().__setattr__(name, value)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; connection fields in it are checked like assignments.

        Raises:
            InvalidCredentialError: an updated key, header or base URL that cannot travel.
        """
        copy = super().model_copy(update=update, deep=deep)
        for name in _CHECKED.intersection(update or ()):
            setattr(copy, name, getattr(copy, name))
        if update:
            copy._after_copy(set(update))
        return copy

    def _after_copy(self, changed: set[str]) -> None:
        """Refresh what is derived from ``changed`` fields (private caches travel with a copy)."""

    # -- pickling (multiprocessing, caches) -----------------------------------------------
    def __getstate__(self) -> dict[Any, Any]:
        """What ``pickle`` keeps: the fields, not the derived caches (rebuilt on load).

        The process-wide default rate limiter is left out (the loading process uses
        its own bucket for the provider and key), and so is a key read from the
        provider's environment variable (read again there). A key passed in code is
        kept: pickle is for handing a model to a trusted process; store models with
        ``langchain_core.load.dumpd``, which writes secret references only.
        """
        state = super().__getstate__()
        fields = dict(state["__dict__"])
        if is_shared_limiter(fields.get("rate_limiter")):
            fields["rate_limiter"] = None
        env = self.provider.api_key_env
        key = self._raw_key()
        if env and key and os.environ.get(env, "").strip() == key:
            fields["api_key"] = None
        private = dict.fromkeys(state.get("__pydantic_private__") or {})
        return {**state, "__dict__": fields, "__pydantic_private__": private}

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._resolve()  # caches, the env key, the default limiter

    # -- never showing credentials -----------------------------------------------------
    def _secret_header(self, name: str) -> bool:
        return is_secret_name(name) or name.lower() == (self.auth.header or "").lower()

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name == "default_headers" and value:
                value = {k: "***" if self._secret_header(k) else v for k, v in value.items()}
            yield name, value

    @property
    def lc_secrets(self) -> dict[str, str]:
        """What ``dumpd`` replaces by secret references: the key and credential-looking headers."""
        env = self.provider.api_key_env
        out = {"api_key": env} if env else {}
        prefix = self.provider.name.upper().replace("-", "_")
        for name in self.default_headers or {}:
            if self._secret_header(name):
                out[f"default_headers.{name}"] = f"{prefix}_HEADER_{name.upper().replace('-', '_')}"
        return out

    # -- the driver --------------------------------------------------------------------
    def _raw_key(self) -> str | None:
        """The key in clear, for the auth header and digests only (never shown)."""
        return self.api_key.get_secret_value() if self.api_key else None

    @property
    def auth(self) -> AuthScheme:
        """How the key travels: the provider's scheme with ``auth_header``/``auth_prefix``
        applied."""
        return self.provider.auth.override(self.auth_header, self.auth_prefix)

    def _driver_rate_limiter(self) -> BaseRateLimiter | None:
        """The limiter the driver acquires before each HTTP request (the ``rate_limiter`` field)."""
        return getattr(self, "rate_limiter", None)

    def _driver_signature(self) -> tuple[object, ...]:
        """Everything the driver is built from (a change rebuilds it); the key only as a digest."""
        key = self._raw_key() or ""
        return (hashlib.sha256(key.encode()).digest(), self.base_url, self.auth_header,
                self.auth_prefix, tuple(sorted((self.default_headers or {}).items())), self.timeout,
                self.connect_timeout, self.proxy, tuple(sorted((self.default_query or {}).items())),
                self.max_retries, self.verify, self.max_connections, self.max_response_bytes,
                id(self.http_client), id(self.http_async_client), id(self._driver_rate_limiter()))

    @property
    def driver(self) -> HTTPDriver:
        """The HTTP driver (created on first use; clients are shared process-wide).

        Rebuilt when a setting it depends on changed since it was built.
        """
        sig = self._driver_signature()
        if self._driver is None or sig != self._driver_sig:
            self._driver = build_driver(self, rate_limiter=self._driver_rate_limiter())
            self._driver_sig = sig
        return self._driver


def _checked(name: str, value: Any) -> Any:
    """An assigned connection field, cleaned or refused like at construction."""
    if value is None:
        return None
    if name == "api_key":
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            raise InvalidParameterError("api_key", "expected a string or SecretStr")
        return SecretStr(clean_api_key(raw)) if raw.strip() else None
    if name == "base_url":
        if not isinstance(value, str):
            raise InvalidParameterError("base_url", "expected a string such as https://host/v1")
        return check_base_url(value)
    check_headers(value)
    return value


def build_driver(conn: CompatConnection, *,
                 rate_limiter: BaseRateLimiter | None = None) -> HTTPDriver:
    """The HTTP driver for a chat model's or embeddings instance's connection fields.

    Args:
        conn: the instance whose connection fields say where and how to send.
        rate_limiter: acquired before each HTTP request, retries and re-asks
            included (a chat call's first request is admitted by LangChain's hook).

    Returns:
        A new driver; its clients are the shared ones unless ``conn`` has its own.
    """
    key = conn._raw_key()
    auth = conn.auth
    timeout, total = httpx_timeout(conn.timeout, conn.connect_timeout)
    hints = endpoint_hints(conn.provider, conn.base_url or "", servers=tuple(PROVIDERS.values()))
    secrets = ((key,) if key else ()) + secret_header_values(conn.default_headers, auth.header)
    return HTTPDriver(Endpoint(
        base_url=conn.base_url or "",
        headers={**(conn.default_headers or {}), **auth.headers(key)},
        provider=conn.provider.display_name,
        secrets=secrets,
        timeout=timeout,
        total_timeout=total,
        retry=RetryPolicy(max_retries=conn.max_retries),
        verify=conn.verify,
        limits=httpx.Limits(max_connections=conn.max_connections,
                            max_keepalive_connections=conn.max_connections),
        rate_limiter=rate_limiter,
        client=conn.http_client,
        async_client=conn.http_async_client,
        proxy=conn.proxy,
        max_response_bytes=conn.max_response_bytes,
        query=tuple((str(k), str(v)) for k, v in (conn.default_query or {}).items()),
        connect_hint=hints.connect,
        not_found_hint=hints.not_found,
        unknown_model_hint=hints.unknown_model,
    ))
