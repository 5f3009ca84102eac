"""Planning an embeddings call (sans-IO): prefixes, limits, batches, recombination.

:func:`plan` turns the caller's texts into the exact strings to send and cuts
them into requests; :func:`combine` turns the vectors that came back (in wire
order) into one vector per caller text. Nothing is silently dropped: every
input either maps to at least one wire string or raises an error naming its
index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_compat.embeddings.input_limits import estimate_tokens, longest_fit, split_to_fit
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import EmbeddingsLimits

__all__ = ["Plan", "Rules", "add_prefix", "combine", "plan"]

OnTooLong = Literal["error", "truncate", "split"]


@dataclass(frozen=True, slots=True)
class Rules:
    """How one call treats its inputs.

    Attributes:
        limits: the endpoint's limits (batch size, tokens per input, empties).
        prefix: prepended to every input (``"query: "``/``"passage: "`` for e5), or ``""``.
        known_prefixes: an input already starting with one of these gets no
            prefix (so ``"query: x"`` passed as a document stays as it is).
        on_too_long: ``"error"``, ``"truncate"`` or ``"split"``.
        check_limits: False sends everything unchecked (the server decides).
        batch_size: most inputs per request (already capped by ``limits.max_batch``).
        provider: display name for error messages.
    """

    limits: EmbeddingsLimits
    prefix: str = ""
    known_prefixes: tuple[str, ...] = ()
    on_too_long: OnTooLong = "error"
    check_limits: bool = True
    batch_size: int = 2048
    provider: str = "the provider"


@dataclass(frozen=True, slots=True)
class Plan:
    """What to send for one call.

    Attributes:
        inputs: the wire strings, in order.
        owners: ``owners[j]`` is the caller index of ``inputs[j]``.
        weights: estimated tokens of ``inputs[j]`` (weights split parts when recombined).
        count: how many texts the caller gave.
        batches: ``(start, stop)`` slices of ``inputs``, one per request.
    """

    inputs: list[str]
    owners: list[int]
    weights: list[int]
    count: int
    batches: list[tuple[int, int]]


def add_prefix(text: str, prefix: str, known: Sequence[str] = ()) -> str:
    """``prefix + text`` unless ``text`` already starts with ``prefix`` or one of ``known``."""
    if not prefix or text.startswith(prefix) or any(k and text.startswith(k) for k in known):
        return text
    return prefix + text


def _invalid(index: int, message: str) -> InvalidParameterError:
    err = InvalidParameterError("texts", f"input {index} {message}")
    err.index = index  # type: ignore[attr-defined]
    return err


def _fit(index: int, text: str, rules: Rules) -> list[str]:
    """The wire string(s) for one caller text."""
    limits = rules.limits
    if not isinstance(text, str):
        raise _invalid(index, f"is a {type(text).__name__}, expected str")
    if not text and rules.check_limits and not limits.allow_empty:
        raise _invalid(index, f"is an empty string; {rules.provider} does not accept empty inputs")
    wire = add_prefix(text, rules.prefix, rules.known_prefixes)
    limit = limits.max_input_tokens
    if limit is None or not rules.check_limits:
        return [wire]
    tokens = estimate_tokens(wire)
    if tokens <= limit:
        return [wire]
    head = wire[: len(wire) - len(text)]  # the prefix we added, if any
    if rules.on_too_long == "truncate":
        return [head + text[: longest_fit(head, text, limit)]]
    if rules.on_too_long == "split":
        return [head + piece for piece in split_to_fit(head, text, limit)]
    raise _invalid(
        index,
        f"is about {tokens} tokens (conservative offline estimate, prefix included), over "
        f"{rules.provider}'s limit of {limit} tokens per input; pass on_too_long='truncate' or "
        "'split', or check_limits=False to let the server decide",
    )


def plan(texts: Sequence[str], rules: Rules) -> Plan:
    """Prefix, check and batch ``texts``.

    Raises:
        InvalidParameterError: an input is not a string, is empty where the
            provider refuses empties, or is too long with ``on_too_long="error"``;
            the message and the ``index`` attribute name the input.
    """
    inputs: list[str] = []
    owners: list[int] = []
    for index, text in enumerate(texts):
        for wire in _fit(index, text, rules):
            inputs.append(wire)
            owners.append(index)
    split = len(inputs) != len(texts)
    weights = [estimate_tokens(s) for s in inputs] if split else [1] * len(inputs)
    size = max(1, min(rules.batch_size, rules.limits.max_batch))
    batches = [(start, min(start + size, len(inputs))) for start in range(0, len(inputs), size)]
    return Plan(inputs, owners, weights, len(texts), batches)


def combine(p: Plan, vectors: Sequence[list[float]]) -> list[list[float]]:
    """One vector per caller text from the wire-order ``vectors``.

    A text sent in several parts gets the token-weighted mean of its parts'
    vectors, L2-normalized (e5 vectors are unit length; so is the mean's
    direction). A text sent whole gets its vector unchanged.
    """
    if len(vectors) != len(p.inputs):
        raise ValueError(f"{len(vectors)} vectors for {len(p.inputs)} inputs")
    if len(p.inputs) == p.count:
        return list(vectors)
    parts: list[list[int]] = [[] for _ in range(p.count)]
    for j, owner in enumerate(p.owners):
        parts[owner].append(j)
    result: list[list[float]] = []
    for js in parts:
        if len(js) == 1:
            result.append(vectors[js[0]])
            continue
        acc = [0.0] * len(vectors[js[0]])
        for j in js:
            w = p.weights[j]
            acc = [a + w * x for a, x in zip(acc, vectors[j], strict=True)]
        norm = math.sqrt(math.fsum(x * x for x in acc))
        result.append([x / norm for x in acc] if norm > 0 else acc)
    return result
