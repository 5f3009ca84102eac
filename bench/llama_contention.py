"""How llama-server's threads fare beside a busy process: ``python -m bench.llama_contention``.

Why ``scripts/test.sh`` runs the tests that use the real llama-server on their own: it
starts the embedded model's server with the command line ``langchain-compat local up``
uses (``--threads`` all cores), then the same command with ``--poll 0`` and with ``-t 1``,
and sends each one the same chat requests, alone and beside one busy-looping process.
It prints the wall time of each run. Measured on 2 cores (8 requests, 597 tokens):

    default    alone  27.1 s   beside a busy process  178.3 s
    --poll 0   alone  27.9 s   beside a busy process  372.7 s
    -t 1       alone  52.1 s   beside a busy process   51.7 s

``--slots`` asks a second question: one client on a one-slot server against two clients
side by side on a two-slot server (the same requests; each slot the context one had):

    -np 1, 1 client      22.0 s   597 tokens
    -np 2, 2 clients     16.6 s   600 tokens

(the test suite's llama-server stage on two pytest workers and a two-slot server took
12 min 0 s against 9 min 42 s on one worker: the workers' own Python work takes the cores).

Needs ``langchain-compat local install`` done. Stops every server it starts (by PID).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _busy(stop: Any) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _wait_up(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"llama-server on port {port} did not come up in {timeout:.0f} s")


def _chat(port: int, i: int, max_tokens: int) -> int:
    body = {"model": "m", "temperature": 0, "max_tokens": max_tokens, "messages": [
        {"role": "user", "content": f"Write a short Python function number {i} that adds two "
                                    "numbers, with a docstring."}]}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions",
                                 json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return int(json.loads(resp.read())["usage"]["completion_tokens"])


def _base_command(port: int) -> tuple[list[str], dict[str, str]]:
    """The argv (and environment) ``langchain-compat local up`` starts llama-server with."""
    from langchain_compat.local.build import locate_llama_server, server_env
    from langchain_compat.local.model import DEFAULT_MODEL, assemble_model, get_model
    from langchain_compat.local.server import _Launch

    spec = get_model(DEFAULT_MODEL)
    binary = locate_llama_server()
    return _Launch().command(binary, assemble_model(spec), spec, port), server_env(binary)


def _run(cmd: list[str], env: dict[str, str], port: int, *, contended: bool, requests: int,
         max_tokens: int, clients: int = 1) -> tuple[float, int]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait_up(port)
        _chat(port, 99, max_tokens)  # warm
        stop = multiprocessing.Event()
        busy = multiprocessing.Process(target=_busy, args=(stop,)) if contended else None
        if busy is not None:
            busy.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:  # clients send the requests side by side
            tokens = sum(pool.map(lambda i: _chat(port, i, max_tokens), range(requests)))
        seconds = time.perf_counter() - t0
        if busy is not None:
            stop.set()
            busy.join()
        return seconds, tokens
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8095)
    ap.add_argument("--requests", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--slots", action="store_true",
                    help="instead: one client on one slot against two clients on two slots")
    args = ap.parse_args(argv)
    base, env = _base_command(args.port)
    if args.slots:
        return _slots(base, env, args)
    for label, extra in (("default", []), ("--poll 0", ["--poll", "0"]), ("-t 1", ["-t", "1"])):
        for contended in (False, True):
            seconds, tokens = _run(base + extra, env, args.port, contended=contended,
                                   requests=args.requests, max_tokens=args.max_tokens)
            where = "beside a busy process" if contended else "alone"
            print(f"{label:10} {where:22} {seconds:7.1f} s  {tokens} tokens", flush=True)
    return 0


def _slots(base: list[str], env: dict[str, str], args: argparse.Namespace) -> int:
    """The same requests from one client to one slot, then from two clients side by side
    to a server with two slots (each with the context one slot had): a 2-core machine
    decodes two sequences in one batch for little more than the cost of one."""
    ctx = int(base[base.index("-c") + 1]) if "-c" in base else 4096
    plain = [a for i, a in enumerate(base) if a not in ("-np", "-c")
             and (i == 0 or base[i - 1] not in ("-np", "-c"))]
    for label, extra, clients in (("-np 1, 1 client", ["-np", "1", "-c", str(ctx)], 1),
                                  ("-np 2, 2 clients", ["-np", "2", "-c", str(2 * ctx)], 2)):
        seconds, tokens = _run(plain + extra, env, args.port, contended=False,
                               requests=args.requests, max_tokens=args.max_tokens,
                               clients=clients)
        print(f"{label:18} {seconds:7.1f} s  {tokens} tokens", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
