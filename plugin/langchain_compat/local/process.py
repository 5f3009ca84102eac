"""The llama-server process: is it alive, is it ours, stop it, read its log.

Servers started by this Python process are kept in :data:`CHILDREN` (their
``Popen``) so they can be reaped; servers started by another process are
recognised by PID and their whole recorded command line (``/proc``), which
guards against PID reuse.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CHILDREN", "is_our_server", "log_tail", "pid_alive", "terminate"]

#: Popen objects of servers started by this process, so they can be reaped.
CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a live, non-zombie process (any program)."""
    if pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass
    try:  # no /proc (macOS)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_our_server(pid: int, cmd: Sequence[str] | None = None) -> bool:
    """True if ``pid`` is a live llama-server process (guards against PID reuse).

    With ``cmd`` (the command line recorded when we started it), the process's
    own command line must be exactly that: another llama-server that took a stale
    PID (one the user started by hand) is not ours to stop.
    """
    child = CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        CHILDREN.pop(pid, None)  # reaped now
        return False
    if not pid_alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return True  # no /proc: trust the state file's PID
    args = [a.decode(errors="replace") for a in argv]
    if cmd is not None and args != [str(c) for c in cmd]:
        return False
    return os.path.basename(args[0]).startswith("llama-server")


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_our_server(pid):
            return True
        time.sleep(0.05)
    return not is_our_server(pid)


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reap if it is our child."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, wait):
            break
    child = CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when unreadable)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
