"""Profile one client verb against the stub server: ``python -m bench.profile ours conc``.

Verbs: ``invoke`` (sync, sequential), ``ainvoke`` (async, sequential),
``conc`` (200 concurrent ainvoke, 1000 requests), ``astream`` (2000 chunks).
Starts its own stub server, pins like the benchmark, prints the cProfile
top functions by own time and by cumulative time (``--sort``), and with
``--pyinstrument FILE`` writes a pyinstrument call tree instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("client")
    ap.add_argument("verb", choices=["invoke", "ainvoke", "conc", "astream"])
    ap.add_argument("-n", type=int, default=2000, help="calls (streams for astream)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sort", default="tottime,cumulative")
    ap.add_argument("--pyinstrument", help="write a pyinstrument text tree here instead")
    args = ap.parse_args(argv)
    sys.path.insert(0, ROOT)
    from bench.clients import CLIENTS
    from bench.run import CLIENT_CPU, start_server

    server, url = start_server(ttl=300, chunks=2000)
    if CLIENT_CPU is not None:
        os.sched_setaffinity(0, {CLIENT_CPU})
    try:
        client = CLIENTS[args.client](url)
        n = args.n

        async def arun(verb: str) -> None:
            client.setup()
            if verb == "astream":
                await client.astream()
            else:
                await client.ainvoke()
            if verb == "ainvoke":
                for _ in range(n):
                    await client.ainvoke()
            elif verb == "astream":
                for _ in range(max(1, n // 1000)):
                    await client.astream()
            else:
                async def worker(k: int) -> None:
                    for _ in range(k):
                        await client.ainvoke()
                await asyncio.gather(*(worker(n // 200) for _ in range(200)))

        def run() -> None:
            if args.verb == "invoke":
                client.setup()
                client.invoke()
                for _ in range(n):
                    client.invoke()
            else:
                asyncio.run(arun(args.verb))

        if args.pyinstrument:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0002, async_mode="disabled")
            prof.start()
            run()
            prof.stop()
            with open(args.pyinstrument, "w") as f:
                f.write(prof.output_text(unicode=False, color=False))
            return 0
        pr = cProfile.Profile()
        pr.enable()
        run()
        pr.disable()
        for key in args.sort.split(","):
            out = io.StringIO()
            pstats.Stats(pr, stream=out).sort_stats(key).print_stats(args.top)
            print(out.getvalue())
    finally:
        server.terminate()
        server.wait(5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
