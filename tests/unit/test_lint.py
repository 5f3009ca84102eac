"""The tree passes ruff (configured in pyproject.toml: 100-character lines, pyflakes, syntax)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: `pip install -e '.[dev]'` installs it")
    return [found]


def test_ruff_passes_on_the_whole_tree() -> None:
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_package_module_is_over_400_lines() -> None:
    """Modules are split along their seams before they grow past 400 lines."""
    big = {str(p.relative_to(ROOT)): n for p in (ROOT / "plugin").rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert big == {}
