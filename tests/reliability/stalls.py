"""Real servers for the shared-parts tests, stalled by SIGSTOP and calls run with a bound.

The servers come from ``tests/scaling/servers.py`` (redis-server and PostgreSQL
from the ``[dev]`` wheels, on 127.0.0.1, stopped by PID). :func:`frozen` stops a
server the test started, and every process it forked (PostgreSQL serves each
connection from a child), with SIGSTOP, and resumes them by PID on exit.
:func:`bounded` runs a call in a thread and fails the test, instead of hanging
it, when the call has not returned within its bound.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "scaling"))

from servers import Server, postgres_server, redis_server  # noqa: E402

__all__ = ["Outcome", "Server", "bounded", "frozen", "postgres_server", "redis_server"]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@contextlib.contextmanager
def frozen(pid: int) -> Iterator[None]:
    """SIGSTOP ``pid`` and its children (started by the test); SIGCONT them on exit."""
    pids = [pid, *_children(pid)]
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGCONT)


class Outcome:
    """What a bounded call did: ``value`` or ``error``, and ``seconds`` it took."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.seconds = 0.0


def bounded(call: Callable[[], Any], seconds: float) -> Outcome:
    """Run ``call`` in a thread; fail the test when it has not returned after ``seconds``."""
    out = Outcome()

    def run() -> None:
        t0 = time.monotonic()
        try:
            out.value = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.error = exc
        out.seconds = time.monotonic() - t0

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the call was still blocked after {seconds:g}s"
    return out
