"""Resolving connection settings: key, base URL, headers, warnings (pure)."""

from __future__ import annotations

import ipaddress
import os
import warnings
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from langchain_compat.errors import InvalidParameterError, MissingAPIKeyError, MissingBaseURLError
from langchain_compat.providers.base import Provider

__all__ = [
    "InsecureBaseURLWarning",
    "build_driver",
    "resolve_api_key",
    "resolve_base_url",
    "typed_validation_error",
]


def build_driver(owner: Any, *, rate_limiter: Any = None) -> Any:
    """The HTTP driver for a chat model or embeddings instance.

    ``owner`` carries the shared connection fields (``base_url``, ``api_key``,
    ``auth``, ``default_headers``, ``timeout``, ``connect_timeout``,
    ``max_retries``, ``verify``, ``max_connections``, ``http_client``,
    ``http_async_client``, ``provider``). Chat models leave ``rate_limiter``
    to LangChain's own hook; embeddings pass theirs.
    """
    import httpx

    from langchain_compat.transport.driver import Endpoint, HTTPDriver
    from langchain_compat.transport.retry import RetryPolicy

    key = owner.api_key.get_secret_value() if owner.api_key else None
    read = owner.timeout if owner.timeout is not None else 60.0
    return HTTPDriver(Endpoint(
        base_url=owner.base_url or "",
        headers={**(owner.default_headers or {}), **owner.auth.headers(key)},
        provider=owner.provider.display_name,
        secrets=(key,) if key else (),
        timeout=httpx.Timeout(read, connect=min(owner.connect_timeout, read)),
        total_timeout=owner.timeout,
        retry=RetryPolicy(max_retries=owner.max_retries),
        verify=owner.verify,
        limits=httpx.Limits(max_connections=owner.max_connections,
                            max_keepalive_connections=owner.max_connections),
        rate_limiter=rate_limiter,
        client=owner.http_client,
        async_client=owner.http_async_client,
    ))


def typed_validation_error(exc: ValidationError) -> InvalidParameterError:
    """A constructor's pydantic ``ValidationError`` as our typed error.

    Only field names and pydantic's explanation are kept, never the input
    values (a misplaced API key must not be echoed).
    """
    first = exc.errors()[0] if exc.errors() else {}
    field = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'value'}: {e.get('msg')}" for e in exc.errors()
    )
    return InvalidParameterError(field, f"{problems}. Check the argument's type and allowed values.")


class InsecureBaseURLWarning(UserWarning):
    """A non-loopback ``http://`` base URL: the API key would travel in clear text."""


def resolve_api_key(provider: Provider, api_key: SecretStr | None, *, required: bool) -> SecretStr | None:
    """The key given, else the provider's env var; raises when required and absent."""
    if api_key is not None and api_key.get_secret_value():
        return api_key
    env = provider.api_key_env
    value = os.environ.get(env) if env else None
    if value:
        return SecretStr(value)
    if required:
        raise MissingAPIKeyError(provider.display_name, env)
    return None


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_base_url(provider: Provider, base_url: str | None) -> str:
    """The base URL given, else the env var, else the provider default.

    Raises:
        MissingBaseURLError: none of them is set.
        InvalidParameterError: not an http(s) URL.
    """
    url = base_url or (os.environ.get(provider.base_url_env) if provider.base_url_env else None) or provider.base_url
    if not url:
        raise MissingBaseURLError(provider.display_name, provider.base_url_env)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError("base_url", f"expected an http(s) URL such as https://host/v1, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        shown = f"http://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
        warnings.warn(
            f"base_url {shown!r} uses plain http to a non-loopback host: the API key and "
            "conversation travel unencrypted. Use https:// unless this is a trusted network.",
            InsecureBaseURLWarning,
            stacklevel=4,
        )
    return url.rstrip("/")
