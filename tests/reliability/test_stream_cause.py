"""A stream that breaks after its first chunk keeps the typed cause of the break.

The driver turns any failure after the first chunk into StreamInterruptedError
(not retried, ``partial`` kept). It used to drop what the failure was: a
ResponseParseError, an in-band ServerError event or a connection reset all
became the same error with ``__cause__ = None``, so a caller could not tell a
provider crash from a network cut without parsing the message.
"""

from __future__ import annotations

import pytest

from langchain_compat.errors import (
    APIConnectionError,
    ResponseParseError,
    ServerError,
    StreamInterruptedError,
)
from langchain_compat.testing import reset_connection, stream_error, truncated_json

from .conftest import make_chat


@pytest.mark.parametrize(
    ("fault", "cause"),
    [(reset_connection(after_chunks=2), APIConnectionError),
     (truncated_json(), ResponseParseError),
     (stream_error("boom", after_chunks=2), ServerError)],
    ids=["reset", "truncated", "error-event"],
)
@pytest.mark.parametrize("mode", ["stream", "astream"])
async def test_interrupted_stream_keeps_typed_cause(emu, fault, cause, mode) -> None:
    emu.inject(fault)
    llm = make_chat(emu)
    with pytest.raises(StreamInterruptedError) as info:
        if mode == "stream":
            list(llm.stream("a b c d"))
        else:
            async for _ in llm.astream("a b c d"):
                pass
    assert isinstance(info.value.__cause__, cause)
