"""PostgreSQL memory: no password in errors, no wait without a bound, no raw psycopg error (#23).

Against a real PostgreSQL 16 (the ``pgserver`` wheel of ``[dev]``) on 127.0.0.1,
stalled by SIGSTOP of the server the test started. Items 3, 4, 5 and 11 of issue #23.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from langchain_compat import ChatOpenAICompatible
from langchain_compat.chat_cli import build_chat_graph
from langchain_compat.errors import (
    ConfigurationError,
    InvalidParameterError,
    StoreError,
    StoreTimeoutError,
)
from langchain_compat.memory.store import describe, open_async_checkpointer, open_checkpointer

from .stalls import Server, bounded, frozen, postgres_server

pytestmark = [pytest.mark.timeout(90),
              pytest.mark.skipif(importlib.util.find_spec("pgserver") is None,
                                 reason="pip install -e '.[dev]' installs PostgreSQL")]
psycopg = pytest.importorskip("psycopg")
SECRET = "s3cret"
SETUP_LOCK = 0x6C63_6D65


@pytest.fixture(scope="module")
def pg():
    with postgres_server() as server:
        yield server


def _config(thread: str | None = None) -> dict:
    return {"configurable": {"thread_id": thread or uuid.uuid4().hex}}


def _graph(emu, saver):
    return build_chat_graph(ChatOpenAICompatible(**emu.client_kwargs, model="m"), saver)


def _chain(exc: BaseException | None) -> str:
    """Everything a traceback of ``exc`` would print about it and its causes."""
    text = []
    while exc is not None:
        text += [repr(exc), str(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(text)


# -- item 3: the password never shows ---------------------------------------------------
@pytest.mark.parametrize("url", [
    f"postgresql://app:{SECRET}%zz@127.0.0.1:1/chat",  # invalid percent-encoding
    f"postgresql://app:{SECRET}#x@127.0.0.1:1/chat",  # '#' not encoded
    f"postgresql://app:{SECRET}/x@127.0.0.1:1/chat",  # '/' not encoded
    f"postgresql://app:{SECRET}?x@127.0.0.1:1/chat",  # '?' not encoded
])
def test_a_url_psycopg_cannot_parse_is_a_configuration_error_without_the_password(
        url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        with open_checkpointer(url):
            pass
    assert isinstance(caught.value, InvalidParameterError)
    assert SECRET not in _chain(caught.value)
    assert "percent-encode" in str(caught.value)


@pytest.mark.parametrize("url", [
    f"postgresql://app:{SECRET}@db.internal:5432/chat",
    f"postgresql://db.internal:5432/chat?user=app&password={SECRET}",
    f"postgresql://app:{SECRET}#1@db.internal/chat",
    f"postgresql://app:{SECRET}/1@db.internal/chat",
    f"postgresql://app:{SECRET}?1@db.internal/chat",
    f"postgres://app:{SECRET}%231@db.internal/chat?sslmode=require",
])
def test_the_chat_banner_never_shows_the_password(url: str) -> None:
    shown = describe(url)
    assert SECRET not in shown and "db.internal" in shown


def _cli(db: str, *args: str, replies: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "langchain_compat.cli", "chat", "--db", db, "--fake-replies",
         str(replies), "--no-stream", *args], input="hello\n", capture_output=True, text=True,
        env=env, timeout=timeout)


def test_chat_cli_reports_a_bad_url_in_one_line_without_the_password(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["ok"]))
    done = _cli(f"postgresql://app:{SECRET}%zz@127.0.0.1:1/chat", replies=replies)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert SECRET not in done.stderr + done.stdout


# -- item 4: a stalled PostgreSQL must not hang a turn ------------------------------------
def test_a_stopped_postgres_fails_the_call_within_socket_timeout_then_recovers(emu) -> None:
    with postgres_server() as own, open_checkpointer(own.url, statement_timeout=1,
                                                     socket_timeout=1) as saver:
        graph, config = _graph(emu, saver), _config()
        graph.invoke({"messages": [HumanMessage("one")]}, config)
        with frozen(own.pid):
            out = bounded(lambda: graph.invoke({"messages": [HumanMessage("two")]}, config), 15)
        assert isinstance(out.error, StoreTimeoutError), repr(out.error)
        assert isinstance(out.error.__cause__, psycopg.Error)
        assert out.seconds < 4 and "socket_timeout=1s" in str(out.error)
        # the broken connection is replaced on the next call: the first turn is still there
        messages = graph.get_state(config).values["messages"]
        assert [m.text for m in messages][:2] == ["one", "Echo: one"]


async def test_a_stopped_postgres_fails_an_async_call_within_socket_timeout(emu) -> None:
    with postgres_server() as own:
        async with open_async_checkpointer(own.url, socket_timeout=1) as saver:
            graph, config = _graph(emu, saver), _config()
            await graph.ainvoke({"messages": [HumanMessage("one")]}, config)
            with frozen(own.pid):
                t0 = asyncio.get_running_loop().time()
                with pytest.raises(StoreTimeoutError):
                    await asyncio.wait_for(graph.aget_state(config), 15)
                assert asyncio.get_running_loop().time() - t0 < 4
            assert len((await graph.aget_state(config)).values["messages"]) == 2


def test_statement_timeout_is_set_and_typed(pg: Server, emu) -> None:
    with open_checkpointer(pg.url, statement_timeout=1) as saver:
        graph, config = _graph(emu, saver), _config()
        graph.invoke({"messages": [HumanMessage("one")]}, config)
        with psycopg.connect(pg.url, autocommit=True) as locker:
            locker.execute("BEGIN")
            locker.execute("LOCK TABLE checkpoints IN ACCESS EXCLUSIVE MODE")
            out = bounded(lambda: graph.get_state(config), 15)
            locker.execute("ROLLBACK")
        assert isinstance(out.error, StoreTimeoutError), repr(out.error)
        assert isinstance(out.error.__cause__, psycopg.errors.QueryCanceled)
        assert "statement_timeout=1s" in str(out.error) and out.seconds < 4
        assert len(graph.get_state(config).values["messages"]) == 2  # usable again


# -- item 5: the setup lock wait is bounded and names the lock ---------------------------
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_the_setup_lock_wait_is_bounded_and_names_the_lock(pg: Server, asynchronous: bool) -> None:
    async def aopen() -> None:
        async with open_async_checkpointer(pg.url, setup_lock_timeout=1):
            pass

    def sopen() -> None:
        with open_checkpointer(pg.url, setup_lock_timeout=1):
            pass

    with psycopg.connect(pg.url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        pid = holder.execute("SELECT pg_backend_pid()").fetchone()[0]
        out = bounded((lambda: asyncio.run(aopen())) if asynchronous else sopen, 15)
    assert isinstance(out.error, StoreTimeoutError), repr(out.error)
    assert f"advisory lock {SETUP_LOCK}" in str(out.error) and str(pid) in str(out.error)
    assert "setup_lock_timeout=1s" in str(out.error) and 0.9 < out.seconds < 4


# -- item 11: every failure is typed; chat --db survives a dead database ---------------------
def test_open_checkpointer_failures_are_store_errors() -> None:
    from langchain_compat.local.net import free_port

    url = f"postgresql://app:{SECRET}@127.0.0.1:{free_port()}/chat"
    with pytest.raises(StoreError) as caught:
        with open_checkpointer(url, connect_timeout=2):
            pass
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert SECRET not in _chain(caught.value) and caught.value.store == "postgresql"
    with pytest.raises(ConfigurationError, match="statement_timout"):
        with open_checkpointer(url, statement_timout=1):  # a misspelt bound is refused
            pass


def test_a_nul_in_a_thread_id_is_a_typed_error(pg: Server, emu) -> None:
    with open_checkpointer(pg.url) as saver:
        graph = _graph(emu, saver)
        with pytest.raises(InvalidParameterError, match="NUL"):
            graph.invoke({"messages": [HumanMessage("x")]}, _config("a\x00b"))
        graph.invoke({"messages": [HumanMessage("x")]}, _config())  # the saver still works


def test_chat_cli_reports_a_database_that_dies_mid_session_and_goes_on(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["first answer", "second answer"]))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with postgres_server() as own:
        proc = subprocess.Popen(
            [sys.executable, "-m", "langchain_compat.cli", "chat", "--db", own.url,
             "--fake-replies", str(replies), "--no-stream"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        try:
            proc.stdin.write("hello\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "first answer\n"
        except BaseException:
            proc.kill()
            raise
    try:  # the server is stopped now (by PID, on leaving the block)
        out, err = proc.communicate("are you there\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err  # reported, the chat went on; a failed turn exits 1
    assert "Traceback" not in err and "error: PostgreSQL at" in err
    assert "second answer" not in out  # nothing answered (and stored) without the database
