"""Which hosts stay on this machine (one answer for the http warning and the test guard)."""

from __future__ import annotations

import ipaddress
from typing import Any

__all__ = ["is_loopback"]


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (a name, an address, or bytes) stays on this machine.

    Loopback addresses (``127.0.0.0/8``, ``::1``, bracketed or with a zone) and the
    name ``localhost`` (any case, a trailing dot). Not other ``*.localhost`` names:
    RFC 6761 reserves them for loopback, but the system resolver (glibc's) may
    send them to DNS, so the query leaves the machine and the answer can be any
    address.
    """
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False
