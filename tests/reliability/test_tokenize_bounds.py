"""``get_num_tokens`` has a total deadline and believes no absurd ``/tokenize`` answer (#23).

Items 6 and 12 of issue #23: a ``/tokenize`` that drips its answer held the call
(and memory trimming, which counts before every model call) for as long as
the drip lasted; a deeply nested or non-finite answer raised a bare
``RecursionError`` / ``OverflowError``; a huge list was believed; a gzip bomb
was inflated whole. Each answer comes from a loopback server; every case must
fall back to the offline estimate, quickly and without a stray exception.
"""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc

import pytest
from langchain_core.messages import AIMessage, HumanMessage, trim_messages

from langchain_compat import DEFAULT_BACKEND_MEMORY, ChatOpenAICompatible
from langchain_compat.chat_models.token_counts import clear_cache
from langchain_compat.memory import estimate_text_tokens, trim_to_window

from .rawhttp import RawServer, drip, response
from .stalls import bounded

pytestmark = pytest.mark.timeout(60)
TEXT = "hello world"


@pytest.fixture(autouse=True)
def _fresh():
    clear_cache()  # the counts are process-wide; a failed tokenizer is in the backend memory
    DEFAULT_BACKEND_MEMORY.reset()
    yield
    clear_cache()
    DEFAULT_BACKEND_MEMORY.reset()


def tokenizer(answer: bytes | None, *, headers: dict[str, str] | None = None,
              drip_every: float = 0.0) -> RawServer:
    """A server whose ``/tokenize`` answers ``answer`` (None: a valid count of 2)."""
    body = json.dumps({"tokens": [15339, 1917], "count": 2}).encode() if answer is None else answer

    def handler(conn, n, head, _body) -> bool:
        raw = response(200, body, {"Content-Type": "application/json", **(headers or {})})
        if drip_every:
            drip(conn, raw, drip_every, stop_after=30)
            return False
        try:
            conn.sendall(raw)
        except OSError:  # the client stopped reading at its cap
            return False
        return True

    return RawServer(handler)


def model(srv: RawServer, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, model="m", api_key="k",
                                profile_overrides={"tokenize_endpoint": "/tokenize"}, **kw)


def test_a_good_answer_is_used() -> None:
    with tokenizer(None) as srv:
        assert model(srv).get_num_tokens(TEXT) == 2
        assert model(srv).tokenize_timeout == 5.0  # the default bound


# -- item 6: a total deadline ---------------------------------------------------------------
def test_a_dripping_tokenize_is_cut_at_tokenize_timeout() -> None:
    with tokenizer(None, drip_every=0.2) as srv:
        out = bounded(lambda: model(srv, tokenize_timeout=1.0).get_num_tokens(TEXT), 10)
    assert out.error is None and out.value == estimate_text_tokens(TEXT)
    assert out.seconds < 2.5


@pytest.mark.parametrize("trim", ["trim_messages", "trim_to_window"])
def test_trimming_memory_is_not_held_by_a_dripping_tokenize(trim: str) -> None:
    history = [HumanMessage("question one"), AIMessage("answer one"), HumanMessage(TEXT)]
    with tokenizer(None, drip_every=0.2) as srv:
        llm = model(srv, tokenize_timeout=0.5)
        if trim == "trim_messages":  # LangChain's way: the model counts
            call = lambda: trim_messages(history, token_counter=llm, max_tokens=1000,  # noqa: E731
                                         strategy="last")
        else:
            call = lambda: trim_to_window(  # noqa: E731
                history, token_counter=llm.get_num_tokens_from_messages, max_tokens=1000)
        out = bounded(call, 10)
    assert out.error is None and out.value[-1].text == TEXT
    assert out.seconds < 2.5  # one failed count; the estimate answers the rest meanwhile


# -- item 12: answers that are not believed -------------------------------------------------
ABSURD = {
    "nested 100000 deep": b"[" * 100_000,
    "infinity": b'{"tokens": [Infinity]}',
    "nan": b'{"tokens": [NaN, 1]}',
    "float ids": b'{"tokens": [1.5, 2.5]}',
    "negative ids": b'{"tokens": [-1, 2]}',
    "booleans": b'{"tokens": [true, false]}',
    "4 MB list": b'{"tokens": [' + b"1," * 2_000_000 + b"1]}",
    "more tokens than bytes": json.dumps({"tokens": list(range(100))}).encode(),
    "no list": b'{"tokens": "many"}',
    "not json": b"<html>busy</html>",
}


@pytest.mark.parametrize("case", list(ABSURD))
def test_an_absurd_answer_falls_back_to_the_estimate(case: str) -> None:
    with tokenizer(ABSURD[case]) as srv:
        out = bounded(lambda: model(srv).get_num_tokens(TEXT), 15)
    assert out.error is None, repr(out.error)
    assert out.value == estimate_text_tokens(TEXT)


def test_a_gzip_bomb_is_not_inflated() -> None:
    bomb = gzip.compress(b'{"tokens": [' + b" " * 60_000_000 + b"1]}", compresslevel=9)
    assert len(bomb) < 100_000
    with tokenizer(bomb, headers={"Content-Encoding": "gzip"}) as srv:
        llm = model(srv)
        tracemalloc.start()
        try:
            t0 = time.monotonic()
            count = llm.get_num_tokens(TEXT)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == estimate_text_tokens(TEXT)
    assert peak < 10_000_000, f"{peak / 1e6:.0f} MB allocated for an 11-character count"
    assert time.monotonic() - t0 < 5
