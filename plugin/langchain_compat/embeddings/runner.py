"""Running a planned embeddings call over the driver: threads (sync) or tasks (async).

The plan (:func:`~langchain_compat.embeddings.batching.plan`) says what to
send; this module sends its batches ``max_concurrency`` at a time, puts the
answers back in input order and stops at the first failure. Retries,
backoff, the rate limiter and error mapping are the transport's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from langchain_compat.embeddings.batching import Plan
from langchain_compat.errors import BadRequestError
from langchain_compat.providers.base import Provider
from langchain_compat.transport.driver import HTTPDriver

__all__ = ["arun", "run"]

#: Answers with at least this many vectors are decoded off the event loop.
_DECODE_IN_THREAD = 64

Vectors = list[list[float]]


class BaseEmbeddingsCompat(Protocol):
    """What the runner needs of an embeddings model (the request and answer rules live there)."""

    provider: Provider
    max_concurrency: int
    show_progress: bool

    @property
    def driver(self) -> HTTPDriver: ...
    def _format(self) -> str: ...
    def _body(self, texts: Sequence[str], fmt: str) -> dict[str, Any]: ...
    def _fall_back(self, fmt: str, exc: BadRequestError) -> bool: ...
    def _parse(self, answer: Any, count: int) -> Vectors: ...
    def _same_size(self, sizes: set[int], vectors: Vectors) -> None: ...
    def _finish(self, p: Plan, per_batch: list[Vectors | None]) -> Vectors: ...


class _Bar(Protocol):
    def update(self, n: int) -> object: ...
    def close(self) -> object: ...


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(emb: BaseEmbeddingsCompat, total: int) -> _Bar:
    if not emb.show_progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="text", desc=f"{emb.provider.name} embeddings")


# -- sync ---------------------------------------------------------------------------------
def _post(emb: BaseEmbeddingsCompat, texts: Sequence[str]) -> Vectors:
    fmt = emb._format()
    path = emb.provider.embeddings_path
    try:
        answer = emb.driver.post_json(path, emb._body(texts, fmt))
    except BadRequestError as exc:
        if not emb._fall_back(fmt, exc):
            raise
        answer = emb.driver.post_json(path, emb._body(texts, "float"))
    return emb._parse(answer, len(texts))


def run(emb: BaseEmbeddingsCompat, p: Plan) -> Vectors:
    """Send ``p``'s batches (on threads when ``max_concurrency`` > 1); one vector per caller text.

    Raises:
        APIError, APIConnectionError, ResponseParseError: the first batch that failed.
    """
    if not p.inputs:
        return []
    results: list[Vectors | None] = [None] * len(p.batches)
    emb.driver  # noqa: B018 - made once here, not racing in the worker threads
    bar = _bar(emb, len(p.inputs))
    sizes: set[int] = set()
    lock = threading.Lock()

    def one(i: int) -> None:
        start, stop = p.batches[i]
        vectors = _post(emb, p.inputs[start:stop])
        with lock:
            emb._same_size(sizes, vectors)
            results[i] = vectors
            bar.update(stop - start)

    try:
        workers = min(emb.max_concurrency, len(p.batches))
        if workers <= 1:
            for i in range(len(p.batches)):
                one(i)
        else:
            _in_threads(one, len(p.batches), workers)
    finally:
        bar.close()
    return emb._finish(p, results)


def _in_threads(fn: Callable[[int], None], n: int, workers: int) -> None:
    """Run ``fn(0..n-1)`` on ``workers`` threads; the first error stops the rest and is raised."""
    todo: Iterator[int] = iter(range(n))
    lock = threading.Lock()
    failed: list[BaseException] = []

    def worker() -> None:
        while not failed:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                fn(i)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                failed.append(exc)
                return

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embeddings") as pool:
        for _ in range(workers):
            pool.submit(worker)
    if failed:
        raise failed[0]


# -- async --------------------------------------------------------------------------------
async def _apost(emb: BaseEmbeddingsCompat, texts: Sequence[str]) -> Vectors:
    fmt = emb._format()
    path = emb.provider.embeddings_path
    try:
        answer = await emb.driver.apost_json(path, emb._body(texts, fmt))
    except BadRequestError as exc:
        if not emb._fall_back(fmt, exc):
            raise
        answer = await emb.driver.apost_json(path, emb._body(texts, "float"))
    if len(texts) < _DECODE_IN_THREAD:
        return emb._parse(answer, len(texts))
    # Decoding 1000 x 1024 vectors takes ~100 ms of CPU; in a worker thread the
    # event loop keeps running (max loop lag 160-190 ms -> ~55 ms, bench/embeddings_bench.py).
    return await asyncio.to_thread(emb._parse, answer, len(texts))


async def arun(emb: BaseEmbeddingsCompat, p: Plan) -> Vectors:
    """Async :func:`run`: batches run as ``max_concurrency`` tasks sharing one queue.

    Raises:
        APIError, APIConnectionError, ResponseParseError: the first batch that
            failed (the other tasks are cancelled).
    """
    if not p.inputs:
        return []
    results: list[Vectors | None] = [None] * len(p.batches)
    bar = _bar(emb, len(p.inputs))
    todo = iter(range(len(p.batches)))
    sizes: set[int] = set()

    async def worker() -> None:
        for i in todo:  # the workers share one iterator: each batch runs once
            start, stop = p.batches[i]
            vectors = await _apost(emb, p.inputs[start:stop])
            emb._same_size(sizes, vectors)
            results[i] = vectors
            bar.update(stop - start)

    tasks = [asyncio.ensure_future(worker())
             for _ in range(min(emb.max_concurrency, len(p.batches)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        bar.close()
    return emb._finish(p, results)
