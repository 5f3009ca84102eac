"""The llama-server command line: flags, chat template and sampling defaults.

Chat template. llama-server (build 11434) derives its tool-call parser from
the chat template itself: it renders the template with and without calls
and reads the call format off the difference. The GGUF's Qwen template
renders calls inside ``<tool_call>`` tags, but the 0.5B model never writes
that tag (it writes the JSON bare), so no call was ever parsed. We pass our
own (``templates/qwen_hermes.jinja``, package data) with ``--jinja
--chat-template-file``: tools in a ``<tools>`` block of the system turn,
each assistant call as a bare ``{"name": ..., "arguments": {...}}`` line,
tool results as ``<tool_response>`` blocks in a user turn. The parser derived
from it reads the model's JSON lines back into OpenAI ``tool_calls``. The file
is copied into ``<cache>/templates`` under a content-hashed name (llama-server
needs a real path; the package may be zipped), so a running server's template
never changes under it.

Sampling. Greedy decoding of a 0.5B model without a repeat penalty can loop
until the context is full. ``ModelSpec.sampling`` gives server-side defaults
(``--repeat-penalty`` and friends); a request's own ``temperature``/``top_p``
still win, and OpenAI clients never send a repeat penalty.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from langchain_compat.local.cache import templates_dir
from langchain_compat.local.errors import LocalBackendError
from langchain_compat.local.model import ModelSpec

__all__ = ["MODEL_DEFAULT", "packaged_template", "resolve_template", "server_command"]

#: Sentinel for "what the model spec says" (``chat_template``/``sampling`` arguments).
MODEL_DEFAULT = "model-default"


def packaged_template(name: str) -> str:
    """The text of a chat template shipped in ``langchain_compat/local/templates``.

    Raises:
        LocalBackendError: no such template (the message lists the shipped ones).
    """
    folder = importlib.resources.files("langchain_compat.local") / "templates"
    try:
        return (folder / name).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        known = sorted(p.name for p in folder.iterdir() if p.name.endswith(".jinja"))
        raise LocalBackendError(f"no chat template {name!r}; shipped: {', '.join(known)}") from None


def resolve_template(template: str | os.PathLike[str] | None, spec: ModelSpec) -> Path | None:
    """The template file to pass to llama-server, or None for the GGUF's own.

    Args:
        template: :data:`MODEL_DEFAULT` (the spec's ``chat_template``), None
            (the GGUF's template), a shipped template name, or a file path.
        spec: the model served.

    Returns:
        A readable path (shipped templates are copied into ``<cache>/templates``).

    Raises:
        LocalBackendError: unknown shipped name or missing file.
    """
    if template == MODEL_DEFAULT:
        template = spec.chat_template
    if template is None:
        return None
    path = Path(template)
    if path.suffix and path.is_file():
        return path
    if os.sep in str(template):
        raise LocalBackendError(f"chat template file {template} does not exist")
    text = packaged_template(str(template))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    dest = templates_dir() / f"{path.stem}-{digest}.jinja"
    if not dest.is_file():
        tmp = dest.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, dest)
    return dest


def _sampling_flags(sampling: Mapping[str, float]) -> list[str]:
    return [arg for name, value in sampling.items() for arg in (f"--{name}", f"{value:g}")]


def server_command(
    binary: Path,
    gguf: Path,
    spec: ModelSpec,
    *,
    host: str,
    port: int,
    ctx: int | None,
    threads: int | None,
    parallel: int,
    embeddings: bool,
    jinja: bool,
    template: Path | None,
    sampling: Mapping[str, float],
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The full llama-server argv (``extra_args`` last, so they override).

    A template needs ``jinja``: it is ignored when ``jinja`` is False.
    """
    cmd = [
        str(binary), "-m", str(gguf), "--host", host, "--port", str(port),
        "-c", str(ctx or spec.context_window),
        "-t", str(threads or max(1, min(os.cpu_count() or 2, 8))),
        "-np", str(parallel), "--alias", spec.name, "--no-webui",
        "--jinja" if jinja else "--no-jinja",
    ]
    if jinja and template is not None:
        cmd += ["--chat-template-file", str(template)]
    cmd += _sampling_flags(sampling)
    if embeddings:
        cmd += ["--embeddings", "--pooling", "mean"]
    cmd += list(extra_args)
    return cmd
