"""Several workers opening one new SQLite memory file at the same moment.

LangGraph's savers switch the file to WAL mode on first use; two connections
doing that at once made one fail with "database is locked" at once (the busy
timeout does not cover the switch). Seen in CI as a ``langchain-compat chat``
process exiting 1 when two sessions started together on a fresh ``--db``.
Threads race the same way processes do (SQLite locks per connection), so the
race is driven here with a barrier, many rounds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage

from langchain_compat.chat_cli import build_chat_graph
from langchain_compat.memory.store import open_async_checkpointer, open_checkpointer

ROUNDS = 150
WORKERS = 3


def _race(tmp_path: Path, work) -> list[BaseException]:
    errors: list[BaseException] = []
    for n in range(ROUNDS):
        db = tmp_path / f"r{n}" / "chat.sqlite"
        barrier = threading.Barrier(WORKERS)

        def run(i: int) -> None:
            try:
                work(db, f"w{i}", barrier)
            except BaseException as exc:  # collected, asserted by the test
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return errors


def _sync_turn(db: Path, thread: str, barrier: threading.Barrier) -> None:
    barrier.wait()
    with open_checkpointer(db) as saver:
        graph = build_chat_graph(None, saver)
        config = {"configurable": {"thread_id": thread}}
        graph.update_state(config, {"messages": [HumanMessage("q"), AIMessage("a")]},
                           as_node="chat")


def test_workers_starting_together_on_a_new_file_all_succeed(tmp_path: Path) -> None:
    errors = _race(tmp_path, _sync_turn)
    assert errors == []
    # every worker's turn is there, and the file is in WAL mode
    db = tmp_path / "r0" / "chat.sqlite"
    with open_checkpointer(db) as saver:
        graph = build_chat_graph(None, saver)
        for i in range(WORKERS):
            msgs = graph.get_state({"configurable": {"thread_id": f"w{i}"}}).values["messages"]
            assert [m.text for m in msgs] == ["q", "a"]
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_async_workers_starting_together_on_a_new_file_all_succeed(tmp_path: Path) -> None:
    """The async opener goes through the same preparation. Its race was rarer here
    (aiosqlite's thread hand-offs spread the starts: 0 of 450 on the old code), so
    this guards the path rather than reproducing the failure."""
    async def turn(db: Path, thread: str, barrier: threading.Barrier) -> None:
        barrier.wait()  # inside the running loop: the opens start together
        async with open_async_checkpointer(db) as saver:
            await saver.setup()
            config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
            assert await saver.aget_tuple(config) is None

    errors = _race(tmp_path, lambda db, thread, barrier: asyncio.run(turn(db, thread, barrier)))
    assert errors == []
