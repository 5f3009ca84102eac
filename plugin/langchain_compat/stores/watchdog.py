"""Bound a wait on a socket whose server stopped answering (one thread for the process).

A server that is stopped (SIGSTOP, a frozen VM, a dead NAT entry) keeps its
connections open: the kernel acknowledges every byte, nothing answers, and a
driver without a socket timeout of its own (libpq) waits forever. The server
cannot enforce a statement timeout while it is stopped. :data:`WATCHDOG` cuts
such a socket (``shutdown``) once its wait passes the deadline: the blocked
read returns, the driver fails with its own "connection lost" error, and the
caller, which armed the watchdog, knows the cause was the timeout.

One daemon thread serves every connection; arming and disarming are a heap
push and a flag under a lock, cheap enough for every round trip.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time

__all__ = ["WATCHDOG", "Watch", "Watchdog"]


class Watch:
    """One armed deadline: ``fired`` once the watchdog cut the socket."""

    __slots__ = ("active", "deadline", "fd", "fired")

    def __init__(self, deadline: float, fd: int) -> None:
        self.deadline, self.fd = deadline, fd
        self.active = True
        self.fired = False


def _cut(fd: int) -> None:
    """Shut the socket behind ``fd`` down (its owner closes it; the fd stays valid)."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


class Watchdog:
    """Cuts sockets whose watch passed its deadline (see the module docstring)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """A fresh state (also in a forked child: the parent's thread and lock stay behind)."""
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, fd: int) -> Watch:
        """Cut ``fd`` in ``seconds`` unless :meth:`disarm` comes first."""
        watch = Watch(time.monotonic() + seconds, fd)
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._seq), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="langchain-compat-watchdog",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()
        return watch

    def disarm(self, watch: Watch) -> bool:
        """Stop ``watch``; True when it had already fired (the socket was cut)."""
        with self._cond:
            watch.active = False
            return watch.fired

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and not self._heap[0][2].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, watch = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                watch.fired = True
                watch.active = False
                _cut(watch.fd)


#: The process's watchdog.
WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=WATCHDOG._reset)
