"""pytest fixtures for the provider emulator.

Enable in your ``conftest.py``::

    pytest_plugins = ["langchain_compat.testing.pytest_plugin"]

then::

    def test_my_app(emulator, monkeypatch):
        emu = emulator("telkom", rate_limit=None)
        emu.script(["Hello!"])
        for name, value in emu.env.items():
            monkeypatch.setenv(name, value)
        ...

Every emulator made by the ``emulator`` factory is started at once and
stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from langchain_compat.testing.emulator import Emulator

__all__ = ["emulator"]


@pytest.fixture
def emulator() -> Iterator[Callable[..., Emulator]]:
    """Factory: ``emulator(provider="openai-compatible", **options) -> Emulator`` (started)."""
    started: list[Emulator] = []

    def make(provider: Any = "openai-compatible", **options: Any) -> Emulator:
        emu = Emulator(provider, **options).start()
        started.append(emu)
        return emu

    yield make
    for emu in reversed(started):
        emu.stop()
