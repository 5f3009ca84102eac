"""A chat runnable run down one of LangChain's four paths, ending in the message a caller
sees: invoke's, or a stream's chunks added up (with the text pieces the stream yielded, to
check that it did stream)."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk

PATHS = ("invoke", "ainvoke", "stream", "astream")


def added(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    """A stream's chunks added up, as LangChain adds them."""
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def run(runnable: Any, path: str, inputs: Any) -> tuple[AIMessage, list[str]]:
    """The final message of ``path`` and, for a stream, the text of each chunk that had some."""
    if path == "invoke":
        return runnable.invoke(inputs), []
    if path == "ainvoke":
        return asyncio.run(runnable.ainvoke(inputs)), []
    if path == "stream":
        chunks = list(runnable.stream(inputs))
    else:
        async def collect() -> list[AIMessageChunk]:
            return [c async for c in runnable.astream(inputs)]
        chunks = asyncio.run(collect())
    return added(chunks), [c.content for c in chunks if c.content]


def final(runnable: Any, path: str, inputs: Any) -> AIMessage:
    """The final message of ``path``."""
    return run(runnable, path, inputs)[0]
