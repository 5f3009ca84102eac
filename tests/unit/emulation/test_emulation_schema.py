"""The small argument validator: checks, safe coercions and messages."""

from __future__ import annotations

import pytest

from langchain_compat.emulation import validate_arguments as validate

OBJ = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "ok": {"type": "boolean"},
        "s": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "opt": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "point": {"$ref": "#/$defs/Point"},
    },
    "required": ["n"],
    "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}},
                        "required": ["x"], "additionalProperties": False}},
}


@pytest.mark.parametrize(("value", "expected"), [
    ({"n": 3}, {"n": 3}),
    ({"n": "3"}, {"n": 3}),
    ({"n": 3.0}, {"n": 3}),
    ({"n": 1, "x": "2.5"}, {"n": 1, "x": 2.5}),
    ({"n": 1, "x": 2}, {"n": 1, "x": 2}),
    ({"n": 1, "ok": "true"}, {"n": 1, "ok": True}),
    ({"n": 1, "s": 12345}, {"n": 1, "s": "12345"}),
    ({"n": 1, "tags": '["a", "b"]'}, {"n": 1, "tags": ["a", "b"]}),
    ({"n": 1, "unit": "Celsius"}, {"n": 1, "unit": "celsius"}),
    ({"n": 1, "opt": None}, {"n": 1, "opt": None}),
    ({"n": 1, "opt": "4"}, {"n": 1, "opt": 4}),
    ({"n": 1, "s": None}, {"n": 1}),  # null for optional non-nullable = not given
    ({"n": 1, "point": {"x": "1"}}, {"n": 1, "point": {"x": 1}}),
    ({"n": 1, "extra": [1]}, {"n": 1, "extra": [1]}),
])
def test_valid_and_coerced(value, expected):
    assert validate(value, OBJ) == (expected, [])


@pytest.mark.parametrize(("value", "message"), [
    ({}, "missing required argument 'n'"),
    ({"n": "three"}, "n: expected integer, got string"),
    ({"n": 3.5}, "n: expected integer, got number"),
    ({"n": True}, "n: expected integer, got boolean"),
    ({"n": 1, "ok": "yes"}, "ok: expected boolean"),
    ({"n": 1, "s": True}, "s: expected string, got boolean"),
    ({"n": 1, "tags": ["a", {}]}, "tags[1]: expected string"),
    ({"n": 1, "unit": "kelvin"}, "unit: must be one of"),
    ({"n": 1, "opt": "x"}, "opt: matches none of the allowed forms"),
    ({"n": 1, "point": {"x": 1, "y": 2}}, "unexpected argument 'y'"),
    ({"n": 1, "point": {}}, "point: missing required argument 'x'"),
    ({"n": None}, "n: expected integer, got null"),
])
def test_errors_name_the_argument(value, message):
    _, errors = validate(value, OBJ)
    assert errors and any(message in e for e in errors), errors


def test_empty_schema_accepts_anything():
    assert validate({"a": object}, {}) == ({"a": object}, [])
    assert validate([1], None) == ([1], [])


def test_const_allof_and_type_lists():
    schema = {"allOf": [{"type": "object", "properties": {"k": {"const": "v"}}},
                        {"required": ["k"]}],
              "properties": {"m": {"type": ["integer", "string"]}}}
    assert validate({"k": "v", "m": "7"}, schema) == ({"k": "v", "m": "7"}, [])
    assert validate({"k": "w"}, schema)[1] == ['k: must be "v"']
    assert "missing required argument 'k'" in validate({}, schema)[1][0]


def test_recursive_ref_terminates():
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": {
        "type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}}}
    deep: dict = {}
    for _ in range(100):
        deep = {"child": deep}
    value, errors = validate(deep, schema)
    assert errors == [] and value == deep


def test_non_finite_and_huge_values_do_not_crash():
    schema = {"type": "object", "properties": {"x": {"type": "number"},
                                               "s": {"type": "string"}}}
    assert validate({"x": "1e999"}, schema)[1]  # inf is not a safe coercion
    assert validate({"s": float("nan")}, schema)[1]
