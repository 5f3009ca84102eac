"""Sharing one local server between processes: :func:`server_lease`."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from langchain_compat.local.model import DEFAULT_MODEL
from langchain_compat.local.process import terminate
from langchain_compat.local.server import DEFAULT_PORT, LocalServer, _ensure_locked
from langchain_compat.local.state import (
    clear_state,
    lease_dir,
    live_leases,
    live_state,
    port_lock,
    read_state,
    tidy_locked,
    write_state,
)

__all__ = ["server_lease"]


@contextlib.contextmanager
def server_lease(
    port: int = DEFAULT_PORT,
    model: str = DEFAULT_MODEL,
    ctx: int | None = 4096,
    *,
    timeout: float = 180.0,
    install: bool = False,
    **kwargs: object,
) -> Iterator[LocalServer]:
    """Use the local server for a ``with`` block, sharing it safely between processes.

    Several test sessions (or scripts) on one machine share the server on
    ``port``: each holds a lease (a file named after its PID in
    ``<cache>/run/server-<port>.leases``). A server started by a lease is
    stopped when the *last* live leaseholder leaves, so one session ending
    never kills the server under another. A server started otherwise
    (``langchain-compat local up``, :func:`start_server`) is left running.

    Arguments are as for :func:`ensure_server`.

    Yields:
        The healthy server (``reused`` is True when this lease did not start it).
    """
    with port_lock(port):
        server = _ensure_locked(port, model, ctx, timeout, install, dict(kwargs))
        if not server.reused:
            state = read_state(port) or {}
            state["owner"] = "lease"
            write_state(port, state)
        lease = lease_dir(port) / f"{os.getpid()}-{time.monotonic_ns()}"
        lease.touch()
    try:
        yield server
    finally:
        with port_lock(port):
            lease.unlink(missing_ok=True)
            state = live_state(port)
            if (
                state is not None
                and state.get("owner") == "lease"
                and int(state["pid"]) == server.pid  # type: ignore[arg-type]
                and not live_leases(port)
            ):
                terminate(server.pid, 10.0)
                clear_state(port)
            tidy_locked(port)
