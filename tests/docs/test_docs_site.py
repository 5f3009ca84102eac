"""The documentation site builds with ``mkdocs build --strict`` (no warnings), and the
generated parts (capability matrix, provider facts, API reference) are in it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _missing() -> list[str]:
    out = []
    for name in NEEDED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            out.append(name)
    return out


pytestmark = pytest.mark.skipif(
    bool(_missing()),
    reason=f"docs toolchain not installed ({', '.join(_missing())}); "
    "pip install -e '.[docs]' to build the site",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    warnings = [line for line in log.splitlines() if line.startswith("WARNING")]
    assert not warnings, "\n".join(warnings)
    return out


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def test_site_builds_strict(site: Path) -> None:
    for page in ("quickstart", "tool-calling", "structured-output", "embeddings", "memory",
                 "testing", "capabilities", "benchmarks", "providers/cotomi", "providers/telkom",
                 "providers/ektos", "providers/avangenio", "providers/openai-compatible",
                 "reference/chat-models", "migrating-from-chatopenai"):
        assert (site / page / "index.html").is_file(), page


def test_capability_matrix_is_generated_from_the_profiles(site: Path) -> None:
    from langchain_compat.providers import PROVIDERS
    from langchain_compat.providers.matrix import capability_matrix

    html = _page(site, "capabilities")
    assert "<!-- capability-matrix -->" not in html
    for row in capability_matrix():
        assert f"<td>{row['provider']}</td>" in html
        assert f"<td>{row['auth']}</td>" in html
    assert len(PROVIDERS) == html.count("<tr>") - 1  # one row per provider plus the header


def test_provider_pages_show_the_records(site: Path) -> None:
    telkom = _page(site, "providers/telkom")
    assert "x-api-key: &lt;key&gt;" in telkom
    assert "telkom-ai-dag.api.apilogy.id/Telkom-LLM/0.0.4" in telkom
    assert "7 requests/minute" in telkom
    cotomi = _page(site, "providers/cotomi")
    assert "COTOMI_BASE_URL" in cotomi and "logit_bias" in cotomi and "512 tokens/input" in cotomi


def test_api_reference_is_rendered_from_docstrings(site: Path) -> None:
    html = _page(site, "reference/chat-models")
    for name in ("ChatCotomi", "ChatTelkom", "ChatOpenAICompatible", "bind_tools",
                 "with_structured_output"):
        assert name in html
    assert "cotomi has no native function calling" in html  # a docstring's text


def test_testing_page_includes_the_executed_example(site: Path) -> None:
    html = _page(site, "testing")
    assert "test_tool_round_trip" in html
    assert "--8&lt;--" not in html and "--8<--" not in html
