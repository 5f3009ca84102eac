"""Files in ``<cache>/run`` that record local servers.

Per port: ``server-<port>.json`` (pid, model, base URL, log, command line of
the server we started), ``server-<port>.lock`` (serialises start/stop between
processes) and ``server-<port>.leases/`` (one file per process using the
server through :func:`~langchain_compat.local.server_lease`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from langchain_compat.connection.hosts import is_loopback
from langchain_compat.local.build import _file_lock
from langchain_compat.local.cache import run_dir
from langchain_compat.local.process import is_our_server, pid_alive

__all__ = [
    "clear_state",
    "lease_dir",
    "live_leases",
    "live_state",
    "mark_state",
    "port_lock",
    "read_state",
    "recorded_ports",
    "tidy_locked",
    "write_state",
]


def _state_path(port: int) -> Path:
    return run_dir() / f"server-{port}.json"


@contextlib.contextmanager
def port_lock(port: int) -> Iterator[None]:
    """Hold the per-port lock (between processes) for a ``with`` block."""
    with _file_lock(run_dir() / f"server-{port}.lock"):
        yield


def read_state(port: int) -> dict[str, object] | None:
    """The recorded state of the server on ``port``, or None."""
    try:
        return json.loads(_state_path(port).read_text())
    except (OSError, ValueError):
        return None


def write_state(port: int, state: dict[str, object]) -> None:
    """Record ``state`` atomically (write then rename)."""
    path = _state_path(port)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, path)


def clear_state(port: int) -> None:
    """Forget the server on ``port``."""
    _state_path(port).unlink(missing_ok=True)


def mark_state(port: int, **fields: object) -> bool:
    """Add ``fields`` to the recorded state of ``port`` (under the port lock).

    Returns:
        False when no state is recorded for ``port``.
    """
    with port_lock(port):
        state = read_state(port)
        if state is None:
            return False
        write_state(port, {**state, **fields})
        return True


def recorded_ports() -> list[int]:
    """The ports with a recorded server (live or stale), ascending."""
    ports = []
    for path in run_dir().glob("server-*.json"):
        suffix = path.stem.removeprefix("server-")
        if suffix.isdigit():
            ports.append(int(suffix))
    return sorted(ports)


def _trusted(state: dict[str, object], port: int) -> bool:
    """Whether a state file is one we wrote for ``port``: a loopback URL on that port and
    the command line we started (a stale or edited file must not aim ``status`` at
    another host, nor ``down`` at another process)."""
    try:
        url = urlsplit(str(state.get("base_url", "")))
        host_ok = is_loopback(url.hostname) and is_loopback(state.get("host", "127.0.0.1"))
        return host_ok and url.port == port and isinstance(state.get("cmd"), list)
    except ValueError:
        return False


def live_state(port: int) -> dict[str, object] | None:
    """The state of our server on ``port`` if its process is alive and is the one we started;
    stale or foreign files are removed."""
    state = read_state(port)
    if state is None:
        return None
    if isinstance(state, dict) and _trusted(state, port) and is_our_server(
            int(state.get("pid", -1)), state["cmd"]):  # type: ignore[arg-type]
        return state
    clear_state(port)
    return None


def lease_dir(port: int) -> Path:
    """The directory of lease files for ``port`` (created if missing)."""
    path = run_dir() / f"server-{port}.leases"
    path.mkdir(parents=True, exist_ok=True)
    return path


def live_leases(port: int) -> list[Path]:
    """Lease files of live processes; those of dead processes are removed."""
    live = []
    for lease in lease_dir(port).iterdir():
        try:
            pid = int(lease.name.split("-", 1)[0])
        except ValueError:
            pid = -1
        if pid_alive(pid):
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)
    return live


def tidy_locked(port: int) -> None:
    """With the port lock held and no server left: remove the port's lease dir and lock file."""
    if read_state(port) is not None:
        return
    leases = run_dir() / f"server-{port}.leases"
    if leases.is_dir() and live_leases(port):
        return
    with contextlib.suppress(OSError):
        leases.rmdir()
    (run_dir() / f"server-{port}.lock").unlink(missing_ok=True)
