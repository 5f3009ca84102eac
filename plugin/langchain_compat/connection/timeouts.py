"""The ``timeout`` and ``proxy`` connection fields, in every form ChatOpenAI users pass (pure).

``timeout`` is seconds (read timeout and the total of one call, retries
included), a ``(connect, read)`` tuple (``requests``' convention) or an
``httpx.Timeout`` used as is (no total). ``proxy`` is an http(s) or socks URL
handed to httpx.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from langchain_compat.errors import (
    ConfigurationError,
    InvalidCredentialError,
    InvalidParameterError,
)
from langchain_compat.stores.urls import has_userinfo
from langchain_compat.transport.validation import seconds

__all__ = ["DEFAULT_READ_TIMEOUT", "check_proxy", "check_timeouts", "httpx_timeout"]

#: Read timeout when ``timeout`` is None.
DEFAULT_READ_TIMEOUT = 60.0


def check_timeouts(timeout: Any, connect_timeout: Any) -> None:
    """Refuse a ``timeout``/``connect_timeout`` that is not a valid form.

    Raises:
        InvalidParameterError: not a positive number of seconds, a
            ``(connect, read)`` pair of them, or an ``httpx.Timeout``.
    """
    seconds("connect_timeout", connect_timeout)
    if isinstance(timeout, httpx.Timeout) or timeout is None:
        return
    if isinstance(timeout, (tuple, list)):
        if len(timeout) != 2:
            raise InvalidParameterError(
                "timeout", f"a tuple timeout is (connect, read) seconds, got {len(timeout)} values")
        seconds("timeout", timeout[0])
        seconds("timeout", timeout[1])
        return
    seconds("timeout", timeout)


def httpx_timeout(timeout: Any, connect_timeout: float) -> tuple[httpx.Timeout, float | None]:
    """The per-operation ``httpx.Timeout`` and the total per call (None: no total).

    Args:
        timeout: the ``timeout`` field (checked by :func:`check_timeouts`).
        connect_timeout: the ``connect_timeout`` field (for a number or None).
    """
    if isinstance(timeout, httpx.Timeout):
        return timeout, None
    if isinstance(timeout, (tuple, list)):
        connect, read = float(timeout[0]), float(timeout[1])
        return httpx.Timeout(read, connect=connect), None
    read = float(timeout) if timeout is not None else DEFAULT_READ_TIMEOUT
    total = float(timeout) if timeout is not None else None
    return httpx.Timeout(read, connect=min(connect_timeout, read)), total


def check_proxy(proxy: Any) -> None:
    """Refuse a proxy httpx cannot use, or one with a password in it.

    Raises:
        InvalidCredentialError: ``user:password@`` in the URL (it would show in
            reprs and errors; put the proxy credentials in an ``http_client``).
        InvalidParameterError: not an http(s)/socks5 URL with a host.
        ConfigurationError: a socks proxy without ``socksio`` installed.
    """
    if proxy is None:
        return
    try:
        parts = urlsplit(proxy) if isinstance(proxy, str) else None
    except ValueError:  # "Invalid IPv6 URL"
        parts = None
    if parts is not None and ("@" in parts.netloc or has_userinfo(proxy)):
        raise InvalidCredentialError(
            "proxy", "it carries a user name or password, which would show in reprs and errors; "
            "pass http_client=httpx.Client(proxy=httpx.Proxy(url, auth=(user, password))) instead")
    if (parts is None or parts.scheme not in ("http", "https", "socks5", "socks5h")
            or not parts.hostname):
        raise InvalidParameterError("proxy", "expected a proxy URL such as http://127.0.0.1:3128")
    if parts.scheme.startswith("socks"):
        try:
            import socksio  # noqa: F401 - httpx needs it for socks proxies
        except ImportError as exc:
            raise ConfigurationError(
                "proxy: a socks5:// proxy needs the socksio package: pip install 'httpx[socks]'"
            ) from exc
