"""Planning a call: prefixes, limits, batch boundaries, recombination (sans-IO, table-driven)."""

from __future__ import annotations

import math

import pytest

from langchain_compat.embeddings.batching import Rules, add_prefix, combine, plan
from langchain_compat.embeddings.input_limits import estimate_tokens
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import EmbeddingsLimits
from langchain_compat.providers.cotomi import E5_LARGE

OPEN = EmbeddingsLimits(max_batch=2048)


@pytest.mark.parametrize(("n", "size", "expected"), [
    (0, 2048, []),
    (1, 2048, [(0, 1)]),
    (2048, 2048, [(0, 2048)]),
    (2049, 2048, [(0, 2048), (2048, 2049)]),
    (4096, 2048, [(0, 2048), (2048, 4096)]),
    (10, 3, [(0, 3), (3, 6), (6, 9), (9, 10)]),
    (5, 1, [(i, i + 1) for i in range(5)]),
    (5, 5000, [(0, 5)]),  # capped by max_batch, never over it
])
def test_batch_boundaries(n: int, size: int, expected: list[tuple[int, int]]) -> None:
    p = plan([f"t{i}" for i in range(n)], Rules(limits=OPEN, batch_size=size))
    assert p.batches == expected
    assert all(stop - start <= OPEN.max_batch for start, stop in p.batches)


def test_batch_size_is_capped_by_the_profile() -> None:
    p = plan(["x"] * 5000, Rules(limits=E5_LARGE, batch_size=10_000))
    assert max(stop - start for start, stop in p.batches) == 2048


Q, P = "query: ", "passage: "


@pytest.mark.parametrize(("text", "prefix", "expected"), [
    ("hello", P, "passage: hello"),
    ("passage: hello", P, "passage: hello"),  # never doubled
    ("query: hello", P, "query: hello"),  # an explicit e5 prefix is the caller's choice
    ("query: hello", Q, "query: hello"),
    ("hello", "", "hello"),
    ("", P, "passage: "),
    ("Passage: hello", P, "passage: Passage: hello"),  # case matters, as in e5's training
])
def test_prefix_added_once(text: str, prefix: str, expected: str) -> None:
    assert add_prefix(text, prefix, (Q, P)) == expected
    assert add_prefix(add_prefix(text, prefix, (Q, P)), prefix, (Q, P)) == expected


def test_plan_applies_the_prefix_to_every_input_and_split_part() -> None:
    rules = Rules(limits=E5_LARGE, prefix=P, known_prefixes=(Q, P), on_too_long="split")
    p = plan(["a", "passage: b", "word " * 1000], rules)
    assert p.inputs[:2] == ["passage: a", "passage: b"]
    assert all(s.startswith(P) and not s.startswith(P + P) for s in p.inputs)
    assert p.owners[:2] == [0, 1] and set(p.owners[2:]) == {2} and len(p.inputs) > 3


@pytest.mark.parametrize(("texts", "index"), [
    ([""], 0),
    (["a", "b", ""], 2),
    (["a", "", ""], 1),
])
def test_empty_input_error_names_the_index(texts: list[str], index: int) -> None:
    with pytest.raises(InvalidParameterError, match=f"input {index} is an empty string") as info:
        plan(texts, Rules(limits=E5_LARGE, prefix=P, provider="NEC cotomi"))
    assert info.value.index == index
    assert "NEC cotomi does not accept empty inputs" in str(info.value)


def test_empty_input_allowed_where_the_profile_allows_it() -> None:
    assert plan(["", "a"], Rules(limits=OPEN)).inputs == ["", "a"]
    assert plan([""], Rules(limits=E5_LARGE, check_limits=False)).inputs == [""]


@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["nested"]])
def test_non_string_input_names_the_index(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="input 1 is a"):
        plan(["ok", bad], Rules(limits=OPEN))  # type: ignore[list-item]


LONG = "token " * 700  # about 1400 estimated tokens


def test_too_long_error_names_the_index_and_the_way_out() -> None:
    with pytest.raises(InvalidParameterError) as info:
        plan(["short", "short", LONG], Rules(limits=E5_LARGE, prefix=P, provider="NEC cotomi"))
    msg = str(info.value)
    assert info.value.index == 2 and "input 2 is about" in msg
    assert "limit of 512 tokens" in msg and "on_too_long='truncate' or 'split'" in msg


def test_just_under_the_limit_passes_and_just_over_fails() -> None:
    text = "x"
    while estimate_tokens(P + text + "x") <= 512:
        text += "x"
    assert estimate_tokens(P + text) <= 512
    assert plan([text], Rules(limits=E5_LARGE, prefix=P)).inputs == [P + text]
    with pytest.raises(InvalidParameterError):
        plan([text + "x"], Rules(limits=E5_LARGE, prefix=P))


def test_truncate_fits_and_keeps_the_start() -> None:
    p = plan(["ok", LONG], Rules(limits=E5_LARGE, prefix=P, on_too_long="truncate"))
    assert len(p.inputs) == 2 and p.owners == [0, 1]
    assert estimate_tokens(p.inputs[1]) <= 512
    assert LONG.startswith(p.inputs[1][len(P):]) and len(p.inputs[1]) > 200


def test_split_parts_fit_and_cover_the_text() -> None:
    p = plan([LONG], Rules(limits=E5_LARGE, prefix=P, on_too_long="split"))
    assert len(p.inputs) >= 3 and all(estimate_tokens(s) <= 512 for s in p.inputs)
    assert " ".join(s[len(P):] for s in p.inputs).split() == LONG.split()


def test_unchecked_sends_everything_as_is() -> None:
    p = plan([LONG, ""], Rules(limits=E5_LARGE, prefix=P, check_limits=False))
    assert p.inputs == [P + LONG, P]


def test_combine_averages_split_parts_and_normalizes() -> None:
    p = plan(["a", LONG, "b"], Rules(limits=E5_LARGE, on_too_long="split"))
    parts = len(p.inputs) - 2
    vectors = ([[1.0, 0.0]] + [[0.0, 1.0] if k % 2 else [1.0, 0.0] for k in range(parts)]
               + [[3.0, 4.0]])
    out = combine(p, vectors)
    assert len(out) == 3
    assert out[0] == [1.0, 0.0] and out[2] == [3.0, 4.0]  # whole inputs untouched
    assert math.isclose(math.hypot(*out[1]), 1.0) and out[1][0] > 0 and out[1][1] > 0


def test_combine_refuses_a_wrong_count() -> None:
    p = plan(["a", "b"], Rules(limits=OPEN))
    with pytest.raises(ValueError):
        combine(p, [[1.0]])
