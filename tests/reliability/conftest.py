"""Shared helpers for the reliability suite: emulators and chat models pointed at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.testing import Emulator, emulate


def make_chat(emu: Emulator, cls: type = ChatOpenAICompatible, **kw):
    """A chat model of ``cls`` talking to ``emu`` (fast retries unless told otherwise)."""
    kw.setdefault("max_retries", 2)
    kw.setdefault("timeout", 10.0)
    kw.setdefault("model", emu.provider.default_model or "emulator-model")
    llm = cls(**emu.client_kwargs, **kw)
    return llm


@pytest.fixture
def fast_retry(monkeypatch):
    """Backoff of a few ms so retry tests stay quick (Retry-After still honoured)."""
    import types

    from langchain_compat.transport import retry

    monkeypatch.setattr(retry, "random", types.SimpleNamespace(uniform=lambda a, b: min(b, 0.01)))
    yield


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with emulate("openai-compatible", rate_limit=None) as e:
        yield e


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "emu" in request.fixturenames:
        request.getfixturevalue("emu").reset()
