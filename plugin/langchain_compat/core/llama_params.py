"""llama-server's own request fields: names, types and ranges, checked before sending (pure).

llama.cpp's ``/v1/chat/completions`` takes its native sampling and cache
fields beside OpenAI's (``tools/server/README.md``, "POST /completion"
options, accepted by the chat endpoint too). Each one here is a typed
parameter of the chat models where the server is llama-server; a value left
at None is not sent, so the server's per-model default applies.

The checks are the types and ranges the server documents; where the server
would clamp or silently ignore a value (an unknown sampler name, a negative
``top_k``), the value is refused here with a message saying what to send.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from langchain_compat.errors import InvalidParameterError

__all__ = ["LLAMA_FIELDS", "SAMPLER_CHARS", "SAMPLER_NAMES", "FieldSpec", "check_llama_value"]

#: Sampler names the server's ``samplers`` list accepts (canonical names and their aliases,
#: llama.cpp ``common_sampler_types_from_names``).
SAMPLER_NAMES = frozenset({
    "penalties", "dry", "top_n_sigma", "top_k", "top-k", "typ_p", "typ-p", "typical_p", "typical-p",
    "typical", "typ", "top_p", "top-p", "nucleus", "min_p", "min-p", "xtc", "temperature", "temp",
    "infill", "adaptive_p",
})
#: One character per sampler, for ``samplers`` given as a string (``"edskypmxt"``).
SAMPLER_CHARS = frozenset("edskypmxti")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The type and range of one llama-server field.

    Attributes:
        kind: ``"int"``, ``"number"``, ``"bool"``, ``"text"`` (a non-empty string),
            ``"choice"``, ``"strings"`` (a non-empty list of strings), ``"object"``
            (a JSON object with string keys), ``"samplers"`` or ``"lora"``.
        min, max: inclusive range of a number.
        choices: the accepted values of a ``"choice"``.
    """

    kind: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()


def _spec(kind: str, lo: float | None = None, hi: float | None = None, *choices: Any) -> FieldSpec:
    return FieldSpec(kind, lo, hi, tuple(choices))


#: Every llama-server field the chat models type, with its check.
LLAMA_FIELDS: Mapping[str, FieldSpec] = MappingProxyType({
    # sampling
    "top_k": _spec("int", 0),
    "min_p": _spec("number", 0, 1),
    "typical_p": _spec("number", 0, 1),
    "top_n_sigma": _spec("number"),
    "dynatemp_range": _spec("number", 0),
    "dynatemp_exponent": _spec("number", 0),
    "min_keep": _spec("int", 0),
    "samplers": _spec("samplers"),
    "mirostat": _spec("choice", None, None, 0, 1, 2),
    "mirostat_tau": _spec("number", 0),
    "mirostat_eta": _spec("number", 0),
    # repetition: llama.cpp's penalties, DRY and XTC
    "repeat_penalty": _spec("number", 0),
    "repeat_last_n": _spec("int", -1),
    "dry_multiplier": _spec("number", 0),
    "dry_base": _spec("number", 1),
    "dry_allowed_length": _spec("int", 0),
    "dry_penalty_last_n": _spec("int", -1),
    "dry_sequence_breakers": _spec("strings"),
    "xtc_probability": _spec("number", 0, 1),
    "xtc_threshold": _spec("number", 0, 1),
    # constrained output
    "grammar": _spec("text"),
    "json_schema": _spec("object"),
    # probabilities
    "n_probs": _spec("int", 0),
    "post_sampling_probs": _spec("bool"),
    # thinking and the chat template
    "chat_template_kwargs": _spec("object"),
    "reasoning_format": _spec("choice", None, None, "none", "auto", "deepseek", "deepseek-legacy"),
    "reasoning_budget_tokens": _spec("int", -1),
    # the server's slots and cache
    "cache_prompt": _spec("bool"),
    "id_slot": _spec("int", -1),
    "n_keep": _spec("int", -1),
    "lora": _spec("lora"),
    "ignore_eos": _spec("bool"),
    "t_max_predict_ms": _spec("int", 0),
})

_KIND_NAMES = {"int": "an integer", "number": "a number", "bool": "True or False",
               "text": "a non-empty string", "strings": "a non-empty list of non-empty strings",
               "object": "a dict with string keys",
               "lora": 'a list of {"id": int, "scale": number}',
               "samplers": "a list of sampler names (or a string of sampler letters)"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and not (
        isinstance(value, float) and not math.isfinite(value))


def _typed(kind: str, value: Any) -> bool:
    """Whether ``value`` has the type of ``kind`` (lists and dicts checked item by item)."""
    if kind == "int":
        return _is_int(value)
    if kind == "number":
        return _is_number(value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str) and bool(value.strip())
    if kind == "strings":
        return (isinstance(value, list) and bool(value)
                and all(isinstance(v, str) and v for v in value))
    if kind == "object":
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if kind == "lora":
        return isinstance(value, list) and all(
            isinstance(a, dict) and _is_int(a.get("id")) and a["id"] >= 0
            and _is_number(a.get("scale")) and set(a) <= {"id", "scale"} for a in value)
    if kind == "samplers":
        return (isinstance(value, str) and bool(value)) or (
            isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value))
    return True


def _unknown_samplers(value: str | list[str]) -> list[str]:
    if isinstance(value, str):
        return [c for c in value if c not in SAMPLER_CHARS]
    return [v for v in value if v not in SAMPLER_NAMES]


def check_llama_value(name: str, value: Any) -> Any:
    """Check one llama-server field; return the value to send.

    Args:
        name: a key of :data:`LLAMA_FIELDS`.
        value: the caller's value (None is never passed in: it means "not sent").

    Returns:
        ``value`` (lists and dicts copied, so a later change by the caller is not sent).

    Raises:
        InvalidParameterError: wrong type, out of range, an unknown choice or sampler.
    """
    spec = LLAMA_FIELDS[name]
    if spec.kind == "choice":
        if value not in spec.choices or isinstance(value, bool) or type(value) is float:
            raise InvalidParameterError(
                name, f"expected one of {list(spec.choices)}, got {value!r}")
        return value
    if not _typed(spec.kind, value):
        raise InvalidParameterError(
            name, f"expected {_KIND_NAMES[spec.kind]}, got {type(value).__name__} {value!r:.200}")
    if spec.min is not None and value < spec.min or spec.max is not None and value > spec.max:
        lo = "-inf" if spec.min is None else f"{spec.min:g}"
        hi = "inf" if spec.max is None else f"{spec.max:g}"
        raise InvalidParameterError(name, f"{value!r} is outside the allowed range [{lo}, {hi}]")
    if spec.kind == "samplers" and (unknown := _unknown_samplers(value)):
        known = "letters of 'edskypmxti'" if isinstance(value, str) else sorted(SAMPLER_NAMES)
        raise InvalidParameterError(
            name, f"unknown sampler(s) {unknown}: llama-server drops a sampler it does not know "
                  f"without a word; use {known} (model_kwargs sends a newer one unchecked)")
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return dict(value) if isinstance(value, dict) else value
