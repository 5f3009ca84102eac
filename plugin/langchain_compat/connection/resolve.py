"""Resolving connection settings: key, base URL, warnings, constructor errors (pure).

Userinfo in a base URL (``https://user:KEY@host/v1``) is refused with an
:class:`~langchain_compat.errors.InvalidCredentialError`: the URL is shown in
reprs, serialized objects, tracing metadata and error messages, so a password
in it would leak everywhere. Pass the secret as ``api_key`` (with
``auth_header``/``auth_prefix`` for the scheme the server wants; for HTTP
Basic auth ``auth_prefix="Basic "`` and the base64 of ``user:password``).
"""

from __future__ import annotations

import os
import sys
import warnings
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, ValidationError

from langchain_compat.connection.credentials import clean_api_key
from langchain_compat.connection.hosts import is_loopback
from langchain_compat.errors import (
    InvalidCredentialError,
    InvalidParameterError,
    MissingAPIKeyError,
    MissingBaseURLError,
)
from langchain_compat.providers.base import Provider
from langchain_compat.stores.urls import has_userinfo, mask_url, without_userinfo

__all__ = [
    "InsecureBaseURLWarning",
    "check_base_url",
    "resolve_api_key",
    "resolve_base_url",
    "typed_validation_error",
    "user_stacklevel",
]

#: Endpoint paths a base URL must not end in (the client appends them to the API root).
ENDPOINT_PATHS = ("/chat/completions", "/completions", "/embeddings")

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_stacklevel() -> int:
    """The ``warnings.warn`` stacklevel of the first caller outside langchain-compat.

    Call it from the function that warns: the warning then points at the
    user's line whatever the depth of our constructor chain.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def typed_validation_error(exc: ValidationError) -> InvalidParameterError:
    """A constructor's pydantic ``ValidationError`` as our typed error.

    Only field names and pydantic's explanation are kept, never the input
    values (a misplaced API key must not be echoed).
    """
    first = exc.errors()[0] if exc.errors() else {}
    ours = (first.get("ctx") or {}).get("error")
    if isinstance(ours, InvalidParameterError):  # a field validator's own typed error
        return ours
    field = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'value'}: {e.get('msg')}"
        for e in exc.errors()
    )
    return InvalidParameterError(field,
                                 f"{problems}. Check the argument's type and allowed values.")


class InsecureBaseURLWarning(UserWarning):
    """A non-loopback ``http://`` base URL: the API key would travel in clear text."""


def resolve_api_key(provider: Provider, api_key: SecretStr | None, *,
                    required: bool) -> SecretStr | None:
    """The key given, else the provider's env var, cleaned (see :func:`clean_api_key`).

    Raises:
        MissingAPIKeyError: required and neither is set.
        InvalidCredentialError: the key has characters a header cannot carry.
    """
    given = api_key.get_secret_value() if api_key is not None else ""
    if given.strip():
        return SecretStr(clean_api_key(given))
    env = provider.api_key_env
    value = os.environ.get(env) if env else None
    if value and value.strip():
        return SecretStr(clean_api_key(value, setting=f"api_key (from ${env})"))
    if required:
        raise MissingAPIKeyError(provider.display_name, env)
    return None


def resolve_base_url(provider: Provider, base_url: str | None) -> str:
    """The base URL given, else the env var, else the provider default.

    Raises:
        MissingBaseURLError: none of them is set.
        InvalidParameterError: not an http(s) URL.
        InvalidCredentialError: the URL carries ``user:password@``.
    """
    from_env = os.environ.get(provider.base_url_env) if provider.base_url_env else None
    url = base_url or from_env or provider.base_url
    if not url:
        raise MissingBaseURLError(provider.display_name, provider.base_url_env)
    url = check_base_url(url)
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        shown = f"http://{parts.netloc}{parts.path}"  # netloc keeps an IPv6 address's brackets
        warnings.warn(
            f"base_url {shown!r} uses plain http to a non-loopback host: the API key and "
            "conversation travel unencrypted. Use https:// unless this is a trusted network.",
            InsecureBaseURLWarning,
            stacklevel=user_stacklevel(),
        )
    return url


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash, refused unless a plain http(s) URL.

    Args:
        url: the base URL (argument, env var, assignment or ``model_copy``).

    Returns:
        The URL without its trailing slash.

    Raises:
        InvalidCredentialError: the URL carries userinfo (``user:password@``);
            the message never shows it.
        InvalidParameterError: not an http(s) URL with a host, or one ending in an endpoint
            path (``/chat/completions``, ``/completions``, ``/embeddings``): the message gives
            the API root to use instead.
    """
    if isinstance(url, str) and has_userinfo(url):  # before urlsplit: "u:p#w@h" splits at "#"
        shown = mask_url(without_userinfo(url, "...@"))
        raise InvalidCredentialError(
            "base_url", f"it carries a user name or password ({shown}), "
            "which would show in reprs, traces and errors; pass the secret as api_key=... instead "
            "(for HTTP Basic auth: auth_prefix='Basic ' and the base64 of 'user:password')")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except (ValueError, TypeError):
        raise InvalidParameterError("base_url",
                                    "expected an http(s) URL such as https://host/v1") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = (repr(url) if "@" not in url
                 else "a URL with '@' (not shown: it may hold a password)")
        raise InvalidParameterError("base_url",
                                    f"expected an http(s) URL such as https://host/v1, got {shown}")
    path = parts.path.rstrip("/")
    endpoint = next((e for e in ENDPOINT_PATHS if path.endswith(e)), None)
    if endpoint is not None:
        root = urlunsplit((parts.scheme, parts.netloc, path[:-len(endpoint)], "", ""))
        raise InvalidParameterError(
            "base_url", f"it ends in the endpoint path {endpoint}, which the client appends "
            f"itself; use the API root: base_url={root!r}")
    return url.rstrip("/")
