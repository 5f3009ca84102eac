"""The benchmark harness runs end to end (a few iterations; no timing assertions).

``python -m bench --smoke`` starts the stub server, runs every client in its
own worker process and prints the table; this checks that every client of
every metric produced a row with a value (the optional ones - our embeddings
and emulated tools - may report their absence instead).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPTIONAL = {"ours-emb-b64", "ours-emb-float", "ours-emulated"}

pytestmark = [pytest.mark.load, pytest.mark.timeout(300)]


def test_quick_harness_produces_a_row_per_client(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--quiet", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())

    assert data["plan"]["seq"] and data["plan"]["conc"]
    for metric, clients in data["plan"].items():
        got = data["results"][metric]
        for client in clients:
            assert client in got, f"no {metric} result for {client}"
            if client not in OPTIONAL:
                assert "error" not in got[client], f"{metric}/{client}: {got[client]}"
    measures = {(r["measure"], r["client"]) for r in data["rows"]}
    for client in ("httpx", "lc-floor", "chatopenai", "ours"):
        assert ("invoke p50", client) in measures
        assert ("astream (2000 chunks)", client) in measures
    assert ("200-concurrent ainvoke", "openai-sdk") in measures
    assert {t["status"] for t in data["targets"]} <= {"PASS", "MISS", "SKIP"}
    assert "target (ours, same run)" in proc.stdout
