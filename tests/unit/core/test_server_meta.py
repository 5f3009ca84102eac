"""llama-server's timings (and the pinned slot) in response_metadata: read by the decoders
into a delta's info, the newest kept by the reply reader, reported once on the last chunk."""

from __future__ import annotations

import json

from langchain_compat.core.server_meta import server_metadata

from ..drive import read_body, read_sse

T1 = {"cache_n": 20, "prompt_n": 1, "prompt_ms": 1.5, "predicted_n": 4, "predicted_ms": 40.25}
T2 = {**T1, "predicted_n": 5, "predicted_ms": 50.5}


def test_timings_and_a_pinned_slot() -> None:
    assert server_metadata({"timings": T1}) == {"timings": T1}
    assert server_metadata({"timings": T1}, {"id_slot": 1}) == {"timings": T1, "id_slot": 1}
    assert server_metadata({}, {"id_slot": -1}) == {}  # -1: any slot, nothing pinned
    assert server_metadata({"timings": None}, {"id_slot": True}) == {}
    assert server_metadata("not a body") == {}


def test_a_whole_reply_carries_its_timings_and_the_pinned_slot() -> None:
    body = {"id": "c", "model": "m", "timings": T1, "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}
    message = read_body(body, id_slot=0).generations[0].message
    assert message.response_metadata["timings"] == T1
    assert message.response_metadata["id_slot"] == 0


def test_a_stream_reports_the_last_timings_once() -> None:
    events = [{"choices": [{"index": 0, "delta": {"content": "hi"}}], "timings": T1},
              {"choices": [], "timings": T1},  # timings_per_token: every chunk carries them
              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "timings": T2}]
    raw = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    message, chunks = read_sse(raw + b"data: [DONE]\n\n")
    assert message.response_metadata["timings"] == T2  # merged chunks never add two records
    assert [c for c in chunks if "timings" in c.message.response_metadata] == [chunks[-1]]
