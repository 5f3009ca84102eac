"""The generated parts of the docs are current, and the figures are not older than their data.

``docs/generate.py`` writes the parts of the Markdown pages made from the code and the data
(inlined examples, provider facts, constructor fields, API summaries, benchmark tables), so the
pages read on GitHub and in an editor; ``docs/figures/make.py`` draws the SVG figures from
``docs/data``. Both are checked here without the site toolchain.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _load(DOCS / "generate.py", "_docs_generate")
make = _load(DOCS / "figures" / "make.py", "_docs_figures_make")


def test_every_generated_part_is_current() -> None:
    stale = [str(p.relative_to(ROOT)) for p in generate.stale_pages()]
    assert not stale, f"not current: {stale}; run: python docs/generate.py"


def test_a_changed_example_makes_its_page_stale(tmp_path: Path) -> None:
    page = (DOCS / "testing.md").read_text(encoding="utf-8")
    assert generate.render_page(page) == page
    edited = page.replace("def test_", "def test_renamed_", 1)  # someone edited the page's copy
    assert generate.render_page(edited) != edited  # generate.py would write the file back


def test_no_page_hides_content_in_a_marker() -> None:
    """Facts are visible tables in the Markdown, not HTML comments filled in by the build."""
    for path in generate.pages():
        text = path.read_text(encoding="utf-8")
        for marker in ("<!-- provider-facts:", "<!-- capability-matrix -->", "<!-- fields:",
                       "--8<--"):
            assert marker not in text, (path, marker)
        for m in generate.REGION.finditer(text):
            assert m["body"].strip(), (path, m["kind"])  # every generated part has content


def test_reference_pages_read_without_the_site() -> None:
    for path in sorted((DOCS / "reference").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        summary = next(generate.REGION.finditer(text), None)
        assert "<!-- generated: api-summary -->" in text, path
        assert "http://127.0.0.1:8000/reference/" in text, path  # where the full page is
        directives = generate._DIRECTIVE.findall(text)
        assert directives and summary is not None
        for name in directives:
            assert f"`{name}`" in text, (path, name)


def test_figures_are_not_older_than_their_data() -> None:
    stale = make.stale()
    assert not stale, f"figures older than their data: {stale}; run: python docs/figures/make.py"


def test_a_changed_data_file_makes_its_figure_stale(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(DOCS / "data", data)
    monkeypatch.setattr(make, "DATA", data)
    assert make.stale() == []
    agent = json.loads((data / "agent-benchmark.json").read_text(encoding="utf-8"))
    agent["clients"]["chatlocal"]["success"] += 1
    (data / "agent-benchmark.json").write_text(json.dumps(agent), encoding="utf-8")
    assert make.stale() == ["agent"]


def test_pages_show_the_figures() -> None:
    for page, figure in (("benchmarks.md", "overhead"), ("agent-benchmark.md", "agent"),
                         ("local.md", "retrieval")):
        assert f"](figures/{figure}.svg)" in (DOCS / page).read_text(encoding="utf-8")
    assert "```mermaid" in (DOCS / "architecture.md").read_text(encoding="utf-8")


def test_figures_are_redrawn_byte_for_byte(tmp_path: Path, monkeypatch) -> None:
    """Deterministic output: with the matplotlib that drew them, the same bytes again."""
    mpl = pytest.importorskip("matplotlib", reason="the docs extra draws the figures")
    recorded = (DOCS / "figures" / "agent.svg").read_text(encoding="utf-8")
    if f"matplotlib {mpl.__version__}" not in recorded:
        pytest.skip(f"the figures were drawn with another matplotlib than {mpl.__version__}")
    monkeypatch.setattr(make, "HERE", tmp_path)
    for name, (_, draw) in make.FIGURES.items():
        draw()
        drawn = (tmp_path / f"{name}.svg").read_bytes()
        assert drawn == (DOCS / "figures" / f"{name}.svg").read_bytes(), name


def test_bench_writes_the_data_the_docs_read() -> None:
    """``python -m bench.agent --docs-data`` writes the shape the tables and figure read."""
    if "_docs_bench" not in sys.modules:  # the repository's bench package, under another name
        spec = importlib.util.spec_from_file_location(
            "_docs_bench", ROOT / "bench" / "__init__.py",
            submodule_search_locations=[str(ROOT / "bench")])
        assert spec is not None and spec.loader is not None
        sys.modules["_docs_bench"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["_docs_bench"])
    report = importlib.import_module("_docs_bench.agent.report")
    committed = json.loads((DOCS / "data" / "agent-benchmark.json").read_text(encoding="utf-8"))
    score = report.Score(client="chatlocal", task="t1", kind="single", rep=0, success=True,
                         calls_right=True, answer_right=True, failed=False, seconds=2.0,
                         prompt_tokens=100, evaluated_tokens=60, invalid_calls=0, turns=2,
                         redundant=0, truncated=0, calls=[],
                         answer="42", error="")
    made = report.docs_data([score], ["chatlocal"], model="m", server="s", date="d")
    assert set(made["clients"]["chatlocal"]) == set(committed["clients"]["chatlocal"])
    assert made["clients"]["chatlocal"]["by_kind"] == {"single": {"success": 1, "runs": 1}}
