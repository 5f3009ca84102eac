"""The capability matrix: what every registered provider can do, from its profile.

``langchain-compat providers [--format table|markdown|json]`` prints it; the
docs reuse :func:`capability_matrix` (one dict per provider) and
:func:`render_markdown`. Everything comes from the provider records and their
profiles (``langchain_compat.providers.PROVIDERS``), so the matrix is never
out of date with the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_compat.providers import PROVIDERS, Provider

__all__ = ["COLUMNS", "NARROW_COLUMNS", "add_arguments", "capability_matrix", "render_markdown",
           "render_table", "run"]

#: (key, column title) in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("provider", "provider"),
    ("tools", "tools"),
    ("tool_choice", "tool_choice"),
    ("parallel_tool_calls", "parallel calls"),
    ("json_mode", "json mode"),
    ("json_schema", "json schema"),
    ("stream_usage", "stream usage"),
    ("tool_role", "tool role"),
    ("image_inputs", "images"),
    ("context_window", "context"),
    ("rate_limit_rpm", "rpm limit"),
    ("embeddings", "embeddings"),
    ("auth", "auth"),
    ("default_model", "default model"),
)

#: The columns of the default terminal table (fits 100 columns; ``--wide`` shows :data:`COLUMNS`).
NARROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("provider", "provider"),
    ("tools", "tools"),
    ("tool_choice", "choice"),
    ("parallel_tool_calls", "parallel"),
    ("json_mode", "json"),
    ("json_schema", "schema"),
    ("tool_role", "tool role"),
    ("embeddings", "embeddings"),
    ("context_window", "context"),
    ("rate_limit_rpm", "rpm"),
)

_LEGEND = (
    "tools: native = sent in the OpenAI tools field; emulated = rendered into the prompt and "
    "parsed\nback; auto = tried natively once, emulated if the backend refuses."
)


def _tools(native: bool | None) -> str:
    # Tri-state profile flag: True native, False always emulated, None probed by
    # tool_calling="auto".
    return {True: "native", False: "emulated", None: "auto"}[native]


def _row(provider: Provider) -> dict[str, Any]:
    profile = provider.profile_for(provider.default_model)
    unsupported = sorted(name for name, rule in profile.params.items() if not rule.supported)
    auth = provider.auth.header or "none"
    if provider.auth.header and provider.auth.prefix.strip():
        auth = f"{provider.auth.header}: {provider.auth.prefix.strip()}"
    if provider.auth.header and not provider.requires_api_key:
        auth += " (optional)"
    return {
        "provider": provider.name,
        "display_name": provider.display_name,
        "base_url": provider.base_url,
        "base_url_env": provider.base_url_env,
        "api_key_env": provider.api_key_env,
        "auth": auth,
        "requires_api_key": provider.requires_api_key,
        "default_model": provider.default_model,
        "models": list(provider.models),
        "tools": _tools(profile.native_tools),
        "native_tools": profile.native_tools,
        "tool_choice": profile.tool_choice,
        "parallel_tool_calls": profile.parallel_tool_calls,
        "json_mode": profile.json_mode,
        "json_schema": profile.json_schema,
        "stream_usage": profile.stream_usage,
        "tool_role": profile.tool_role,
        "image_inputs": profile.image_inputs,
        "context_window": profile.context_window,
        "rate_limit_rpm": profile.rate_limit_rpm,
        "embeddings": bool(provider.embedding_models) or profile.embeddings is not None,
        "embedding_models": list(provider.embedding_models),
        "unsupported_params": unsupported,
        "notes": profile.notes,
    }


def capability_matrix(providers: Mapping[str, Provider] | None = None) -> list[dict[str, Any]]:
    """One dict per provider with its connection facts and profile flags.

    Args:
        providers: the registry to read (default ``PROVIDERS``).

    Returns:
        Rows in registry order; keys include every column of :data:`COLUMNS`
        plus ``base_url``, env var names, ``models``, ``unsupported_params``
        and ``notes``. Values are JSON-serializable.
    """
    registry = PROVIDERS if providers is None else providers
    return [_row(p) for p in registry.values()]


def _cell(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_table(rows: Sequence[Mapping[str, Any]],
                 columns: Sequence[tuple[str, str]] = NARROW_COLUMNS) -> str:
    """A fixed-width text table of ``rows`` (for the terminal).

    Args:
        rows: rows of :func:`capability_matrix`.
        columns: (key, title) pairs; the default fits 100 columns, :data:`COLUMNS` is every one.

    Returns:
        The table, header and rule first, without a trailing newline.
    """
    header = [title for _, title in columns]
    body = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of ``rows`` (for the docs)."""
    header = [title for _, title in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [_cell(row.get(key)).replace("|", "\\|") for key, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``langchain-compat providers``."""
    parser.add_argument(
        "--format", choices=("table", "markdown", "json"), default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "--wide", action="store_true",
        help="table with every column (auth, stream usage, images, default model); "
             "wider than 100 columns",
    )


def run(args: argparse.Namespace) -> int:
    """Print the capability matrix; returns the exit code."""
    rows = capability_matrix()
    fmt = getattr(args, "format", "table")
    if fmt == "json":
        out = json.dumps(rows, indent=2)
    elif fmt == "markdown":
        out = render_markdown(rows)
    else:
        wide = getattr(args, "wide", False)
        out = render_table(rows, COLUMNS if wide else NARROW_COLUMNS) + "\n\n" + _LEGEND
        if not wide:
            out += "\nMore columns (auth, default model, ...): --wide, or --format json."
    sys.stdout.write(out + "\n")
    return 0
