"""The I/O shells around :class:`~langchain_compat.router.core.Attempt`: call, sleep, repeat.

One sync and one async loop for whole answers, one of each for streams. All
decisions (which deployment, how long to wait, whether an error fails over)
are the core's; a stream fails over only before its first chunk. A stream cut
after it is still booked: as a failure when the deployment broke it (which
cools it down), as a call when the caller stopped reading.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from langchain_core.messages import AIMessage

from langchain_compat.router.core import Attempt, RouterCore

__all__ = ["Outcome", "acall", "astream", "call", "stream", "usage_of"]

T = TypeVar("T")


class Outcome:
    """Which deployment answered, what it cost, and which ones failed before it."""

    __slots__ = ("cost", "failed", "index")

    def __init__(self, index: int, cost: float, failed: list[int]) -> None:
        self.index, self.cost, self.failed = index, cost, failed


def usage_of(result: Any) -> tuple[int, int]:
    """Input and output tokens of a message, or of ``include_raw`` structured output."""
    if isinstance(result, dict) and isinstance(result.get("raw"), AIMessage):
        result = result["raw"]
    usage = getattr(result, "usage_metadata", None) or {}
    return int(usage.get("input_tokens", 0) or 0), int(usage.get("output_tokens", 0) or 0)


def _done(attempt: Attempt, index: int, result: Any) -> Outcome:
    cost = attempt.succeeded(index, *usage_of(result))
    return Outcome(index, cost, attempt.tried[:-1])


def call(core: RouterCore, send: Callable[[int], T]) -> tuple[T, Outcome]:
    """``send(index)`` on deployments chosen by ``core`` until one answers."""
    attempt = core.begin(time.monotonic())
    while True:
        step = attempt.next(time.monotonic())
        if step.index < 0:
            time.sleep(step.wait)
            continue
        try:
            result = send(step.index)
        except Exception as exc:  # noqa: BLE001 - any client's error; the core judges it
            attempt.failed(step.index, exc, time.monotonic())  # raises when not a failover
            continue
        except BaseException:
            attempt.abandoned(step.index)
            raise
        return result, _done(attempt, step.index, result)


async def acall(core: RouterCore, send: Callable[[int], Awaitable[T]]) -> tuple[T, Outcome]:
    """Async :func:`call`."""
    attempt = core.begin(time.monotonic())
    while True:
        step = attempt.next(time.monotonic())
        if step.index < 0:
            await asyncio.sleep(step.wait)
            continue
        try:
            result = await send(step.index)
        except Exception as exc:  # noqa: BLE001 - any client's error; the core judges it
            attempt.failed(step.index, exc, time.monotonic())
            continue
        except BaseException:  # cancelled
            attempt.abandoned(step.index)
            raise
        return result, _done(attempt, step.index, result)


def _add(total: list[int], chunk: Any) -> None:
    tokens = usage_of(chunk)
    total[0] += tokens[0]
    total[1] += tokens[1]


def stream(core: RouterCore, open_: Callable[[int], Iterator[Any]]) -> Iterator[Any]:
    """Chunks of the first deployment that yields one; the last item is the :class:`Outcome`."""
    attempt = core.begin(time.monotonic())
    while True:
        step = attempt.next(time.monotonic())
        if step.index < 0:
            time.sleep(step.wait)
            continue
        chunks = iter(open_(step.index))
        try:
            first = next(chunks, None)
        except Exception as exc:  # noqa: BLE001 - any client's error; the core judges it
            attempt.failed(step.index, exc, time.monotonic())
            continue
        except BaseException:
            attempt.abandoned(step.index)
            raise
        break
    total = [0, 0]
    try:  # committed: from here an error reaches the caller
        if first is not None:
            _add(total, first)
            yield first
        for chunk in chunks:
            _add(total, chunk)
            yield chunk
    except Exception as exc:  # the deployment broke the stream: a failure, booked
        attempt.broken(step.index, exc, *total, time.monotonic())
        raise
    except BaseException:  # the caller stopped reading (or was cancelled): a call, booked
        attempt.broken(step.index, None, *total, time.monotonic())
        raise
    cost = attempt.succeeded(step.index, *total)
    yield Outcome(step.index, cost, attempt.tried[:-1])


async def astream(core: RouterCore,
                  open_: Callable[[int], AsyncIterator[Any]]) -> AsyncIterator[Any]:
    """Async :func:`stream`."""
    attempt = core.begin(time.monotonic())
    while True:
        step = attempt.next(time.monotonic())
        if step.index < 0:
            await asyncio.sleep(step.wait)
            continue
        chunks = aiter(open_(step.index))
        try:
            first = await anext(chunks, None)
        except Exception as exc:  # noqa: BLE001 - any client's error; the core judges it
            attempt.failed(step.index, exc, time.monotonic())
            continue
        except BaseException:
            attempt.abandoned(step.index)
            raise
        break
    total = [0, 0]
    try:
        if first is not None:
            _add(total, first)
            yield first
        async for chunk in chunks:
            _add(total, chunk)
            yield chunk
    except Exception as exc:
        attempt.broken(step.index, exc, *total, time.monotonic())
        raise
    except BaseException:
        attempt.broken(step.index, None, *total, time.monotonic())
        raise
    cost = attempt.succeeded(step.index, *total)
    yield Outcome(step.index, cost, attempt.tried[:-1])
