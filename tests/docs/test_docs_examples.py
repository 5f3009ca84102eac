"""The examples shown on the testing page (docs/examples/test_with_emulator.py and
test_agent_offline.py, included verbatim by the page) are run here, so the documented
examples keep working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "docs" / "examples" / name
            for name in ("test_with_emulator.py", "test_agent_offline.py")]

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_testing_page_includes_the_example(example: Path) -> None:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    assert f'--8<-- "docs/examples/{example.name}"' in page


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_emulator_example_passes(tmp_path: Path, example: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(example.parent), "--confcutdir", str(example.parent), str(example)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " passed" in out and "skipped" not in out, out
