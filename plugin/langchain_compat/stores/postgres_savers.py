"""LangGraph's PostgreSQL savers, bounded: every public method checks its ids, reopens a
broken connection first, and maps a psycopg error to our typed :class:`StoreError`
(through the saver's target, :class:`~langchain_compat.stores.postgres.Target`). Wrapped by the
savers' public method names (``METHODS``/``AMETHODS``), so LangGraph's own code runs
unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from langchain_compat.errors import ConfigurationError, InvalidParameterError, StoreError

__all__ = ["AMETHODS", "METHODS", "Target", "check_ids", "psycopg_module", "saver_classes"]


class Target(Protocol):
    """What a bounded saver needs of its database (``stores.postgres.Target`` provides it)."""

    def connect(self) -> Any: ...

    async def aconnect(self) -> Any: ...

    def error(self, exc: BaseException, conn: Any = None, what: str = "call") -> StoreError: ...

METHODS = ("setup", "list", "get_tuple", "put", "put_writes", "delete_thread", "prune",
           "copy_thread", "delete_for_runs", "get_delta_channel_history")
AMETHODS = ("setup", "alist", "aget_tuple", "aput", "aput_writes", "adelete_thread", "aprune",
            "acopy_thread", "adelete_for_runs", "aget_delta_channel_history")


def psycopg_module() -> Any:
    """psycopg, imported on first use; a ConfigurationError naming the extra without it."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "a PostgreSQL memory needs psycopg and langgraph-checkpoint-postgres: "
            "pip install 'langchain-compat[postgres]'") from None
    return psycopg


def check_ids(args: tuple[Any, ...]) -> None:
    """Refuse a thread id (or namespace) with a NUL character: PostgreSQL text cannot hold it."""
    for arg in args:
        values: list[Any] = [arg] if isinstance(arg, str) else []
        if isinstance(arg, dict) and isinstance(arg.get("configurable"), dict):
            conf = arg["configurable"]
            values = [conf.get(k) for k in ("thread_id", "checkpoint_ns", "checkpoint_id")]
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                raise InvalidParameterError(
                    "thread_id", "contains a NUL character, which PostgreSQL cannot store; "
                    "use printable ids")


# -- savers ---------------------------------------------------------------------------
def _wrap_sync(fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            check_ids(args)
            self.lc_ready()
            try:
                yield from fn(self, *args, **kwargs)
            except psycopg_module().Error as exc:
                raise self.lc_fail(exc) from exc
        return gen

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        check_ids(args)
        self.lc_ready()
        try:
            return fn(self, *args, **kwargs)
        except psycopg_module().Error as exc:
            raise self.lc_fail(exc) from exc
    return call


def _wrap_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def agen(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            check_ids(args)
            await self.lc_aready()
            try:
                async for item in fn(self, *args, **kwargs):
                    yield item
            except psycopg_module().Error as exc:
                raise self.lc_fail(exc) from exc
        return agen

    @functools.wraps(fn)
    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        check_ids(args)
        await self.lc_aready()
        try:
            return await fn(self, *args, **kwargs)
        except psycopg_module().Error as exc:
            raise self.lc_fail(exc) from exc
    return call


class _Guard:
    """Shared by both savers: the target, error mapping, replacing a broken connection."""

    lc_target: Target
    conn: Any

    def lc_broken(self) -> bool:
        conn = self.conn
        return bool(conn.closed or conn.broken or conn.lc_timed_out)

    def lc_ready(self) -> None:
        if self.lc_broken():
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = self.lc_target.connect()

    async def lc_aready(self) -> None:
        if self.lc_broken():
            with contextlib.suppress(Exception):
                await self.conn.close()
            self.conn = await self.lc_target.aconnect()

    def lc_fail(self, exc: BaseException) -> StoreError:
        return self.lc_target.error(exc, self.conn)


@functools.cache
def saver_classes() -> tuple[type, type]:
    psycopg_module()
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "a PostgreSQL memory needs langgraph-checkpoint-postgres: "
            "pip install 'langchain-compat[postgres]'") from None
    sync_ns = {n: _wrap_sync(getattr(PostgresSaver, n)) for n in METHODS
               if hasattr(PostgresSaver, n)}
    async_ns = {n: _wrap_async(getattr(AsyncPostgresSaver, n)) for n in AMETHODS
                if hasattr(AsyncPostgresSaver, n)}
    return (type("BoundedPostgresSaver", (_Guard, PostgresSaver), sync_ns),
            type("BoundedAsyncPostgresSaver", (_Guard, AsyncPostgresSaver), async_ns))
