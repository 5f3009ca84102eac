"""``asyncio.run(llm.ainvoke(...))`` per call must not leak the loop, its pool or its sockets.

Before the fix the per-loop registry was weak-keyed by the loop, but its
values (pools -> sockets -> transports) pointed back to the loop, so no loop
was ever collected: each run of 20 concurrent requests left its loop, its
httpx clients and about 20 sockets (40 descriptors with the server's side)
open for good. Now the loop's pools are closed while ``asyncio.run`` shuts
the loop down.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import warnings

import httpx
import pytest

from langchain_compat import ChatOpenAICompatible

from .rawhttp import RawServer, ok_json

pytestmark = pytest.mark.timeout(120)

RUNS, CONCURRENT = 50, 20


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _count(cls: type) -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, cls))


def _answer(conn, n, head, body) -> bool:
    conn.sendall(ok_json())
    return True


def test_asyncio_run_per_call_keeps_fds_and_objects_flat() -> None:
    with RawServer(_answer) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0,
                                   timeout=20)

        async def burst() -> None:
            replies = await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(CONCURRENT)))
            assert all(r.content == "hi" for r in replies)

        for _ in range(3):  # warm up: imports, the sync client, lazily created caches
            asyncio.run(burst())
        gc.collect()
        fds0, loops0 = _fds(), _count(asyncio.AbstractEventLoop)
        clients0 = _count(httpx.AsyncClient)
        for _ in range(RUNS):
            asyncio.run(burst())
        gc.collect()
        deadline = time.monotonic() + 5  # the server closes its side when ours is closed
        while _fds() > fds0 + 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        fds, loops, clients = _fds(), _count(asyncio.AbstractEventLoop), _count(httpx.AsyncClient)
    assert fds - fds0 <= 10, f"{fds - fds0} descriptors leaked over {RUNS} runs"
    assert loops - loops0 <= 1, f"{loops - loops0} event loops still alive"
    assert clients - clients0 <= 0, f"{clients - clients0} AsyncClients still alive"


def test_a_loop_closed_without_shutdown_is_released_by_the_next_one() -> None:
    """``loop.run_until_complete`` + ``loop.close()`` skips the async-generator shutdown:
    the next loop that registers drops the closed one's pools, and the collector frees
    their sockets."""
    with RawServer(_answer) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key="k", model="m", max_retries=0)
        asyncio.run(llm.ainvoke("warm up"))
        gc.collect()
        fds0 = _fds()
        loop = asyncio.new_event_loop()

        async def burst() -> None:
            await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(CONCURRENT)))

        loop.run_until_complete(burst())
        loop.close()
        del loop
        assert asyncio.run(llm.ainvoke("b")).content == "hi"
        deadline = time.monotonic() + 5
        while _fds() > fds0 + 4 and time.monotonic() < deadline:
            with warnings.catch_warnings():  # "unclosed transport": the loop is gone
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
            time.sleep(0.05)
        assert _fds() - fds0 <= 4, f"{_fds() - fds0} descriptors of the closed loop still open"
