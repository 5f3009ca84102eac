"""The emulator example shown on the testing page (docs/examples/test_with_emulator.py,
included verbatim by the page) is run here, so the documented example keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "test_with_emulator.py"

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")


def test_testing_page_includes_the_example() -> None:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    assert '--8<-- "docs/examples/test_with_emulator.py"' in page


def test_emulator_example_passes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(EXAMPLE.parent), "--confcutdir", str(EXAMPLE.parent), str(EXAMPLE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " passed" in out and "skipped" not in out, out
