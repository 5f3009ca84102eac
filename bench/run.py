"""One-command benchmark: ``python -m bench`` (or ``python bench/run.py``), ``--quick`` for CI.

Starts the stub server (``bench/server.py``) in its own process pinned to core
1, runs every (client, metric) in a fresh worker process pinned to core 0,
and prints one table of absolute figures and ratios against the floors
measured in the same invocation, then the targets with PASS/MISS.

Each worker is repeated ``--reps`` times, interleaved across clients (A B C A
B C) so that load from elsewhere on the machine hits all clients alike, and
the best repetition is kept (lowest latency, highest rate): the best run is
the one least disturbed by noise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_CPU, CLIENT_CPU = (1, 0) if (os.cpu_count() or 1) >= 2 else (None, None)

CHAT = ["httpx", "lc-floor", "chatopenai", "ours", "ours-emulated"]
PLAN: list[tuple[str, list[str]]] = [
    ("import", ["httpx", "lc-floor", "chatopenai", "ours"]),
    ("seq", CHAT),
    ("mem", CHAT),
    ("aseq", ["httpx", "lc-floor", "chatopenai", "ours"]),
    ("conc", ["httpx", "httpx-200", "lc-floor", "openai-sdk", "chatopenai", "ours"]),
    ("stream", ["httpx", "lc-floor", "openai-sdk", "chatopenai", "ours", "ours-emulated"]),
    ("embed", ["emb-floor-b64", "emb-floor-float", "openai-emb", "openai-emb-float", "ours-emb-b64",
               "ours-emb-float"]),
]

FULL = {
    "import": {"runs": 5, "constructs": 20},
    "seq": {"warmup": 200, "n": 1000, "budget": 30},
    "mem": {"warmup": 0, "n": 1000, "total": 10000, "budget": 90, "reps": 1},
    "aseq": {"warmup": 200, "n": 1000, "budget": 30},
    "conc": {"conc": 200, "total": 1000, "rounds": 3, "budget": 60, "reps": 2},
    "stream": {"rounds": 5, "budget": 30},
    "embed": {"rounds": 5, "budget": 30, "reps": 2},
    "reps": 3,
}
QUICK = {
    "import": {"runs": 2, "constructs": 10},
    "seq": {"warmup": 50, "n": 300, "total": 1000, "budget": 15},
    "aseq": {"warmup": 50, "n": 300, "budget": 15},
    "conc": {"conc": 200, "total": 1000, "rounds": 1, "budget": 30},
    "stream": {"rounds": 2, "budget": 15},
    "embed": {"rounds": 2, "budget": 15},
    "reps": 1,
    "group": True,  # one process per client for all its metrics (process start-up dominates)
}
SMOKE = {  # the test suite: a few iterations, no timing claims
    "import": {"runs": 1, "constructs": 2},
    "seq": {"warmup": 2, "n": 10, "total": 20, "budget": 10},
    "aseq": {"warmup": 2, "n": 10, "budget": 10},
    "conc": {"conc": 20, "total": 40, "rounds": 1, "budget": 20},
    "stream": {"rounds": 1, "budget": 10},
    "embed": {"rounds": 1, "budget": 10},
    "reps": 1,
    "group": True,
}
BETTER_LOW = {"import": "import_ms", "seq": "p50_ms", "mem": "p50_ms", "aseq": "p50_ms",
              "embed": "ms"}
BETTER_HIGH = {"conc": "rps", "stream": "chunks_per_s"}


# -- processes --------------------------------------------------------------
def start_server(ttl: float, chunks: int) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "bench.server", "--ttl", str(ttl), "--chunks", str(chunks)]
    if SERVER_CPU is not None:
        cmd += ["--cpu", str(SERVER_CPU)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"stub server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def run_worker(client: str, metric: str, url: str, params: dict[str, Any], timeout: float,
               profile: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.worker", client, metric, "--url", url,
           "--params", json.dumps(params)]
    if CLIENT_CPU is not None:
        cmd += ["--cpu", str(CLIENT_CPU)]
    if profile:
        cmd += ["--profile", profile]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                             check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1][:300]}


def better(metric: str, a: dict[str, Any], b: dict[str, Any] | None) -> dict[str, Any]:
    if b is None or "error" in b:
        return a
    if "error" in a:
        return b
    if metric in BETTER_HIGH:
        return a if a[BETTER_HIGH[metric]] >= b[BETTER_HIGH[metric]] else b
    return a if a[BETTER_LOW[metric]] <= b[BETTER_LOW[metric]] else b


def _timeout(params: dict[str, Any]) -> float:
    return params.get("budget", 60) * 4 + 60


def collect(url: str, cfg: dict[str, Any], only: set[str] | None, log) -> dict[str, dict[str, Any]]:
    """Run the plan; with ``cfg["group"]`` each client runs all its metrics in one process."""
    results: dict[str, dict[str, Any]] = {}
    plan = [(m, [c for c in cs if only is None or c in only]) for m, cs in PLAN if m in cfg]
    if cfg.get("group"):
        per_client: dict[str, list[str]] = {}
        for metric, clients in plan:
            if metric != "import":
                for c in clients:
                    per_client.setdefault(c, []).append(metric)
        for metric, _ in plan:
            results.setdefault(metric, {})
        for _ in range(cfg["reps"]):
            for c, metrics in per_client.items():
                params = {m: cfg[m] for m in metrics}
                budget = sum(_timeout(p) for p in params.values())
                r = run_worker(c, ",".join(metrics), url, params, budget)
                for m in metrics:
                    got = r.get(m, r) if len(metrics) > 1 else r
                    results[m][c] = better(m, got, results[m].get(c))
        plan = ([(m, cs) for m, cs in plan if m == "import"]
                + [(m, []) for m, _ in plan if m != "import"])
        for m, _ in plan:
            for c in results.get(m, {}):
                log(f"  {m:7s} {c:16s} {json.dumps(results[m][c])[:160]}")
    for metric, clients in plan:
        if not clients:
            continue
        params = cfg[metric]
        timeout = _timeout(params)
        res: dict[str, Any] = {}
        if metric == "import":  # fresh process per run, median of runs
            runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
            for _ in range(params["runs"]):
                for c in clients:
                    runs[c].append(run_worker(c, "import", url, params, 120))
            for c, rs in runs.items():
                ok = [r for r in rs if "error" not in r]
                if not ok:
                    res[c] = rs[0]
                    continue
                res[c] = {k: sorted(r[k] for r in ok)[len(ok) // 2] for k in ok[0]}
        else:
            for _ in range(params.get("reps", cfg["reps"])):
                for c in clients:
                    res[c] = better(metric, run_worker(c, metric, url, params, timeout), res.get(c))
        for c in clients:
            log(f"  {metric:7s} {c:16s} {json.dumps(res[c])[:160]}")
        results[metric] = res
    return results


# -- the table ----------------------------------------------------------------
def _get(results, metric, client, key):
    r = results.get(metric, {}).get(client)
    if not r or "error" in r or key not in r:
        return None
    return r[key]


def rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (measure, client): value, unit, ratio to floor and to ChatOpenAI."""
    from bench.clients import CLIENTS

    spec = [  # (measure, metric, key, unit, floor client, reference client)
        ("invoke p50", "seq", "p50_ms", "ms", "httpx", "chatopenai"),
        ("invoke p99", "seq", "p99_ms", "ms", "httpx", "chatopenai"),
        ("invoke CPU per call", "seq", "cpu_us", "us", "httpx", "chatopenai"),
        ("ainvoke p50", "aseq", "p50_ms", "ms", "httpx", "chatopenai"),
        ("ainvoke p99", "aseq", "p99_ms", "ms", "httpx", "chatopenai"),
        ("ainvoke CPU per call", "aseq", "cpu_us", "us", "httpx", "chatopenai"),
        ("200-concurrent ainvoke", "conc", "rps", "req/s", "httpx", "chatopenai"),
        ("200-concurrent CPU per call", "conc", "cpu_us", "us", "httpx", "chatopenai"),
        ("astream (2000 chunks)", "stream", "chunks_per_s", "chunks/s", "httpx", "chatopenai"),
        ("astream per chunk", "stream", "us_per_chunk", "us", "httpx", "chatopenai"),
        ("astream CPU per chunk", "stream", "cpu_us", "us", "httpx", "chatopenai"),
        ("embeddings 1000x1024", "embed", "ms", "ms", "emb-floor-b64", "openai-emb"),
        ("import", "import", "import_ms", "ms", "httpx", "chatopenai"),
        ("RSS after import", "import", "rss_import_mb", "MB", "httpx", "chatopenai"),
        ("RSS after invoke loop", "mem" if "mem" in results else "seq", "rss_end_mb", "MB", "httpx",
         "chatopenai"),
        ("construct (first)", "import", "construct_first_ms", "ms", None, "chatopenai"),
        ("construct (warm)", "import", "construct_ms", "ms", None, "chatopenai"),
    ]
    out = []
    for measure, metric, key, unit, floor, ref in spec:
        fv = _get(results, metric, floor, key) if floor else None
        rv = _get(results, metric, ref, key)
        got = results.get(metric, {})
        order = [c for _, cs in PLAN for c in cs if c in got]
        for client in dict.fromkeys(order):
            r = got[client]
            v = _get(results, metric, client, key)
            row = {"measure": measure, "client": client, "label": CLIENTS[client].label,
                   "unit": unit, "value": v,
                   "error": r.get("error") if isinstance(r, dict) else None,
                   "vs_floor": v / fv if v is not None and fv else None,
                   "vs_ref": v / rv if v is not None and rv else None}
            if key == "rss_end_mb" and r and "calls" in r:
                row["measure"] = f"RSS after {r['calls']} invokes"
            if metric == "conc" and r and r.get("errors"):
                row["note"] = f"{r['errors']} errors: {r['first_error']}"
            out.append(row)
    # emulation's added cost, per call and per chunk
    for measure, metric, key, unit in (
            ("emulation cost per call", "seq", "p50_ms", "us"),
            ("emulation cost per chunk", "stream", "us_per_chunk", "us")):
        e, p = _get(results, metric, "ours-emulated", key), _get(results, metric, "ours", key)
        scale = 1e3 if key == "p50_ms" else 1.0
        out.append({"measure": measure, "client": "ours-emulated", "label": "emulated - plain",
                    "unit": unit,
                    "value": (e - p) * scale if e is not None and p is not None else None,
                    "vs_floor": None, "vs_ref": None,
                    "error": None if e is not None else "emulation run failed or absent"})
    return out


