"""A deterministic value that follows a JSON schema (for test doubles).

:func:`sample_value` walks a tool's ``parameters`` (or any JSON schema) and
builds the simplest value it accepts: ``const`` or the first ``enum`` value,
the first non-null ``anyOf``/``oneOf`` option, merged ``allOf`` parts,
``$ref`` into ``$defs``/``definitions``, every property of an object,
``minItems`` items of an array, numbers inside ``minimum``/``maximum`` (and
``multipleOf``), strings of ``minLength`` that fit ``maxLength``, and valid
samples for the common string ``format``\\ s. ``pattern`` is not solved.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["sample_value"]

_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
}
_MAX_DEPTH = 12


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, dict):
            return {}
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
    return node


def _merge(parts: list[Any], root: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict) and isinstance(part.get("$ref"), str):
            part = _resolve(part["$ref"], root)
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = [*out.get("required", []), *value]
            else:
                out.setdefault(key, value)
    return out


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    lo = schema.get("minimum")
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
            schema.get("exclusiveMinimum"), bool):
        lo = schema["exclusiveMinimum"] + (1 if integer else 0.5)
    hi = schema.get("maximum")
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(
            schema.get("exclusiveMaximum"), bool):
        hi = schema["exclusiveMaximum"] - (1 if integer else 0.5)
    value: float = lo if lo is not None else (min(1, hi) if hi is not None else 1)
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        value = math.ceil(value / step) * step
    return math.ceil(value) if integer else float(value)


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    lo = schema.get("minLength") or 0
    hi = schema.get("maxLength")
    text = "text"
    if len(text) < lo:
        text = text + "a" * (lo - len(text))
    return text[:hi] if isinstance(hi, int) else text


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def _sample(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if isinstance(schema.get("$ref"), str):
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _sample(_merge([{"$ref": schema["$ref"]}, rest], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("allOf"), list):
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return _sample(_merge([*schema["allOf"], rest], root), root, depth + 1)
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key) or ()
                   if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return _sample(options[0], root, depth + 1)
        if schema.get(key):
            return None
    if "default" in schema and _kind(schema) is None:
        return schema["default"]
    return _by_kind(schema, root, depth)


def _by_kind(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    kind = _kind(schema)
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: _sample(sub, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        count = max(schema.get("minItems") or 0, 1 if depth < _MAX_DEPTH - 1 else 0)
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        items = schema.get("items")
        if isinstance(schema.get("prefixItems"), list):
            return [_sample(s, root, depth + 1) for s in schema["prefixItems"]]
        return [_sample(items, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema)
    if kind == "null":
        return None
    return "text"  # no type: any value is valid


def sample_value(schema: dict[str, Any] | None) -> Any:
    """The simplest value valid for ``schema`` (an empty object for None).

    Args:
        schema: a JSON schema (a tool's ``parameters``, a pydantic model's
            ``model_json_schema()``, ...).

    Returns:
        A JSON-serialisable value the schema accepts (``pattern`` aside).
    """
    if not schema:
        return {}
    return _sample(schema, schema, 0)
