"""Embeddings wire format (sans-IO): request bodies and response decoding.

Decoding never needs numpy: a base64 ``embedding`` is little-endian float32
(OpenAI's format), turned into floats by ``array.array('f').frombytes`` (one C
loop) and byte-swapped on big-endian hosts. A float list is taken as it is.
Either form is accepted whatever was asked for (some servers ignore
``encoding_format``).

Every response is checked: as many vectors as inputs, each ``index`` once,
one dimension for all (and the expected one when known). Vectors are returned
in input order, sorted by ``index`` (servers may answer out of order).
"""

from __future__ import annotations

import binascii
import math
import sys
from array import array
from base64 import b64decode
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_compat.errors import ResponseParseError

__all__ = ["build_body", "decode_base64", "parse_embeddings"]

_BIG_ENDIAN = sys.byteorder == "big"


def build_body(
    texts: Sequence[str],
    *,
    model: str,
    encoding_format: str,
    dimensions: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of one ``POST /embeddings`` request."""
    body: dict[str, Any] = {"model": model, "input": list(texts),
                            "encoding_format": encoding_format}
    if dimensions is not None:
        body["dimensions"] = dimensions
    if extra:
        body.update(extra)
    return body


def decode_base64(value: str) -> list[float]:
    """Little-endian float32 bytes in base64 -> a list of floats.

    Raises:
        ValueError: not base64, or a byte length that is not a multiple of 4.
    """
    raw = b64decode(value, validate=True)
    if len(raw) % 4:
        raise ValueError(f"{len(raw)} bytes is not a whole number of float32 values")
    vec = array("f")
    vec.frombytes(raw)
    if _BIG_ENDIAN:
        vec.byteswap()
    return vec.tolist()


def _fail(message: str, provider: str | None) -> ResponseParseError:
    return ResponseParseError(f"embeddings response: {message}", status_code=200, provider=provider)


def _vector(item: Any, position: int, provider: str | None) -> tuple[int, list[float]]:
    if not isinstance(item, Mapping):
        raise _fail(f"data[{position}] is not an object", provider)
    index = item.get("index", position)
    if not isinstance(index, int) or isinstance(index, bool):
        raise _fail(f"data[{position}].index is not an integer: {index!r}", provider)
    value = item.get("embedding")
    vector: list[float] | None = None
    if isinstance(value, str):
        try:
            vector = decode_base64(value)
        except (binascii.Error, ValueError) as exc:
            raise _fail(f"data[{position}].embedding is not base64 float32 ({exc})",
                        provider) from None
    elif isinstance(value, list):
        try:  # one C loop that converts ints and refuses non-numbers
            vector = array("d", value).tolist()
        except TypeError:
            pass
    if vector is None:
        raise _fail(f"data[{position}].embedding is neither a list of numbers nor base64", provider)
    if not all(map(math.isfinite, vector)):  # NaN/inf would poison every similarity
        raise _fail(f"data[{position}].embedding holds NaN or infinite values; the server's "
                    "model output is broken (retry, or report it to the provider)", provider)
    return index, vector


def parse_embeddings(
    body: Any,
    *,
    expected: int,
    dimensions: int | None = None,
    provider: str | None = None,
) -> list[list[float]]:
    """Vectors of one response, in input order.

    Args:
        body: the decoded JSON answer.
        expected: how many inputs the request carried.
        dimensions: the vector size every vector must have, when known.
        provider: for error messages.

    Raises:
        ResponseParseError: no ``data`` list, a count, index or dimension
            that does not match, or an undecodable vector.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise _fail("no 'data' list", provider)
    if len(data) != expected:
        raise _fail(f"expected {expected} embeddings, got {len(data)}", provider)
    out: list[list[float] | None] = [None] * expected
    for position, item in enumerate(data):
        index, vec = _vector(item, position, provider)
        if not 0 <= index < expected or out[index] is not None:
            raise _fail(f"index {index} is out of range or repeated "
                        f"(expected 0..{expected - 1} once each)", provider)
        out[index] = vec
    size = (dimensions if dimensions is not None
            else (len(out[0]) if out else 0))  # type: ignore[arg-type]
    for index, vec in enumerate(out):
        assert vec is not None
        if len(vec) != size or not vec:
            want = f"{size}" if dimensions is not None else f"{size} (as vector 0)"
            raise _fail(f"vector {index} has dimension {len(vec)}, expected {want}", provider)
    return out  # type: ignore[return-value]
