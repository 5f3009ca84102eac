"""Small loopback helpers shared by the local backend, the tests and the recipes."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any

import httpx

__all__ = ["free_port", "http_get", "port_is_open", "wait_for_http"]

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_get(url: str, timeout: float = 2.0) -> httpx.Response | None:
    """GET ``url`` ignoring proxy settings; None on any connection error."""
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            return client.get(url)
    except httpx.HTTPError:
        return None


def wait_for_http(
    url: str,
    *,
    timeout: float = 60.0,
    interval: float = 0.25,
    proc: subprocess.Popen[Any] | None = None,
    expect_status: int = 200,
) -> bool:
    """Poll ``url`` until it answers ``expect_status``.

    Args:
        url: the URL to GET (e.g. ``http://127.0.0.1:8089/health``).
        timeout: seconds to wait in total.
        interval: seconds between attempts.
        proc: if given, stop waiting as soon as this process has exited.
        expect_status: the status that means ready (llama-server says 503 while loading).

    Returns:
        True when ready; False on timeout or when ``proc`` exited first.
    """
    deadline = time.monotonic() + timeout
    while True:
        resp = http_get(url, timeout=min(2.0, max(0.1, timeout)))
        if resp is not None and resp.status_code == expect_status:
            return True
        if proc is not None and proc.poll() is not None:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
