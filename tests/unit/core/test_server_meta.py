"""llama-server's timings (and the pinned slot) in response_metadata (pure)."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_compat.core.server_meta import StreamServerMeta, add_server_metadata, server_metadata
from langchain_compat.core.stream import ChatStream

T1 = {"cache_n": 20, "prompt_n": 1, "prompt_ms": 1.5, "predicted_n": 4, "predicted_ms": 40.25}
T2 = {**T1, "predicted_n": 5, "predicted_ms": 50.5}


def test_timings_and_a_pinned_slot() -> None:
    assert server_metadata({"timings": T1}) == {"timings": T1}
    assert server_metadata({"timings": T1}, {"id_slot": 1}) == {"timings": T1, "id_slot": 1}
    assert server_metadata({}, {"id_slot": -1}) == {}  # -1: any slot, nothing pinned
    assert server_metadata({"timings": None}, {"id_slot": True}) == {}
    assert server_metadata("not a body") == {}


def test_every_generation_of_a_result_gets_them() -> None:
    result = ChatResult(generations=[ChatGeneration(message=AIMessage(content=c)) for c in "ab"])
    add_server_metadata(result, {"timings": T1}, {"id_slot": 0})
    expected = {"timings": T1, "id_slot": 0}
    assert all(g.message.response_metadata == expected for g in result.generations)


def test_a_stream_reports_the_last_timings_once() -> None:
    meta = StreamServerMeta()
    assert meta.metadata() == {}
    meta.see({"choices": [], "timings": T1})  # timings_per_token: every chunk carries them
    meta.see({"choices": []})
    meta.see({"choices": [], "timings": T2})
    assert meta.metadata({"id_slot": 2}) == {"timings": T2, "id_slot": 2}


def test_the_decoder_notes_timings_without_putting_them_on_chunks() -> None:
    stream = ChatStream()
    first = {"choices": [{"index": 0, "delta": {"content": "hi"}}], "timings": T1}
    last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "timings": T2}
    raw = b"data: " + _json(first) + b"\n\ndata: " + _json(last) + b"\n\ndata: [DONE]\n\n"
    deltas = stream.feed(raw)
    # merged chunks never add two timing records
    assert all("timings" not in (d.info or {}) for d in deltas)
    assert stream.server.metadata() == {"timings": T2}


def _json(obj: object) -> bytes:
    return json.dumps(obj).encode()
