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

from langchain_compat.errors import InvalidParameterError
from langchain_compat.stores.postgres import PostgresBounds
from langchain_compat.stores.urls import mask_url

__all__ = ["describe", "is_postgres_url", "open_async_checkpointer", "open_checkpointer"]

SCHEMES = ("postgresql://", "postgres://")
#: How long a SQLite writer waits for another process's write to finish (the
#: sqlite3 default, 5 s, is short for a busy disk shared by several workers).
SQLITE_BUSY_TIMEOUT = 30.0


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    """True when ``target`` is a PostgreSQL URL rather than a SQLite path."""
    return isinstance(target, str) and target.startswith(SCHEMES)


def describe(target: str | os.PathLike[str]) -> str:
    """``target`` for messages: a URL without its password (in the user part or a
    ``password=`` parameter, encoded or not), or the path."""
    return mask_url(str(target)) if is_postgres_url(target) else str(target)


def _bounds(options: dict[str, Any]) -> PostgresBounds:
    unknown = set(options) - set(PostgresBounds.__dataclass_fields__)
    if unknown:
        raise InvalidParameterError(", ".join(sorted(unknown)), "unknown option; PostgreSQL takes "
                                    "connect_timeout, statement_timeout, socket_timeout and "
                                    "setup_lock_timeout")
    return PostgresBounds(**options)


@contextmanager
def open_checkpointer(target: str | os.PathLike[str], **bounds: float | None) -> Iterator[Any]:
    """A LangGraph checkpointer on ``target``, closed on exit.

    Args:
        target: a SQLite file path (parent directories created) or a
            ``postgresql://user:pass@host:5432/db`` URL (tables created on first use;
            percent-encode special characters of the password).
        **bounds: used by PostgreSQL, in seconds: ``connect_timeout`` (10),
            ``statement_timeout`` (30), ``socket_timeout`` (statement + 5: a stopped
            server is given up on), ``setup_lock_timeout`` (60: another worker
            creating the tables). See
            :class:`~langchain_compat.stores.postgres.PostgresBounds`.

    Yields:
        A ``SqliteSaver`` or a bounded ``PostgresSaver`` (its errors are
        :class:`~langchain_compat.errors.StoreError`; a broken connection is
        reopened on the next call).

    Raises:
        ConfigurationError: a PostgreSQL URL without the ``[postgres]`` extra, or
            a URL that cannot be used (the password is never shown).
        StoreError: PostgreSQL refused or failed (``StoreTimeoutError`` past a bound).
    """
    limits = _bounds(bounds)  # checked for a SQLite path too: a misspelt bound is refused
    if is_postgres_url(target):
        from langchain_compat.stores.postgres import open_postgres

        with open_postgres(str(target), limits) as saver:
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
async def open_async_checkpointer(target: str | os.PathLike[str],
                                  **bounds: float | None) -> AsyncIterator[Any]:
    """Async :func:`open_checkpointer`: ``AsyncPostgresSaver`` or ``AsyncSqliteSaver``."""
    limits = _bounds(bounds)
    if is_postgres_url(target):
        from langchain_compat.stores.postgres import open_async_postgres

        async with open_async_postgres(str(target), limits) as saver:
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
