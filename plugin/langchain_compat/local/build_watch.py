"""Run the llama.cpp build as a subprocess: log every line, report progress as it goes.

:func:`run_logged` starts the command, copies its output into the log file, feeds each
line to a :class:`~.build_progress.BuildProgress` and calls ``progress`` with a reading
every ``every`` seconds. On a terminal (``live``) one line is rewritten in place each second
instead. Every wait has a bound: ``timeout`` ends the build (the process group is killed).
The build runs in its own process group, so an interrupt, a SIGTERM (while this runs in the
main thread) or a timeout kills every compiler it started, not only pip.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from langchain_compat.local.build_progress import BuildProgress

__all__ = ["run_logged"]


def _pump(stream: TextIO, log: TextIO, tracker: BuildProgress, lock: threading.Lock) -> None:
    for line in stream:
        log.write(line)
        with lock:
            tracker.feed(line, time.monotonic())
    log.flush()


class _Terminated(Exception):
    """SIGTERM arrived while the build ran."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`_Terminated` (main thread only) so the build is killed too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_logged(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    tracker: BuildProgress,
    progress: Callable[[str], None] | None,
    every: float = 30.0,
    live: bool = False,
    timeout: float | None = None,
    out: TextIO | None = None,
    header: str | None = None,
) -> int:
    """Run ``cmd`` to the end; return its exit code (-9 when ``timeout`` killed it).

    Args:
        cmd: the command (its stdout and stderr both go to the log).
        env: its environment.
        log_path: the log file (overwritten; starts with the command line).
        tracker: fed every output line.
        progress: called with a progress line every ``every`` seconds (None: quiet).
        every: seconds between progress lines when not ``live``.
        live: rewrite one line in place on ``out`` each second (a terminal) instead.
        timeout: seconds after which the build is killed (None: no limit).
        out: the stream ``live`` writes to (default: sys.stdout).
        header: the log's first line after ``$`` (default: the command).
    """
    stream = out or sys.stdout
    lock = threading.Lock()
    with log_path.open("w") as log, _sigterm_raises():
        log.write(f"$ {header or ' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.Popen(
            list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env), text=True, errors="replace", bufsize=1, start_new_session=True,
        )
        assert proc.stdout is not None
        reader = threading.Thread(target=_pump, args=(proc.stdout, log, tracker, lock), daemon=True)
        reader.start()
        next_report = time.monotonic() + (1.0 if live else every)
        try:
            while proc.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.5)
                now = time.monotonic()
                if timeout is not None and now - tracker.start > timeout:
                    _kill(proc)
                    return -9
                if progress is not None and now >= next_report and proc.poll() is None:
                    with lock:
                        reading = tracker.estimate(now).render()
                    if live:
                        stream.write("\r" + reading.ljust(100))
                        stream.flush()
                        next_report = now + 1.0
                    else:
                        progress("  " + reading)
                        next_report = now + every
        except BaseException:
            _kill(proc)
            raise
        finally:
            reader.join(timeout=10)
            if live and progress is not None:
                stream.write("\r" + " " * 100 + "\r")
                stream.flush()
        with lock:
            tracker.finish()
        return proc.returncode


def _kill(proc: subprocess.Popen[str]) -> None:
    """Kill the build's whole process group (pip, cmake, make, the compilers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
