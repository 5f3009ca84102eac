"""The capability matrix: rows mirror the provider profiles; the CLI prints them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from langchain_compat.providers import PROVIDERS
from langchain_compat.providers.matrix import (
    COLUMNS,
    capability_matrix,
    render_markdown,
    render_table,
)


def test_one_row_per_provider_in_registry_order() -> None:
    rows = capability_matrix()
    assert [r["provider"] for r in rows] == list(PROVIDERS)


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_rows_mirror_profiles(name: str) -> None:
    row = next(r for r in capability_matrix() if r["provider"] == name)
    provider = PROVIDERS[name]
    profile = provider.profile_for(provider.default_model)
    for flag in ("native_tools", "tool_choice", "parallel_tool_calls", "json_mode", "json_schema",
                 "stream_usage", "tool_role", "image_inputs", "context_window", "rate_limit_rpm"):
        assert row[flag] == getattr(profile, flag), flag
    assert row["tools"] == {True: "native", False: "emulated", None: "auto"}[profile.native_tools]
    assert all(key in row for key, _ in COLUMNS)
    json.dumps(row)  # serializable for the docs


def test_known_facts() -> None:
    rows = {r["provider"]: r for r in capability_matrix()}
    assert rows["cotomi"]["tools"] == "emulated"
    assert "logit_bias" in rows["cotomi"]["unsupported_params"]
    assert rows["cotomi"]["embeddings"] is True
    assert rows["telkom"]["auth"] == "x-api-key" and rows["telkom"]["rate_limit_rpm"] == 7.0
    assert rows["local"]["auth"].endswith("(optional)")


def test_renderers() -> None:
    rows = capability_matrix()
    table = render_table(rows).splitlines()
    assert len(table) == len(rows) + 2 and table[0].startswith("provider")
    md = render_markdown(rows).splitlines()
    assert md[0].startswith("| provider |") and len(md) == len(rows) + 2


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_cli(fmt: str) -> None:
    out = subprocess.run(check=False, args=[sys.executable, "-m", "langchain_compat.cli",
                                            "providers", "--format", fmt],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for name in PROVIDERS:
        assert name in out.stdout
    if fmt == "json":
        assert json.loads(out.stdout) == capability_matrix()