TARGETS = [  # (name, measure client metric key, against client, op, limit)
    ("invoke p50 <= 1.6x httpx floor", "seq", "p50_ms", "httpx", "<=", 1.6),
    ("invoke p50 <= 0.4x ChatOpenAI", "seq", "p50_ms", "chatopenai", "<=", 0.4),
    ("ainvoke p50 <= 1.5x httpx floor", "aseq", "p50_ms", "httpx", "<=", 1.5),
    ("200-concurrent >= 1.5x ChatOpenAI", "conc", "rps", "chatopenai", ">=", 1.5),
    ("200-concurrent >= openai SDK", "conc", "rps", "openai-sdk", ">=", 1.0),
    ("astream >= 3x ChatOpenAI chunks/s", "stream", "chunks_per_s", "chatopenai", ">=", 3.0),
    ("embeddings <= 1.3x base64 floor", "embed", "ms", "emb-floor-b64", "<=", 1.3),
    ("import <= 0.5x langchain_openai", "import", "import_ms", "chatopenai", "<=", 0.5),
    ("construct (first) <= 10 ms", "import", "construct_first_ms", None, "<=", 10.0),
    ("RSS after import <= 0.6x ChatOpenAI", "import", "rss_import_mb", "chatopenai", "<=", 0.6),
]


def targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, metric, key, against, op, limit in TARGETS:
        ours = "ours-emb-b64" if metric == "embed" else "ours"
        v = _get(results, metric, ours, key)
        base = _get(results, metric, against, key) if against else 1.0
        if v is None or not base:
            out.append({"target": name, "ratio": None, "status": "SKIP"})
            continue
        ratio = v / base
        ok = ratio <= limit if op == "<=" else ratio >= limit
        out.append({"target": name, "ratio": ratio, "unit": "ms" if against is None else "x",
                    "status": "PASS" if ok else "MISS"})
    return out


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if unit in ("req/s", "chunks/s"):
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def render(results: dict[str, dict[str, Any]], markdown: bool = False) -> str:
    table = [("measure", "client", "value", "unit", "x floor", "x ChatOpenAI")]
    for r in rows(results):
        value = (_fmt(r["value"], r["unit"]) if r["value"] is not None
                 else f"n/a ({r['error']})"[:60])
        if r.get("note"):
            value += f" [{r['note'][:50]}]"
        table.append((r["measure"], r["label"], value, r["unit"],
                      f"{r['vs_floor']:.2f}x" if r["vs_floor"] is not None else "",
                      f"{r['vs_ref']:.2f}x" if r["vs_ref"] is not None else ""))
    table.append(("", "", "", "", "", ""))
    table.append(("target (ours, same run)", "", "ratio", "", "", "status"))
    for t in targets(results):
        ratio = "-" if t["ratio"] is None else (f"{t['ratio']:.1f} ms" if t["unit"] == "ms"
                                                 else f"{t['ratio']:.2f}x")
        table.append((t["target"], "", ratio, "", "", t["status"]))
    widths = [max(len(str(row[i])) for row in table) for i in range(6)]
    if markdown:
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join("---" for _ in widths) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table[1:] if any(row)]
        return "\n".join(lines)
    fmt = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*table[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*row) for row in table[1:]]
    return "\n".join(lines)


