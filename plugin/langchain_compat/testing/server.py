"""Run an ASGI app with uvicorn in a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

__all__ = ["ServerThread"]


class _Server(uvicorn.Server):
    """uvicorn.Server that wakes at once on stop instead of polling every 0.1 s."""

    wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            try:
                await asyncio.wait_for(self.wake.wait(), 1.0)
            except TimeoutError:
                pass
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0


class ServerThread:
    """uvicorn serving ``app`` on ``host:port`` (0 = a free port) from a daemon thread.

    Args:
        app: the ASGI app.
        before_stop: called in the server loop when stopping (wake waiters).
        after_stop: awaited in the server loop after uvicorn exits (close clients).
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        before_stop: Callable[[], None] | None = None,
        after_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app, self.host, self.port = app, host, port
        self._before_stop, self._after_stop = before_stop, after_stop
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> int:
        """Bind, start serving, wait until ready; return the port.

        Raises:
            OSError: the port cannot be bound.
            RuntimeError: the server did not start within ``timeout``.
        """
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (it checks
        # sock.proto); without it, Nagle + delayed ACK add ~40 ms to every response.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(2048)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            log_config=None,  # leave the host application's logging configuration alone
            access_log=False,
            lifespan="off",
            ws="none",
            backlog=2048,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        self._server = _Server(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"emulator:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"emulator server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("emulator server did not start in time")
            time.sleep(0.005)
        return self.port

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
        finally:
            try:
                if self._after_stop is not None:
                    loop.run_until_complete(self._after_stop())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                sock.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Wake waiters, stop uvicorn, join the thread (idempotent)."""
        if self._server is None or self._thread is None:
            return
        loop = self.loop
        self._server.should_exit = True
        if loop is not None and not loop.is_closed():
            try:
                if self._before_stop is not None:
                    loop.call_soon_threadsafe(self._before_stop)
                if self._server.wake is not None:
                    loop.call_soon_threadsafe(self._server.wake.set)
            except RuntimeError:  # loop closed meanwhile
                pass
        self._thread.join(timeout)
        if self._thread.is_alive():  # connections still open: force
            self._server.force_exit = True
            self._thread.join(timeout)
        self._thread = None
