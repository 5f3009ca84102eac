"""Validation of transport settings (pure): bad values become typed errors up front.

The chat models and the embeddings both build their driver from an
:class:`~langchain_compat.transport.endpoint.Endpoint`; validating there (and
the per-call ``timeout`` where the driver receives it) covers both. Without
it the values failed deep inside httpx or the socket layer: ``timeout=-1``
as ``ValueError: Timeout value out of range``, ``"abc"`` as a ``TypeError``,
``nan`` silently meaning no timeout at all, ``max_connections=0`` as a sync
call waiting for a pool slot that never comes, a bad port as
``httpx.InvalidURL``.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from langchain_compat.errors import InvalidParameterError

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "check_base_url", "check_limits", "check_size",
           "check_timeout", "seconds"]

#: Largest response body (or single stream event) read by default: 64 MiB.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

# httpx.Timeout field -> the user-facing setting it comes from.
_TIMEOUT_FIELDS = (("connect", "connect_timeout"), ("read", "timeout"), ("write", "timeout"),
                   ("pool", "timeout"))


def seconds(param: str, value: Any) -> float | None:
    """``value`` as a duration in seconds, or None.

    Raises:
        InvalidParameterError: not a finite number greater than 0 (a string,
            a bool, ``nan``, ``inf``, ``0`` or a negative number).
    """
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and math.isfinite(value) and value > 0:
        return float(value)
    shown = repr(value) if ok or isinstance(value, (str, bool)) else type(value).__name__
    raise InvalidParameterError(
        param, f"expected a positive, finite number of seconds (e.g. {param}=30) or None for "
        f"the default, got {shown}",
    )


def check_timeout(timeout: httpx.Timeout, total: Any) -> float | None:
    """Validate the endpoint's httpx timeouts and total timeout; return the total.

    Raises:
        InvalidParameterError: a value is not a positive finite number of seconds.
    """
    for name, param in _TIMEOUT_FIELDS:
        seconds(param, getattr(timeout, name))
    return seconds("timeout", total)


def _count(param: str, value: Any, minimum: int, hint: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameterError(param, f"expected an integer >= {minimum}{hint}, got {value!r}")


def check_limits(limits: httpx.Limits) -> None:
    """Validate connection pool limits.

    Raises:
        InvalidParameterError: ``max_connections`` below 1 (a pool without
            connections can never send), a negative keep-alive count or expiry.
    """
    _count("max_connections", limits.max_connections, 1,
           " (connections per process and event loop, e.g. 128)")
    _count("max_keepalive_connections", limits.max_keepalive_connections, 0, "")
    expiry = limits.keepalive_expiry
    if expiry is not None and not (isinstance(expiry, (int, float)) and math.isfinite(expiry)
                                   and expiry >= 0):
        raise InvalidParameterError("keepalive_expiry", f"expected seconds >= 0, got {expiry!r}")


def check_size(param: str, value: Any) -> int:
    """Validate a byte cap such as ``max_response_bytes``.

    Raises:
        InvalidParameterError: not an integer >= 1.
    """
    _count(param, value, 1, " bytes")
    if value is None:
        raise InvalidParameterError(param, "expected an integer number of bytes, got None")
    return int(value)


def check_base_url(base_url: str) -> None:
    """Validate that ``base_url`` is an http(s) URL httpx can send to.

    Raises:
        InvalidParameterError: unparsable (control characters such as NUL,
            a non-numeric port), not http(s), no host, or a port outside 1-65535.
    """
    fix = "use a URL such as https://host/v1 or http://127.0.0.1:8080/v1"
    if not isinstance(base_url, str):
        raise InvalidParameterError("base_url", f"expected a string; {fix}")
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:  # the message names the bad part, never the whole URL
        raise InvalidParameterError("base_url", f"not a valid URL ({exc}); {fix}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidParameterError("base_url", f"expected an http(s) URL with a host; {fix}")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise InvalidParameterError("base_url", f"port {url.port} is outside 1-65535; {fix}")
