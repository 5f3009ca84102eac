"""Run one metric for one client in this (fresh) process; print one JSON line.

Usage: ``python -m bench.worker CLIENT METRIC --url URL --params JSON``.
Every loop is bounded by a count and by ``budget`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time

perf = time.perf_counter
cpu = time.process_time  # CPU time: insensitive to how long the scheduler keeps us waiting


def boost_priority() -> None:
    """Raise our scheduling priority when allowed (root): on a shared, loaded
    machine a sleeping client otherwise waits a whole time slice of another
    tenant's process before it sees its response, which adds milliseconds of
    noise to every sequential latency. Applied alike to the server and every
    client, so ratios stay fair."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -10)
    except (OSError, AttributeError):
        pass


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def median(values: list[float]) -> float:
    return pct(values, 0.5)


def m_import(client, p) -> dict:
    """Wall time of the import statement in a fresh process, RSS after it, construction."""
    t0 = perf()
    exec(client.import_stmt, {})  # noqa: S102 - the statement under test, from clients.py
    t_import = perf() - t0
    rss = rss_mb()
    t0 = perf()
    client.construct()
    first = perf() - t0
    warm = []
    for _ in range(p.get("constructs", 20)):
        t0 = perf()
        client.construct()
        warm.append(perf() - t0)
    return {"import_ms": t_import * 1e3, "rss_import_mb": rss, "construct_first_ms": first * 1e3,
            "construct_ms": median(warm) * 1e3}


def m_seq(client, p) -> dict:
    """Sequential sync invoke: p50/p99 over ``n`` calls, RSS before and after ``total`` calls."""
    client.setup()
    rss0 = rss_mb()
    deadline = perf() + p["budget"]
    for _ in range(p["warmup"]):
        client.invoke()
    lat = []
    c0 = cpu()
    for _ in range(p["n"]):
        t0 = perf()
        client.invoke()
        lat.append(perf() - t0)
        if perf() > deadline:
            break
    cpu_call = (cpu() - c0) / len(lat)
    done = p["warmup"] + len(lat)
    for _ in range(max(0, p.get("total", 0) - done)):
        client.invoke()
        done += 1
        if perf() > deadline:
            break
    gc.collect()
    return {"p50_ms": median(lat) * 1e3, "p99_ms": pct(lat, 0.99) * 1e3, "cpu_us": cpu_call * 1e6,
            "calls": done, "rss_start_mb": rss0, "rss_end_mb": rss_mb()}


async def m_aseq(client, p) -> dict:
    client.setup()
    deadline = perf() + p["budget"]
    for _ in range(p["warmup"]):
        await client.ainvoke()
    lat = []
    c0 = cpu()
    for _ in range(p["n"]):
        t0 = perf()
        await client.ainvoke()
        lat.append(perf() - t0)
        if perf() > deadline:
            break
    return {"p50_ms": median(lat) * 1e3, "p99_ms": pct(lat, 0.99) * 1e3,
            "cpu_us": (cpu() - c0) / len(lat) * 1e6, "calls": len(lat)}


async def m_conc(client, p) -> dict:
    """``total`` ainvoke calls by ``conc`` concurrent workers; req/s per round, median."""
    client.setup()
    await client.ainvoke()
    conc, total = p["conc"], p["total"]
    errors: list[str] = []

    async def worker(k: int) -> None:
        for _ in range(k):
            try:
                await client.ainvoke()
            except Exception as exc:  # noqa: BLE001 - counted, shown, never hidden
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    # warm-up: one call per worker, so every client starts with its pool opened
    await asyncio.wait_for(asyncio.gather(*(worker(1) for _ in range(conc))), p["budget"])
    rates: list[float] = []
    cpus: list[float] = []
    deadline = perf() + p["budget"]
    for _ in range(p["rounds"]):
        share = [total // conc + (1 if i < total % conc else 0) for i in range(conc)]
        t0, c0 = perf(), cpu()
        await asyncio.wait_for(asyncio.gather(*(worker(k) for k in share)), p["budget"])
        rates.append(total / (perf() - t0))
        cpus.append((cpu() - c0) / total)
        if perf() > deadline:
            break
    return {"rps": median(rates) if rates else 0.0, "rounds": rates, "cpu_us": median(cpus) * 1e6,
            "errors": len(errors),
            "first_error": errors[0] if errors else None}


async def m_stream(client, p) -> dict:
    client.setup()
    await client.astream()
    rates, counts, cpus = [], [], []
    deadline = perf() + p["budget"]
    for _ in range(p["rounds"]):
        t0, c0 = perf(), cpu()
        n = await client.astream()
        rates.append(n / (perf() - t0))
        cpus.append((cpu() - c0) / n)
        counts.append(n)
        if perf() > deadline:
            break
    return {"chunks_per_s": median(rates), "chunks": counts[0], "us_per_chunk": 1e6 / median(rates),
            "cpu_us": median(cpus) * 1e6}


def m_embed(client, p) -> dict:
    client.setup()
    vecs = client.embed()
    shape = (len(vecs), len(vecs[0]))
    times = []
    deadline = perf() + p["budget"]
    for _ in range(p["rounds"]):
        t0 = perf()
        client.embed()
        times.append(perf() - t0)
        if perf() > deadline:
            break
    return {"ms": median(times) * 1e3, "shape": shape}


METRICS = {"import": m_import, "seq": m_seq, "mem": m_seq, "aseq": m_aseq, "conc": m_conc,
           "stream": m_stream, "embed": m_embed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("client")
    ap.add_argument("metric", help="a metric, or several joined by commas (run in this order)")
    ap.add_argument("--url", required=True)
    ap.add_argument("--params", default="{}")
    ap.add_argument("--cpu", type=int, default=None)
    ap.add_argument("--profile", default=None, help="write a pyinstrument/cProfile report here")
    args = ap.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    boost_priority()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench.clients import CLIENTS

    client = CLIENTS[args.client](args.url)
    params = json.loads(args.params)
    metrics = args.metric.split(",")
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002, async_mode="enabled")
        profiler.start()
    results: dict = {}

    def run_one(metric: str):
        fn = METRICS[metric]
        p = params[metric] if isinstance(params.get(metric), dict) else params
        return fn(client, p)

    async def run_async(names: list[str]) -> None:
        # one event loop for every async metric: some clients (ChatOpenAI) keep a
        # process-wide async client that fails on a second loop ("Event loop is closed")
        for metric in names:
            try:
                results[metric] = await run_one(metric)
            except Exception as exc:  # noqa: BLE001 - reported as the row's error
                results[metric] = {"error": f"{type(exc).__name__}: {exc}"[:300]}

    async_names = [m for m in metrics if asyncio.iscoroutinefunction(METRICS[m])]
    for metric in metrics:
        if metric not in async_names:
            try:
                results[metric] = run_one(metric)
            except Exception as exc:  # noqa: BLE001 - reported as the row's error
                results[metric] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    if async_names:
        asyncio.run(run_async(async_names))
    results = {m: results[m] for m in metrics}
    result = results if len(metrics) > 1 else results[metrics[0]]
    if profiler is not None:
        profiler.stop()
        with open(args.profile, "w") as f:
            f.write(profiler.output_text(unicode=False, color=False, show_all=False))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
