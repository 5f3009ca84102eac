"""PostgreSQL for conversation memory: every wait bounded, every failure typed.

:func:`open_postgres` / :func:`open_async_postgres` give LangGraph's
``PostgresSaver`` / ``AsyncPostgresSaver`` on connections that

- connect within ``connect_timeout`` (libpq's rule: whole seconds, at least 2);
- ask the server to end any statement after ``statement_timeout``;
- give up on a server that stops answering after ``socket_timeout`` (the
  server cannot end a statement while it is stopped; see :mod:`.watchdog`);
- wait at most ``setup_lock_timeout`` for another worker creating the tables.

Every psycopg error leaving a saver method becomes a :class:`StoreError`
(:class:`StoreTimeoutError` for a timeout) whose message shows the URL without
its password; the psycopg error, its message redacted, is the ``__cause__``. A
connection that broke (timeout, server restart) is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from langchain_compat.errors import (
    InvalidParameterError,
    StoreError,
    StoreTimeoutError,
)
from langchain_compat.redaction import scrub_exception
from langchain_compat.stores.postgres_savers import psycopg_module as _psycopg
from langchain_compat.stores.postgres_savers import saver_classes
from langchain_compat.stores.urls import check_url, mask_url, url_secrets
from langchain_compat.stores.watchdog import WATCHDOG

__all__ = ["PostgresBounds", "open_async_postgres", "open_postgres"]

#: Advisory lock held while the tables are created (two workers may start at once).
#: Taken with try-and-poll: LangGraph's migrations run CREATE INDEX CONCURRENTLY,
#: which waits for every open transaction - a blocked pg_advisory_lock is one,
#: so waiting in the server would deadlock.
SETUP_LOCK = 0x6C63_6D65  # "lcme"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s) AS locked"
UNLOCK = "SELECT pg_advisory_unlock(%s)"
HOLDER = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
          "AND ((classid::bigint << 32) | objid::bigint) = %s LIMIT 1")
LOCK_POLL = 0.1
#: Saver methods that reach the database (those a LangGraph version lacks are skipped).

@dataclass(frozen=True)
class PostgresBounds:
    """How long PostgreSQL may take (seconds).

    Attributes:
        connect_timeout: to open a connection (rounded up to whole seconds, at least 2).
        statement_timeout: the server ends a statement that runs longer.
        socket_timeout: longest wait for the server's answer before the connection
            is abandoned (None: ``statement_timeout`` + 5, so the server's own
            timeout normally fires first).
        setup_lock_timeout: longest wait for another worker creating the tables.
    """

    connect_timeout: float = 10.0
    statement_timeout: float = 30.0
    socket_timeout: float | None = None
    setup_lock_timeout: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "statement_timeout", "socket_timeout",
                     "setup_lock_timeout"):
            value = getattr(self, name)
            if value is None and name == "socket_timeout":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value > 0):
                raise InvalidParameterError(name, "must be a positive number of seconds")

    @property
    def socket(self) -> float:
        return self.socket_timeout if self.socket_timeout is not None else (
            self.statement_timeout + 5.0)


def _socket_of(conn: Any) -> int | None:
    try:
        return int(conn.pgconn.socket)
    except Exception:  # noqa: BLE001 - a closed or broken connection: psycopg says why next
        return None


@functools.cache
def _connection_classes() -> tuple[type, type]:
    """psycopg connection classes whose every wait for the server is bounded."""
    psycopg = _psycopg()

    class BoundedConnection(psycopg.Connection):  # type: ignore[misc, name-defined]
        lc_socket_timeout: float | None = None
        lc_timed_out = False

        def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
            fd = _socket_of(self) if self.lc_socket_timeout else None
            if fd is None:
                return super().wait(gen, *args, **kwargs)
            watch = WATCHDOG.arm(self.lc_socket_timeout, fd)  # type: ignore[arg-type]
            try:
                return super().wait(gen, *args, **kwargs)
            finally:
                if WATCHDOG.disarm(watch):
                    self.lc_timed_out = True

    class BoundedAsyncConnection(psycopg.AsyncConnection):  # type: ignore[misc, name-defined]
        lc_socket_timeout: float | None = None
        lc_timed_out = False

        async def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
            fd = _socket_of(self) if self.lc_socket_timeout else None
            if fd is None:
                return await super().wait(gen, *args, **kwargs)
            watch = WATCHDOG.arm(self.lc_socket_timeout, fd)  # type: ignore[arg-type]
            try:
                return await super().wait(gen, *args, **kwargs)
            finally:
                if WATCHDOG.disarm(watch):
                    self.lc_timed_out = True

    return BoundedConnection, BoundedAsyncConnection


class Target:
    """One PostgreSQL URL with its bounds: connection arguments and typed errors."""

    def __init__(self, url: str, bounds: PostgresBounds) -> None:
        self.url = check_url(url, setting="target", schemes=("postgresql", "postgres"),
                             example="postgresql://user:password@host:5432/db")
        self.bounds = bounds
        self.shown = mask_url(url)
        self.secrets = url_secrets(url)

    def kwargs(self) -> dict[str, Any]:
        """psycopg ``connect`` arguments: LangGraph's settings, and our bounds unless the
        URL sets its own ``connect_timeout`` / ``statement_timeout``."""
        psycopg = _psycopg()
        from psycopg.rows import dict_row

        try:
            given = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise self.invalid(exc) from exc
        out: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
        if "connect_timeout" not in given:
            out["connect_timeout"] = max(2, math.ceil(self.bounds.connect_timeout))
        options = str(given.get("options") or "")
        if "statement_timeout" not in options:
            ms = max(1, int(self.bounds.statement_timeout * 1000))
            out["options"] = f"{options} -c statement_timeout={ms}".strip()
        return out

    def invalid(self, exc: BaseException) -> InvalidParameterError:
        scrub_exception(exc, *self.secrets)
        return InvalidParameterError("target", f"the PostgreSQL URL {self.shown!r} cannot be "
                                               f"used: {str(exc).strip()}")

    def error(self, exc: BaseException, conn: Any = None, what: str = "call") -> StoreError:
        """``exc`` (a psycopg error) as our typed error; marks ``conn`` for replacement."""
        psycopg = _psycopg()
        scrub_exception(exc, *self.secrets)
        timed_out = bool(getattr(conn, "lc_timed_out", False))
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if timed_out:
            return StoreTimeoutError(
                f"PostgreSQL at {self.shown} did not answer a {what} within socket_timeout="
                f"{self.bounds.socket:g}s (server stopped or unreachable); the connection was "
                "closed and is reopened on the next call", store="postgresql", target=self.shown)
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return StoreTimeoutError(
                f"PostgreSQL at {self.shown} ended a {what} at statement_timeout="
                f"{self.bounds.statement_timeout:g}s: {detail}", store="postgresql",
                target=self.shown)
        if isinstance(exc, psycopg.OperationalError) and "timeout expired" in detail.lower():
            return StoreTimeoutError(
                f"PostgreSQL at {self.shown}: no connection within connect_timeout="
                f"{self.bounds.connect_timeout:g}s: {detail}", store="postgresql",
                target=self.shown)
        return StoreError(f"PostgreSQL at {self.shown} failed ({type(exc).__name__}): {detail}",
                          store="postgresql", target=self.shown)

    def connect(self) -> Any:
        cls, _ = _connection_classes()
        try:
            conn = cls.connect(self.url, **self.kwargs())
        except _psycopg().Error as exc:
            raise self._connect_error(exc) from exc
        conn.lc_socket_timeout = self.bounds.socket
        return conn

    async def aconnect(self) -> Any:
        _, cls = _connection_classes()
        try:
            conn = await cls.connect(self.url, **self.kwargs())
        except _psycopg().Error as exc:
            raise self._connect_error(exc) from exc
        conn.lc_socket_timeout = self.bounds.socket
        return conn

    def _connect_error(self, exc: BaseException) -> StoreError | InvalidParameterError:
        if isinstance(exc, _psycopg().ProgrammingError):  # the conninfo itself
            return self.invalid(exc)
        return self.error(exc, what="connection")

    def lock_timeout(self, holder: Any) -> StoreTimeoutError:
        by = f" (held by server process {holder})" if holder else ""
        return StoreTimeoutError(
            f"PostgreSQL at {self.shown}: waited setup_lock_timeout="
            f"{self.bounds.setup_lock_timeout:g}s for the advisory lock {SETUP_LOCK} "
            f"(langchain-compat memory setup, pg_advisory_lock({SETUP_LOCK})){by}: another "
            "worker is creating the tables or hangs holding it; end that session "
            "(pg_terminate_backend) or raise setup_lock_timeout", store="postgresql",
            target=self.shown)


# -- opening -------------------------------------------------------------------------
def _setup(saver: Any, target: Target) -> None:
    """Create the tables under the setup lock, waiting at most ``setup_lock_timeout``."""
    conn = saver.conn
    deadline = time.monotonic() + target.bounds.setup_lock_timeout
    while not conn.execute(TRY_LOCK, (SETUP_LOCK,)).fetchone()["locked"]:
        if time.monotonic() >= deadline:
            row = conn.execute(HOLDER, (SETUP_LOCK,)).fetchone()
            raise target.lock_timeout(row["pid"] if row else None)
        time.sleep(LOCK_POLL)
    try:
        saver.setup()
    finally:
        if not saver.lc_broken():
            conn.execute(UNLOCK, (SETUP_LOCK,))


async def _asetup(saver: Any, target: Target) -> None:
    conn = saver.conn
    deadline = time.monotonic() + target.bounds.setup_lock_timeout
    while not (await (await conn.execute(TRY_LOCK, (SETUP_LOCK,))).fetchone())["locked"]:
        if time.monotonic() >= deadline:
            row = await (await conn.execute(HOLDER, (SETUP_LOCK,))).fetchone()
            raise target.lock_timeout(row["pid"] if row else None)
        await asyncio.sleep(LOCK_POLL)
    try:
        await saver.setup()
    finally:
        if not saver.lc_broken():
            await conn.execute(UNLOCK, (SETUP_LOCK,))


@contextlib.contextmanager
def open_postgres(url: str, bounds: PostgresBounds | None = None) -> Iterator[Any]:
    """A bounded ``PostgresSaver`` on ``url``, tables created; closed on exit.

    Raises:
        InvalidParameterError: the URL cannot be used (its password is never shown).
        StoreError: PostgreSQL refused or failed; StoreTimeoutError past a bound.
    """
    target = Target(url, bounds or PostgresBounds())
    saver_cls, _ = saver_classes()
    saver = saver_cls(target.connect())
    saver.lc_target = target
    try:
        try:
            _setup(saver, target)
        except _psycopg().Error as exc:
            raise saver.lc_fail(exc) from exc
        yield saver
    finally:
        with contextlib.suppress(Exception):
            saver.conn.close()


@contextlib.asynccontextmanager
async def open_async_postgres(url: str, bounds: PostgresBounds | None = None) -> AsyncIterator[Any]:
    """Async :func:`open_postgres`: a bounded ``AsyncPostgresSaver``."""
    target = Target(url, bounds or PostgresBounds())
    _, saver_cls = saver_classes()
    saver = saver_cls(await target.aconnect())
    saver.lc_target = target
    try:
        try:
            await _asetup(saver, target)
        except _psycopg().Error as exc:
            raise saver.lc_fail(exc) from exc
        yield saver
    finally:
        with contextlib.suppress(Exception):
            await saver.conn.close()
