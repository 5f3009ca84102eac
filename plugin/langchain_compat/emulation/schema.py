"""A small JSON-schema validator (with safe coercion) for emulated tool-call arguments.

Why not ``jsonschema``: it is installed in the dev environment but is not a declared
runtime dependency, and we need two things it does not do: *safe coercion* of what models
typically get wrong (``"3"`` for an integer, ``"true"`` for a boolean, a JSON string where an
object is expected) and short, model-readable error messages for re-asks. Tool schemas made
by ``convert_to_openai_tool`` only use a small subset, which is what this covers:
``type`` (also lists of types), ``required``, ``properties``, ``additionalProperties``,
``enum``, ``const``, ``items`` / ``prefixItems``, ``anyOf`` / ``oneOf`` / ``allOf`` and local
``$ref`` (``#/$defs/...``, ``#/definitions/...``). Other keywords (``format``, ``minimum``,
``pattern``...) are ignored: the tool itself validates those when it runs.

Nothing is dropped silently, with one documented exception: ``null`` given for an *optional*
property whose schema does not accept ``null`` is treated as "not given" and removed,
because models emit it for omitted optional arguments and the tool's default then applies.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["resolve_ref", "validate"]

_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_NUM_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_MAX_DEPTH = 64


def validate(value: Any, schema: dict[str, Any] | None) -> tuple[Any, list[str]]:
    """Validate ``value`` against ``schema``, coercing where it is lossless and unambiguous.

    Args:
        value: The decoded arguments (usually a dict).
        schema: A JSON schema (a tool's ``parameters``); ``None`` or ``{}`` accepts anything.

    Returns:
        ``(coerced_value, errors)``; ``errors`` is empty when the value is valid. Each error
        is a short sentence naming the argument path, e.g. ``"city: expected string"``.
    """
    if not schema:
        return value, []
    return _check(value, schema, schema, "", 0)


def _label(path: str) -> str:
    return path or "arguments"


def resolve_ref(ref: str, root: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a local ``$ref`` (``#/$defs/X``, JSON-pointer escapes) points to, or None."""
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _is(v: Any, t: str) -> bool:
    actual = _type_name(v)
    return actual == t or (t == "number" and actual == "integer")


def _json_container(v: str, kind: type) -> Any:
    try:
        out = json.loads(v)
    except (ValueError, RecursionError):
        return None
    return out if isinstance(out, kind) else None


def _coerce_to(v: Any, t: str) -> tuple[bool, Any]:
    """Try the safe coercions into JSON type ``t``: ``(ok, new_value)``."""
    if t == "integer":
        if isinstance(v, float) and math.isfinite(v) and v.is_integer():
            return True, int(v)
        if isinstance(v, str) and _INT_RE.match(v):
            return True, int(v)
    elif t == "number":
        if isinstance(v, str) and _NUM_RE.match(v):
            f = float(v)
            return math.isfinite(f), (int(f) if _INT_RE.match(v) else f)
    elif t == "boolean":
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return True, v.strip().lower() == "true"
    elif t == "string":
        # Integers and finite floats turn into their exact decimal text: lossless.
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return True, str(v)
    elif t in ("object", "array") and isinstance(v, str):
        out = _json_container(v, dict if t == "object" else list)
        return out is not None, out
    return False, v


def _check_type(v: Any, s: dict[str, Any], path: str) -> tuple[Any, str | None]:
    t = s.get("type")
    if t is None:
        return v, None
    types = [t] if isinstance(t, str) else list(t)
    if any(_is(v, x) for x in types):
        return v, None
    for x in types:
        ok, new = _coerce_to(v, x)
        if ok:
            return new, None
    return v, f"{_label(path)}: expected {' or '.join(types)}, got {_type_name(v)}"


def _enum_match(v: Any, options: list[Any]) -> tuple[bool, Any]:
    if v in options and not isinstance(v, bool):
        return True, v
    if any(v is o for o in options):
        return True, v
    loose = [o for o in options if isinstance(o, str) and isinstance(v, str)
             and o.lower() == v.strip().lower()]
    if len(loose) == 1:  # case/space slip with a unique answer: safe to fix
        return True, loose[0]
    return False, v


def _check(v: Any, s: Any, root: dict[str, Any], path: str, depth: int) -> tuple[Any, list[str]]:
    if not isinstance(s, dict) or depth > _MAX_DEPTH:
        return v, []
    if "$ref" in s:
        target = resolve_ref(s["$ref"], root)
        if target is None:
            return v, []
        s = {**target, **{k: x for k, x in s.items() if k != "$ref"}}
    errors: list[str] = []
    for sub in s.get("allOf") or []:
        v, errs = _check(v, sub, root, path, depth + 1)
        errors += errs
    branches = s.get("anyOf") or s.get("oneOf")
    if branches:
        first: list[str] = []
        for sub in branches:
            new, errs = _check(v, sub, root, path, depth + 1)
            if not errs:
                v = new
                break
            first = first or errs
        else:
            return v, [*errors, f"{_label(path)}: matches none of the allowed forms ({first[0]})"]
    v, err = _check_type(v, s, path)
    if err:
        return v, [*errors, err]
    if "const" in s and v != s["const"]:
        errors.append(f"{_label(path)}: must be {json.dumps(s['const'])}")
    if isinstance(s.get("enum"), list):
        ok, v = _enum_match(v, s["enum"])
        if not ok:
            errors.append(f"{_label(path)}: must be one of {json.dumps(s['enum'])}")
    if isinstance(v, dict):
        v, errs = _check_object(v, s, root, path, depth)
        errors += errs
    elif isinstance(v, list):
        v, errs = _check_array(v, s, root, path, depth)
        errors += errs
    return v, errors


def _check_object(v: dict, s: dict, root: dict, path: str, depth: int) -> tuple[dict, list[str]]:
    props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
    required = [r for r in s.get("required") or [] if isinstance(r, str)]
    extra = s.get("additionalProperties", True)
    out: dict[str, Any] = {}
    errors: list[str] = []
    for key, item in v.items():
        sub = f"{path}.{key}" if path else str(key)
        if key in props:
            new, errs = _check(item, props[key], root, sub, depth + 1)
            if errs and item is None and key not in required:
                continue  # null for an optional argument means "not given" (see module doc)
            errors += errs
            out[key] = new
        elif extra is False:
            errors.append(f"{_label(path)}: unexpected argument {key!r}")
            out[key] = item
        else:
            new, errs = _check(item, extra, root, sub, depth + 1)
            errors += errs
            out[key] = new
    for key in required:
        if key not in out:
            errors.append(f"{_label(path)}: missing required argument {key!r}")
    return out, errors


def _check_array(v: list, s: dict, root: dict, path: str, depth: int) -> tuple[list, list[str]]:
    prefix = s.get("prefixItems")
    items = s.get("items")
    if isinstance(items, list):  # draft-04 tuple form
        prefix, items = items, s.get("additionalItems")
    prefix = prefix if isinstance(prefix, list) else []
    out: list[Any] = []
    errors: list[str] = []
    for i, item in enumerate(v):
        sub_schema = prefix[i] if i < len(prefix) else items
        new, errs = _check(item, sub_schema, root, f"{path}[{i}]", depth + 1)
        errors += errs
        out.append(new)
    return out, errors
