"""The request log: every request the emulator saw, with secrets masked.

Secrets are masked when a request is recorded (not when it is read), so the
API key never sits in memory of the log: auth-like headers keep only their
scheme (``Bearer ***``), and so do headers whose name says they hold a
credential (``x-custom-auth``, ``api-token``: a wrong key sent there is masked
too). The emulator's key is replaced by ``***`` wherever else it appears (other
headers, the query string, the JSON body).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from langchain_compat.connection.credentials import is_secret_name

__all__ = ["MASK", "RecordedRequest", "RequestLog", "mask_headers", "mask_value"]

MASK = "***"

#: Headers whose value is a credential whatever it contains.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie"}
)


@dataclass(slots=True)
class RecordedRequest:
    """One request as the emulator saw it.

    Attributes:
        number: 1-based position since start or the last ``reset()``.
        method, path, query: the request line (``path`` without the query).
        headers: lower-cased names; credentials masked.
        body: the parsed JSON body (None when absent or not JSON).
        raw_body_error: why the body could not be parsed, if it could not.
        status: the status code answered (None while in flight, or when the
            connection was aborted before any answer).
        time: ``time.time()`` when it arrived.
    """

    number: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    raw_body_error: str | None = None
    status: int | None = None
    time: float = field(default_factory=time.time)

    @property
    def json(self) -> Any:
        """Alias of ``body``."""
        return self.body


def mask_value(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every secret replaced by ``***`` in any string it holds."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, str):
        for s in secrets:
            value = value.replace(s, MASK)
        return value
    if isinstance(value, list):
        return [mask_value(v, secrets) for v in value]
    if isinstance(value, dict):
        return {mask_value(k, secrets): mask_value(v, secrets) for k, v in value.items()}
    return value


def mask_headers(headers: Iterable[tuple[str, str]], secrets: Iterable[str]) -> dict[str, str]:
    """Lower-cased headers with credentials masked (``Bearer ***``, ``***``)."""
    secrets = list(secrets)
    out: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        if name in SECRET_HEADERS or is_secret_name(name):  # custom auth headers too
            scheme, sep, _ = value.partition(" ")
            value = f"{scheme} {MASK}" if sep and scheme.isalpha() and len(scheme) < 16 else MASK
        else:
            value = mask_value(value, secrets)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


class RequestLog:
    """Thread-safe list of :class:`RecordedRequest` (server thread writes, tests read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []
        self._count = 0

    def record(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: Any,
        secrets: Iterable[str],
        raw_body_error: str | None = None,
    ) -> RecordedRequest:
        secrets = [s for s in secrets if s]
        with self._lock:
            self._count += 1
            item = RecordedRequest(
                number=self._count,
                method=method,
                path=mask_value(path, secrets),
                query=mask_value(query, secrets),
                headers=mask_headers(headers, secrets),
                body=mask_value(body, secrets),
                raw_body_error=raw_body_error,
            )
            self._items.append(item)
            return item

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._count = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

