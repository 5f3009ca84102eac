"""Wire format and response checks (sans-IO, table-driven)."""

from __future__ import annotations

import base64
import random
import struct

import pytest

from langchain_compat.embeddings.codec import build_body, decode_base64, parse_embeddings
from langchain_compat.errors import ResponseParseError


def b64(vec: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()


VECTORS = [
    [0.0],
    [1.0, -1.0, 0.5, 0.25],
    [1e-38, 3.4e38, -2.5e-7, 123456.0],
    [random.Random(3).uniform(-1, 1) for _ in range(1024)],
]


@pytest.mark.parametrize("vec", VECTORS)
def test_base64_decodes_to_the_float32_values(vec: list[float]) -> None:
    expected = list(struct.unpack(f"<{len(vec)}f", struct.pack(f"<{len(vec)}f", *vec)))
    assert decode_base64(b64(vec)) == expected


@pytest.mark.parametrize("vec", VECTORS)
def test_base64_and_float_answers_agree(vec: list[float]) -> None:
    f32 = list(struct.unpack(f"<{len(vec)}f", struct.pack(f"<{len(vec)}f", *vec)))
    as_b64 = parse_embeddings({"data": [{"index": 0, "embedding": b64(vec)}]}, expected=1)
    as_float = parse_embeddings({"data": [{"index": 0, "embedding": f32}]}, expected=1)
    assert as_b64 == as_float


def test_ints_in_a_float_answer_become_floats() -> None:
    out = parse_embeddings({"data": [{"index": 0, "embedding": [0, 1, 2]}]}, expected=1)
    assert out == [[0.0, 1.0, 2.0]] and all(type(x) is float for x in out[0])


@pytest.mark.parametrize("seed", range(5))
def test_order_follows_index_not_position(seed: int) -> None:
    items = [{"index": i, "embedding": [float(i), 0.0]} for i in range(50)]
    random.Random(seed).shuffle(items)
    out = parse_embeddings({"data": items}, expected=50)
    assert [v[0] for v in out] == [float(i) for i in range(50)]


def test_missing_index_means_position() -> None:
    out = parse_embeddings({"data": [{"embedding": [1.0]}, {"embedding": [2.0]}]}, expected=2)
    assert out == [[1.0], [2.0]]


BAD = [
    ({"data": [{"index": 0, "embedding": [1.0]}]}, 2, None, "expected 2 embeddings, got 1"),
    ({"data": [{"index": 0, "embedding": [1.0]}] * 3}, 2, None, "expected 2 embeddings, got 3"),
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]}, 2, None,
     "repeated"),
    ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 5, "embedding": [1.0]}]}, 2, None,
     "out of range"),
    ({"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]}, 2, None,
     "vector 1 has dimension 1, expected 2"),
    ({"data": [{"index": 0, "embedding": [1.0, 2.0]}]}, 1, 1024, "dimension 2, expected 1024"),
    ({"data": [{"index": 0, "embedding": []}]}, 1, None, "dimension 0"),
    ({"data": [{"index": 0, "embedding": "not base64!"}]}, 1, None, "not base64"),
    ({"data": [{"index": 0, "embedding": base64.b64encode(b"abc").decode()}]}, 1, None,
     "not base64 float32"),
    ({"data": [{"index": 0, "embedding": ["x"]}]}, 1, None, "neither"),
    ({"data": [{"index": "0", "embedding": [1.0]}]}, 1, None, "not an integer"),
    ({"data": ["x"]}, 1, None, "not an object"),
    ({"error": "nope"}, 1, None, "no 'data' list"),
    ([1, 2], 1, None, "no 'data' list"),
]


@pytest.mark.parametrize(("body", "expected", "dims", "needle"), BAD)
def test_malformed_answers_raise_typed_errors(body: object, expected: int, dims: int | None,
                                              needle: str) -> None:
    with pytest.raises(ResponseParseError, match="embeddings response") as info:
        parse_embeddings(body, expected=expected, dimensions=dims, provider="NEC cotomi")
    assert needle in str(info.value)
    assert info.value.provider == "NEC cotomi"


def test_build_body() -> None:
    body = build_body(("a", "b"), model="m", encoding_format="base64", dimensions=256,
                      extra={"user": "u"})
    assert body == {"model": "m", "input": ["a", "b"], "encoding_format": "base64",
                    "dimensions": 256, "user": "u"}
    assert "dimensions" not in build_body(["a"], model="m", encoding_format="float")
