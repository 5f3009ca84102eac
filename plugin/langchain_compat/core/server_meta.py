"""What llama-server says about a reply beside the OpenAI fields: ``timings`` (pure).

llama-server adds ``timings`` to a reply (and to the last chunk of a stream):
prompt tokens evaluated (``prompt_n``) and taken from the KV cache
(``cache_n``), tokens generated (``predicted_n``) and the milliseconds of
each phase. They go to ``response_metadata["timings"]`` as sent; the slot a
request was pinned to (``id_slot``, which the server does not echo) goes to
``response_metadata["id_slot"]``. A server that sends no timings adds nothing.

The decoders (``core/stream.py``, ``core/response.py``) put them in a delta's
``info``; the reply reader keeps the newest (with ``timings_per_token`` every
chunk carries them) and the call's last chunk carries them once, so merged
chunks never add two timing records together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


__all__ = ["server_metadata"]


def server_metadata(body: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"timings": {...}, "id_slot": n}`` for ``response_metadata`` (only what is known).

    Args:
        body: a ``chat.completion`` body or stream chunk.
        params: the request's parameters (its ``id_slot`` is reported when pinned).
    """
    out: dict[str, Any] = {}
    timings = body.get("timings") if isinstance(body, dict) else None
    if isinstance(timings, dict) and timings:
        out["timings"] = dict(timings)
    slot = params.get("id_slot") if params else None
    if isinstance(slot, int) and not isinstance(slot, bool) and slot >= 0:
        out["id_slot"] = slot
    return out
