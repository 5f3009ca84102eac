"""Embeddings: limits from profile.embeddings, deterministic vectors, float/base64."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from langchain_compat.testing import estimate_tokens

from .conftest import CLIENT

E5 = "multilingual-e5-large"


def embed(emu, input, model=E5, **extra):
    return CLIENT.post(
        emu.embeddings_url, headers=emu.headers, json={"model": model, "input": input, **extra}
    )


def _vectors(r):
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list" and body["model"]
    return [d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])]


def test_vectors_are_deterministic_normalised_and_1024_wide(cotomi):
    a1, b = _vectors(embed(cotomi, ["passage: hello", "passage: world"]))
    (a2,) = _vectors(embed(cotomi, "passage: hello"))
    assert a1 == a2 and a1 != b
    assert len(a1) == 1024
    assert math.isclose(math.sqrt(sum(x * x for x in a1)), 1.0, rel_tol=1e-9)


def test_base64_decodes_to_the_float_vector(cotomi):
    (floats,) = _vectors(embed(cotomi, "query: x"))
    (b64,) = _vectors(embed(cotomi, "query: x", encoding_format="base64"))
    decoded = struct.unpack("<1024f", base64.b64decode(b64))
    assert all(math.isclose(x, y, abs_tol=1e-6) for x, y in zip(decoded, floats))


def test_token_array_inputs(cotomi):
    assert len(_vectors(embed(cotomi, [1, 2, 3]))) == 1
    assert len(_vectors(embed(cotomi, [[1, 2], [3]]))) == 2
    r = embed(cotomi, [list(range(513))])
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"


def test_empty_string_refused(cotomi):
    r = embed(cotomi, ["fine", ""])
    assert r.status_code == 400 and "empty" in r.json()["error"]["message"]


def test_empty_string_allowed_without_that_limit(emulator):
    emu = emulator("openai-compatible")
    assert len(_vectors(embed(emu, ["", "x"], model="any"))) == 2


def test_batch_limit(cotomi):
    r = embed(cotomi, ["x"] * 2049)
    assert r.status_code == 400 and "2048" in r.json()["error"]["message"]


def test_token_limit_uses_the_documented_estimate(cotomi):
    ok = "word " * 200
    assert estimate_tokens(ok) <= 512
    assert embed(cotomi, ok).status_code == 200
    too_long = "word " * 600
    assert estimate_tokens(too_long) > 512
    r = embed(cotomi, ["short", too_long])
    assert r.status_code == 400
    assert "512" in r.json()["error"]["message"] and "input 1" in r.json()["error"]["message"]
    # CJK: about one token per 1.3 characters (3 UTF-8 bytes each)
    assert embed(cotomi, "日本語" * 300).status_code == 400


@pytest.mark.parametrize(
    ("extra", "param"),
    [({"encoding_format": "int8"}, "encoding_format"), ({"dimensions": 256}, "dimensions")],
)
def test_unsupported_options(cotomi, extra, param):
    r = embed(cotomi, "x", **extra)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


@pytest.mark.parametrize(
    "body",
    [{"model": E5}, {"model": E5, "input": []}, {"model": E5, "input": [1.5]}, {"input": "x"}],
)
def test_malformed_bodies(cotomi, body):
    assert CLIENT.post(cotomi.embeddings_url, headers=cotomi.headers, json=body).status_code == 400


def test_unknown_embedding_model(cotomi):
    assert embed(cotomi, "x", model="text-embedding-3-small").status_code == 404


def test_embeddings_need_auth(cotomi):
    assert CLIENT.post(cotomi.embeddings_url, json={"model": E5, "input": "x"}).status_code == 401


def test_usage(cotomi):
    usage = embed(cotomi, ["a b", "c"]).json()["usage"]
    assert usage["prompt_tokens"] == usage["total_tokens"] > 0