def _env() -> dict[str, Any]:
    """Where the run was made: python, cores, load, and the versions of the clients measured
    (docs/benchmarks.md says it from docs/data/benchmarks.json, a ``--json`` output)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                           "note": f"load average {os.getloadavg()[0]:.1f}"}
    for dist in ("httpx", "langchain-core", "langchain-openai", "openai"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="langchain-compat benchmarks (loopback stub server)")
    ap.add_argument("--quick", action="store_true", help="CI size: finishes in under 2 minutes")
    ap.add_argument("--smoke", action="store_true", help="a few iterations only (the test suite)")
    ap.add_argument("--json", help="also write the raw results, rows and targets here")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--only", help="comma-separated client names (default: all)")
    ap.add_argument("--reps", type=int, help="override repetitions per worker")
    ap.add_argument("-q", "--quiet", action="store_true", help="no per-worker progress lines")
    args = ap.parse_args(argv)
    cfg = dict(SMOKE if args.smoke else QUICK if args.quick else FULL)
    if args.reps:
        cfg["reps"] = args.reps
    only = set(args.only.split(",")) if args.only else None
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    t0 = time.monotonic()
    server, url = start_server(ttl=900, chunks=2000)
    try:
        log(f"stub server {url} (server cpu {SERVER_CPU}, clients cpu {CLIENT_CPU})")
        results = collect(url, cfg, only, log)
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
    elapsed = time.monotonic() - t0
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    print(render(results, markdown=args.markdown))
    print(f"\n({mode} run, {elapsed:.0f} s, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cpus, load avg {os.getloadavg()[0]:.1f})")
    if args.json:
        with open(args.json, "w") as f:
            plan = {m: [c for c in cs if only is None or c in only] for m, cs in PLAN if m in cfg}
            json.dump({"mode": mode, "elapsed_s": elapsed, "env": _env(), "plan": plan,
                       "results": results, "rows": rows(results), "targets": targets(results)},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    raise SystemExit(main())
