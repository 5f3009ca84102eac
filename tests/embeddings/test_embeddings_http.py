"""The I/O side: concurrency, order, encodings, checks, retries, secrets.

``httpx.MockTransport`` (the ``fake`` fixture) shapes answers a real server
would rarely give on demand; the cotomi emulator enforces the documented limits.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from langchain_compat.embeddings import CotomiEmbeddings, OpenAICompatibleEmbeddings
from langchain_compat.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidParameterError,
    MissingAPIKeyError,
    MissingBaseURLError,
    ResponseParseError,
    UnsupportedParameterError,
)
from langchain_compat.testing import Emulator, server_error

from .conftest import FakeServer, vector_for


def fresh_url() -> str:
    """A base URL of its own (a base64 refusal is remembered per base URL, model and key)."""
    return f"https://fake-{uuid.uuid4().hex[:8]}.test/v1"


def generic(server: FakeServer, **kw: Any) -> OpenAICompatibleEmbeddings:
    kw.setdefault("base_url", fresh_url())
    kw.setdefault("model", "bge-m3")
    return OpenAICompatibleEmbeddings(http_client=server.sync_client(),
                                      http_async_client=server.async_client(), **kw)


TEXTS = [f"text number {i}" for i in range(50)]


def first_values(vectors: list[list[float]]) -> list[float]:
    return [v[0] for v in vectors]


# ------------------------------------------------------------ order, concurrency


@pytest.mark.parametrize("workers", [1, 4])
def test_order_preserved_under_shuffled_answers_sync(fake: type[FakeServer], workers: int) -> None:
    server = fake(shuffle=True)
    out = generic(server, batch_size=3, max_concurrency=workers).embed_documents(TEXTS)
    assert first_values(out) == [vector_for(t, 8)[0] for t in TEXTS]
    assert len(server.bodies) == 17


async def test_order_preserved_under_shuffled_answers_async(fake: type[FakeServer]) -> None:
    server = fake(shuffle=True, delay=0.001)
    out = await generic(server, batch_size=3, max_concurrency=4).aembed_documents(TEXTS)
    assert first_values(out) == [vector_for(t, 8)[0] for t in TEXTS]


async def test_large_answers_decoded_in_a_thread_keep_order(
        fake: type[FakeServer], monkeypatch: pytest.MonkeyPatch) -> None:
    offloaded: list[int] = []
    real = asyncio.to_thread

    async def spy(fn: Any, *args: Any) -> Any:
        offloaded.append(args[1])
        return await real(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", spy)
    texts = [f"t{i}" for i in range(300)]
    out = await generic(fake(shuffle=True), batch_size=100).aembed_documents(texts)
    assert first_values(out) == [vector_for(t, 8)[0] for t in texts]
    assert offloaded == [100, 100, 100]
    await generic(fake(), batch_size=10).aembed_documents(texts)  # small answers stay on the loop
    assert offloaded == [100, 100, 100]


def test_concurrency_is_bounded_sync(fake: type[FakeServer]) -> None:
    server = fake(delay=0.02)
    generic(server, batch_size=1, max_concurrency=3).embed_documents(TEXTS[:12])
    assert 2 <= server.max_in_flight <= 3


async def test_concurrency_is_bounded_async(fake: type[FakeServer]) -> None:
    server = fake(delay=0.02)
    await generic(server, batch_size=1, max_concurrency=3).aembed_documents(TEXTS[:12])
    assert server.max_in_flight == 3


def test_max_concurrency_one_is_sequential(fake: type[FakeServer]) -> None:
    server = fake(delay=0.005)
    generic(server, batch_size=1, max_concurrency=1).embed_documents(TEXTS[:5])
    assert server.max_in_flight == 1


async def test_first_error_stops_the_call_async(fake: type[FakeServer]) -> None:
    server = fake(dims_by_call=[8, 8, 3] + [8] * 50, delay=0.001)
    with pytest.raises(ResponseParseError):
        await generic(server, batch_size=1, max_concurrency=2).aembed_documents(TEXTS)
    assert len(server.bodies) < len(TEXTS)


def test_first_error_stops_the_call_sync(fake: type[FakeServer]) -> None:
    server = fake(drop_one=True)
    with pytest.raises(ResponseParseError, match="expected 1 embeddings, got 0"):
        generic(server, batch_size=1, max_concurrency=2).embed_documents(TEXTS)
    assert len(server.bodies) <= 3


def test_no_texts_no_request(fake: type[FakeServer]) -> None:
    server = fake()
    assert generic(server).embed_documents([]) == []
    assert server.bodies == []


def test_a_string_is_not_a_list(fake: type[FakeServer]) -> None:
    with pytest.raises(InvalidParameterError, match="one string"):
        generic(fake()).embed_documents("hello")  # type: ignore[arg-type]


# -------------------------------------------------------------------- encodings


def test_base64_requested_and_decoded(fake: type[FakeServer]) -> None:
    server = fake()
    out = generic(server).embed_documents(["a", "b"])
    assert server.bodies[0]["encoding_format"] == "base64"
    assert out == [vector_for("a", 8), vector_for("b", 8)]


def test_auto_falls_back_to_float_once_and_remembers(fake: type[FakeServer]) -> None:
    server = fake(refuse_base64=True)
    url = fresh_url()
    emb = generic(server, base_url=url)
    assert emb.embed_documents(["a"]) == [vector_for("a", 8)]
    assert [b["encoding_format"] for b in server.bodies] == ["base64", "float"]
    emb.embed_query("b")
    generic(server, base_url=url).embed_query("c")  # another instance, same server
    assert [b["encoding_format"] for b in server.bodies] == ["base64", "float", "float", "float"]
    generic(server).embed_query("d")  # another base URL is asked again
    assert [b["encoding_format"] for b in server.bodies][-2:] == ["base64", "float"]


async def test_auto_falls_back_async(fake: type[FakeServer]) -> None:
    server = fake(refuse_base64=True)
    assert await generic(server).aembed_query("a") == vector_for("a", 8)
    assert [b["encoding_format"] for b in server.bodies] == ["base64", "float"]


def test_explicit_base64_is_not_downgraded(fake: type[FakeServer]) -> None:
    server = fake(refuse_base64=True)
    with pytest.raises(BadRequestError, match="encoding_format"):
        generic(server, encoding_format="base64").embed_query("a")
    assert len(server.bodies) == 1


def test_unrelated_400_is_not_a_base64_refusal(fake: type[FakeServer]) -> None:
    server = fake(refuse_base64=True, refusal="model not found")
    with pytest.raises(BadRequestError, match="model not found"):
        generic(server).embed_query("a")
    assert len(server.bodies) == 1


def test_float_requested(fake: type[FakeServer]) -> None:
    server = fake()
    assert generic(server, encoding_format="float").embed_query("a") == vector_for("a", 8)
    assert server.bodies[0]["encoding_format"] == "float"


def test_server_ignoring_base64_is_fine(fake: type[FakeServer]) -> None:
    server = fake(float_always=True)
    assert generic(server).embed_documents(["a", "b"]) == [vector_for("a", 8), vector_for("b", 8)]


# ----------------------------------------------------------- response checks


def test_count_mismatch_is_a_typed_error(fake: type[FakeServer]) -> None:
    with pytest.raises(ResponseParseError, match="expected 2 embeddings, got 1"):
        generic(fake(drop_one=True)).embed_documents(["a", "b"])


def test_dimension_mismatch_between_batches(fake: type[FakeServer]) -> None:
    server = fake(dims_by_call=[8, 4])
    with pytest.raises(ResponseParseError, match="different dimensions"):
        generic(server, batch_size=1, max_concurrency=1).embed_documents(["a", "b"])


def test_requested_dimensions_are_checked(fake: type[FakeServer]) -> None:
    server = fake(dim=8)
    with pytest.raises(ResponseParseError, match="dimension 8, expected 16"):
        generic(server, dimensions=16).embed_query("a")
    assert server.bodies[0]["dimensions"] == 16


def test_documented_dimension_is_checked_for_cotomi(fake: type[FakeServer]) -> None:
    server = fake(dim=8)
    emb = CotomiEmbeddings(base_url=fresh_url(), api_key="sk-test-key-9",
                           http_client=server.sync_client())
    with pytest.raises(ResponseParseError, match="expected 1024"):
        emb.embed_query("a")


# ------------------------------------------------------------------- prefixes


@pytest.mark.parametrize(("model", "prefixes", "query", "doc"), [
    ("multilingual-e5-small-q4", "auto", "query: q", "passage: d"),
    ("intfloat/e5-large-v2", "auto", "query: q", "passage: d"),
    ("bge-m3", "auto", "q", "d"),
    ("e5-mistral-7b-instruct", "auto", "q", "d"),
    ("intfloat/multilingual-e5-large-instruct", "auto", "q", "d"),
    ("Multilingual-E5-Base", "auto", "query: q", "passage: d"),
    ("gte5000", "auto", "q", "d"),
    ("bge-m3", True, "query: q", "passage: d"),
    ("multilingual-e5-small-q4", False, "q", "d"),
])
def test_prefixes_on_the_wire(fake: type[FakeServer], model: str, prefixes: Any, query: str,
                              doc: str) -> None:
    server = fake()
    emb = generic(server, model=model, prefixes=prefixes)
    emb.embed_query("q")
    emb.embed_documents(["d", "passage: d", "query: d"])
    assert server.bodies[0]["input"] == [query]
    assert server.bodies[1]["input"] == [doc, "passage: d", "query: d"]


# ------------------------------------------------------------------ cotomi


def cotomi(emu: Emulator, **kw: Any) -> CotomiEmbeddings:
    return CotomiEmbeddings(base_url=emu.base_url, api_key=emu.api_key, **kw)


def test_cotomi_sends_prefixed_base64_batches_of_2048(cotomi_emu: Emulator) -> None:
    cotomi_emu.reset()
    out = cotomi(cotomi_emu).embed_documents([f"doc {i}" for i in range(2049)])
    assert len(out) == 2049 and {len(v) for v in out} == {1024}
    bodies = sorted((r.body for r in cotomi_emu.requests), key=lambda b: -len(b["input"]))
    assert [len(b["input"]) for b in bodies] == [2048, 1]
    assert all(b["encoding_format"] == "base64" and b["model"] == "multilingual-e5-large"
               for b in bodies)
    assert bodies[1]["input"] == ["passage: doc 2048"]


def test_cotomi_refusals_happen_before_any_request(cotomi_emu: Emulator) -> None:
    cotomi_emu.reset()
    emb = cotomi(cotomi_emu)
    with pytest.raises(InvalidParameterError, match="input 1 is an empty string"):
        emb.embed_documents(["a", ""])
    with pytest.raises(InvalidParameterError, match="input 0 is about"):
        emb.embed_query("word " * 600)
    assert cotomi_emu.requests == []


def test_cotomi_unchecked_input_reaches_the_server_refusal(cotomi_emu: Emulator) -> None:
    with pytest.raises(BadRequestError, match="maximum context length is 512"):
        cotomi(cotomi_emu, check_limits=False, max_retries=0).embed_query("word " * 600)


@pytest.mark.parametrize("mode", ["truncate", "split"])
def test_cotomi_accepts_long_texts_when_asked(cotomi_emu: Emulator, mode: str) -> None:
    cotomi_emu.reset()
    long_text = "東京は日本の首都です。 " * 200 + "The end."
    out = cotomi(cotomi_emu, on_too_long=mode).embed_documents(["short", long_text])
    assert len(out) == 2 and all(len(v) == 1024 for v in out)
    sent = [s for r in cotomi_emu.requests for s in r.body["input"]]
    assert len(sent) == (2 if mode == "truncate" else len(sent))
    assert mode == "truncate" or len(sent) > 3
    assert abs(sum(x * x for x in out[1]) - 1.0) < 1e-6


def test_cotomi_retries_server_errors(cotomi_emu: Emulator) -> None:
    cotomi_emu.reset()
    cotomi_emu.inject(server_error(503).only("embeddings"), times=2)
    assert len(cotomi(cotomi_emu, max_retries=2).embed_query("hello")) == 1024
    assert [r.status for r in cotomi_emu.requests] == [503, 503, 200]


async def test_cotomi_async_concurrent_batches(cotomi_emu: Emulator) -> None:
    cotomi_emu.reset()
    texts = [f"doc {i}" for i in range(40)]
    emb = cotomi(cotomi_emu, batch_size=5, max_concurrency=4)
    out = await emb.aembed_documents(texts)
    assert out == emb.embed_documents(texts)  # deterministic vectors, same order
    assert len(cotomi_emu.requests) == 16


def test_cotomi_settings_checked_at_construction() -> None:
    base = {"base_url": "https://cotomi.example/v1", "api_key": "sk-test-key-9"}
    with pytest.raises(InvalidParameterError, match="batch_size"):
        CotomiEmbeddings(batch_size=4096, **base)
    with pytest.raises(UnsupportedParameterError, match="dimensions"):
        CotomiEmbeddings(dimensions=256, **base)
    assert CotomiEmbeddings(batch_size=4096, check_limits=False, **base).batch_size == 4096
    with pytest.raises(MissingAPIKeyError, match="COTOMI_API_KEY"):
        CotomiEmbeddings(base_url="https://cotomi.example/v1")
    with pytest.raises(MissingBaseURLError, match="COTOMI_BASE_URL"):
        CotomiEmbeddings(api_key="sk-test-key-9")


# --------------------------------------------------------------- secrets, misc


def test_secret_never_shown(cotomi_emu: Emulator) -> None:
    key = "sk-very-secret-key-42"
    emb = CotomiEmbeddings(base_url=cotomi_emu.base_url, api_key=key, max_retries=0)
    assert key not in repr(emb) and key not in str(emb.model_dump())
    assert emb.lc_secrets == {"api_key": "COTOMI_API_KEY"}
    with pytest.raises(AuthenticationError) as info:
        emb.embed_query("hello")
    assert key not in str(info.value) and key not in repr(info.value.body)
    assert isinstance(emb.api_key, SecretStr)


def test_generic_needs_a_model_and_refuses_unknown_options() -> None:
    with pytest.raises(InvalidParameterError, match="model"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1")
    # chunk_size is an alias
    with pytest.raises(InvalidParameterError, match="did you mean 'batch_size'"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", batch_sise=10)
    with pytest.raises(InvalidParameterError, match="on_too_long"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", on_too_long="drop")
    with pytest.raises(InvalidParameterError, match="max_concurrency"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", max_concurrency=0)
    with pytest.raises(InvalidParameterError, match="limits_overrides"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m",
                                   limits_overrides={"x": 1})


def test_limits_overrides_apply(fake: type[FakeServer]) -> None:
    emb = generic(fake(), limits_overrides={"max_input_tokens": 16, "allow_empty": False})
    with pytest.raises(InvalidParameterError, match="input 0 is an empty string"):
        emb.embed_documents([""])
    with pytest.raises(InvalidParameterError, match="limit of 16 tokens"):
        emb.embed_documents(["word " * 40])


class CountingLimiter:
    def __init__(self) -> None:
        self.calls = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.calls += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.calls += 1
        return True


async def test_rate_limiter_acquired_per_request(fake: type[FakeServer]) -> None:
    from langchain_core.rate_limiters import BaseRateLimiter

    class Limiter(CountingLimiter, BaseRateLimiter):
        pass

    limiter = Limiter()
    emb = generic(fake(), batch_size=2, rate_limiter=limiter)
    emb.embed_documents(TEXTS[:6])
    await emb.aembed_documents(TEXTS[:4])
    assert limiter.calls == 5


def test_progress_bar(fake: type[FakeServer], capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    generic(fake(), batch_size=10, show_progress=True).embed_documents(TEXTS)
    assert "50/50" in capsys.readouterr().err


def test_progress_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ConfigurationError, match=r"langchain-compat\[progress\]"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", show_progress=True)


def test_event_loop_reuse_across_asyncio_run(fake: type[FakeServer]) -> None:
    emb = generic(fake(), batch_size=2)
    for _ in range(2):
        assert len(asyncio.run(emb.aembed_documents(TEXTS[:5]))) == 5
