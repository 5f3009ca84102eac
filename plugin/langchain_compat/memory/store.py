"""Where a conversation's history lives: a SQLite file or a PostgreSQL database.

One place decides, from the target alone: a ``postgresql://`` / ``postgres://``
URL opens LangGraph's ``PostgresSaver`` (``pip install 'langchain-compat[postgres]'``),
anything else is a SQLite file path (``SqliteSaver``). Several processes, on
several machines, continue one thread through the same PostgreSQL; a SQLite
file serves the processes of one machine. Trimming and summaries are
middleware on the model side and do not care which one holds the history.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from langchain_compat.errors import ConfigurationError

__all__ = ["describe", "is_postgres_url", "open_async_checkpointer", "open_checkpointer"]

SCHEMES = ("postgresql://", "postgres://")
#: Advisory lock held while the tables are created (two workers may start at once).
#: Taken with try-and-poll: LangGraph's migrations run CREATE INDEX CONCURRENTLY,
#: which waits for every open transaction - a blocked pg_advisory_lock is one,
#: so waiting in the server would deadlock.
SETUP_LOCK = 0x6C63_6D65  # "lcme"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s) AS locked"
LOCK_POLL = 0.1
#: How long a SQLite writer waits for another process's write to finish (the
#: sqlite3 default, 5 s, is short for a busy disk shared by several workers).
SQLITE_BUSY_TIMEOUT = 30.0


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    """True when ``target`` is a PostgreSQL URL rather than a SQLite path."""
    return isinstance(target, str) and target.startswith(SCHEMES)


def describe(target: str | os.PathLike[str]) -> str:
    """``target`` for messages: a URL without its password, or the path."""
    if not is_postgres_url(target):
        return str(target)
    from urllib.parse import urlsplit

    parts = urlsplit(str(target))
    if parts.password is None:
        return str(target)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def _postgres() -> Any:
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "a PostgreSQL memory needs psycopg and langgraph-checkpoint-postgres: "
            "pip install 'langchain-compat[postgres]'") from None
    return psycopg, dict_row


def _pg_options(dict_row: Any) -> dict[str, Any]:
    # what PostgresSaver.from_conn_string uses: autocommit, no prepared statements
    return {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}


@contextmanager
def open_checkpointer(target: str | os.PathLike[str]) -> Iterator[Any]:
    """A LangGraph checkpointer on ``target``, closed on exit.

    Args:
        target: a SQLite file path (parent directories created) or a
            ``postgresql://user:pass@host:5432/db`` URL (tables created on first use).

    Yields:
        A ``SqliteSaver`` or ``PostgresSaver``.

    Raises:
        ConfigurationError: a PostgreSQL URL without the ``[postgres]`` extra installed.
    """
    if is_postgres_url(target):
        psycopg, dict_row = _postgres()
        from langgraph.checkpoint.postgres import PostgresSaver

        with psycopg.connect(str(target), **_pg_options(dict_row)) as conn:
            saver = PostgresSaver(conn)
            while not conn.execute(TRY_LOCK, (SETUP_LOCK,)).fetchone()["locked"]:
                time.sleep(LOCK_POLL)
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = _prepare_sqlite(target)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@asynccontextmanager
async def open_async_checkpointer(target: str | os.PathLike[str]) -> AsyncIterator[Any]:
    """Async :func:`open_checkpointer`: ``AsyncPostgresSaver`` or ``AsyncSqliteSaver``."""
    if is_postgres_url(target):
        psycopg, dict_row = _postgres()
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with await psycopg.AsyncConnection.connect(str(target), **_pg_options(dict_row)) as conn:
            saver = AsyncPostgresSaver(conn)
            while not (await (await conn.execute(TRY_LOCK, (SETUP_LOCK,))).fetchone())["locked"]:
                await asyncio.sleep(LOCK_POLL)
            try:
                await saver.setup()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
            yield saver
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = await asyncio.to_thread(_prepare_sqlite, target)
    async with aiosqlite.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT) as conn:
        yield AsyncSqliteSaver(conn)


def _prepare_sqlite(target: str | os.PathLike[str]) -> Path:
    """Create the file's directory and put the database in WAL mode, once, safely.

    LangGraph's savers run ``PRAGMA journal_mode=WAL`` when they first touch the
    file. On a new file, two processes doing that at the same moment make one of
    them fail at once with "database is locked" (SQLite does not apply its busy
    timeout to the switch): 26 of 400 starts failed that way here. The switch is
    done here, retried until it holds; WAL is a property of the file, so the
    savers' own PRAGMA is then a no-op.
    """
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    conn = sqlite3.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT)
    try:
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
                return path
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    finally:
        conn.close()
