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

Real requests: ``pytest --block-real-requests`` (or ``block_real_requests = true``
in the ini file) runs every test inside
:func:`~langchain_compat.testing.block_real_requests`; without it, mark single
tests (or modules, with ``pytestmark``) ``@pytest.mark.block_real_requests``.
A test that reaches a host that is not loopback then fails with
:class:`~langchain_compat.errors.RealRequestBlockedError` naming the host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from langchain_compat.testing.emulator import Emulator
from langchain_compat.testing.guard import block_real_requests

__all__ = ["emulator", "pytest_addoption", "pytest_configure"]

_OPTION = "block_real_requests"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--block-real-requests`` and the ``block_real_requests`` ini option."""
    parser.addoption("--block-real-requests", action="store_true", dest=_OPTION, default=False,
                     help="fail every test that reaches a host that is not loopback "
                          "(langchain_compat.testing.block_real_requests)")
    parser.addini(_OPTION, "block requests to hosts that are not loopback in every test",
                  type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``block_real_requests`` marker."""
    config.addinivalue_line("markers", "block_real_requests: fail any request to a host that "
                            "is not loopback in this test (RealRequestBlockedError)")


@pytest.fixture(autouse=True)
def _block_real_requests_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Runs the test inside ``block_real_requests()`` when the option or marker says so."""
    config = request.config
    on = (config.getoption(_OPTION, default=False) or config.getini(_OPTION)
          or request.node.get_closest_marker(_OPTION) is not None)
    if not on:
        yield
        return
    with block_real_requests():
        yield


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
