"""SSE decoder: line ends, fields, comments, multi-line data, splits, flush."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_compat.core.sse import DONE, SSEDecoder, SSEEvent


def decode(*reads: bytes, flush: bool = True) -> list[SSEEvent]:
    dec = SSEDecoder()
    out: list[SSEEvent] = []
    for raw in reads:
        out.extend(dec.feed(raw))
    if flush:
        out.extend(dec.flush())
    return out


def pairs(events: list[SSEEvent]) -> list[tuple[str, str]]:
    return [(e.event, e.data) for e in events]


CASES = [
    # (id, stream, expected (event, data) pairs)
    ("lf", b"data: a\n\ndata: b\n\n", [("message", "a"), ("message", "b")]),
    ("crlf", b"data: a\r\n\r\ndata: b\r\n\r\n", [("message", "a"), ("message", "b")]),
    ("cr", b"data: a\r\rdata: b\r\r", [("message", "a"), ("message", "b")]),
    ("mixed-ends", b"data: a\r\n\ndata: b\r\r\ndata: c\n\r",
     [("message", "a"), ("message", "b"), ("message", "c")]),
    ("no-space", b"data:a\n\n", [("message", "a")]),
    ("two-spaces-keeps-one", b"data:  a\n\n", [("message", " a")]),
    ("empty-data", b"data:\n\n", [("message", "")]),
    ("data-without-colon", b"data\ndata: x\n\n", [("message", "\nx")]),
    ("comment", b": keep-alive\n\ndata: a\n: another\n\n", [("message", "a")]),
    ("comment-only-is-no-event", b": ping\n\n: ping\n\n", []),
    ("multiline", b"data: a\ndata: b\ndata:c\n\n", [("message", "a\nb\nc")]),
    ("done", b"data: {\"x\":1}\n\ndata: [DONE]\n\n", [("message", '{"x":1}'), ("message", DONE)]),
    ("event-error", b"event: error\ndata: {\"error\":{}}\n\n", [("error", '{"error":{}}')]),
    ("event-name-resets", b"event: error\ndata: e\n\ndata: m\n\n",
     [("error", "e"), ("message", "m")]),
    ("event-no-space", b"event:ping\ndata: p\n\n", [("ping", "p")]),
    ("event-without-data-not-dispatched", b"event: error\n\ndata: m\n\n", [("message", "m")]),
    ("id-retry-ignored", b"id: 7\nretry: 1000\ndata: a\n\n", [("message", "a")]),
    ("unknown-field-ignored", b"foo: bar\ndata: a\n\n", [("message", "a")]),
    ("blank-lines-only", b"\n\n\r\n\r", []),
    ("utf8", "data: héllo 日本\n\n".encode(), [("message", "héllo 日本")]),
    ("json-with-colons", b'data: {"a": "b: c"}\n\n', [("message", '{"a": "b: c"}')]),
    ("trailing-event-flushed", b"data: a\n\ndata: tail", [("message", "a"), ("message", "tail")]),
    ("trailing-event-no-blank", b"data: a\ndata: b\n", [("message", "a\nb")]),
    ("trailing-cr", b"data: tail\r", [("message", "tail")]),
]


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_whole_stream(stream: bytes, expected: list[tuple[str, str]]) -> None:
    assert pairs(decode(stream)) == expected


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_split_position(stream: bytes, expected: list[tuple[str, str]]) -> None:
    for i in range(len(stream) + 1):
        assert pairs(decode(stream[:i], stream[i:])) == expected, f"split at {i}"


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_byte_by_byte(stream: bytes, expected: list[tuple[str, str]]) -> None:
    assert pairs(decode(*(stream[i:i + 1] for i in range(len(stream))))) == expected


def test_events_are_returned_by_the_read_that_completes_them() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: a\n") == []
    assert pairs(dec.feed(b"\n")) == [("message", "a")]
    assert dec.feed(b"data: b") == []
    assert dec.feed(b"\n") == []
    assert pairs(dec.feed(b"\r\n")) == [("message", "b")]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    # "\r" | "\n\r\n": the "\n" completes the first CRLF, not a blank line.
    dec = SSEDecoder()
    assert dec.feed(b"data: a\r") == []
    assert dec.feed(b"\ndata: b\r\n") == []
    assert pairs(dec.feed(b"\r\n")) == [("message", "a\nb")]


def test_empty_reads_change_nothing() -> None:
    stream = b"data: a\r\ndata: b\r\n\r\n"
    for i in range(len(stream) + 1):
        got = decode(stream[:i], b"", stream[i:], b"")
        assert pairs(got) == [("message", "a\nb")], f"empty read at {i}"


def test_flush_without_pending_event_is_empty_and_idempotent() -> None:
    dec = SSEDecoder()
    assert pairs(dec.feed(b"data: a\n\n")) == [("message", "a")]
    assert dec.flush() == []
    assert dec.flush() == []


def test_no_flush_keeps_trailing_event_pending() -> None:
    assert decode(b"data: tail", flush=False) == []


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert pairs(decode(b"data: \xff\xfe\n\n")) == [("message", "\ufffd\ufffd")]


# -- properties ---------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=12
)
_field = st.one_of(
    st.builds(lambda v, sp: f"data:{' ' if sp else ''}{v}", _text, st.booleans()),
    st.builds(lambda v: f"event: {v}", _text),
    st.builds(lambda v: f": {v}", _text),
    st.builds(lambda v: f"id: {v}", _text),
    st.just(""),
)
_eol = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_field, _eol), max_size=25))
    return "".join(f + e for f, e in lines).encode()


@st.composite
def splits(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), stream=sse_streams())
def test_any_split_yields_the_same_events(data: st.DataObject, stream: bytes) -> None:
    whole = pairs(decode(stream))
    pieces = data.draw(splits(stream))
    assert b"".join(pieces) == stream
    assert pairs(decode(*pieces)) == whole


@settings(max_examples=200, deadline=None)
@given(payloads=st.lists(_text, max_size=8), eol=_eol, data=st.data())
def test_data_events_round_trip(payloads: list[str], eol: str, data: st.DataObject) -> None:
    stream = "".join(f"data: {p}{eol}{eol}" for p in payloads).encode()
    pieces = data.draw(splits(stream))
    assert [e.data for e in decode(*pieces)] == payloads
