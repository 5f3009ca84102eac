"""The downgrade table: which error answer refuses which optional field (pure)."""

from __future__ import annotations

import json

import pytest

from langchain_compat.chat_models.downgrades import refused_row
from langchain_compat.core.error_mapping import error_from_response

MISTRAL = {"object": "error", "message": {"detail": [{"type": "extra_forbidden",
           "loc": ["body", "stream_options"], "msg": "Extra inputs are not permitted",
           "input": {"include_usage": True}}]}, "type": "invalid_request_error", "param": None,
           "code": None}
LM_STUDIO = {"error": "'response_format.type' must be 'json_schema' or 'text'"}
PARAM_ONLY = {"error": {"message": "Unsupported value", "type": "invalid_request_error",
                        "param": "tool_choice", "code": "unsupported_value"}}
STREAM = {"stream": True, "stream_options": {"include_usage": True}}
JSON_OBJECT = {"response_format": {"type": "json_object"}}
JSON_SCHEMA = {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}
FORCED = {"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}


def _error(status: int, body: dict):
    return error_from_response(status, json.dumps(body).encode(), {})


@pytest.mark.parametrize("status,body,request_body,row", [
    (422, MISTRAL, STREAM, "stream_options"),
    (400, LM_STUDIO, JSON_OBJECT, "json_object"),
    (400, LM_STUDIO, JSON_SCHEMA, "json_schema"),
    (400, PARAM_ONLY, FORCED, "tool_choice"),
    (400, PARAM_ONLY, {**FORCED, "tool_choice": {"type": "function", "function": {"name": "f"}}},
     "tool_choice"),
])
def test_refusals_are_recognised(status, body, request_body, row):
    assert refused_row(_error(status, body), request_body).name == row


@pytest.mark.parametrize("status,body,request_body", [
    (422, MISTRAL, {"stream": True}),               # the request did not carry the field
    (500, MISTRAL, STREAM),                          # not a refusal status
    (400, {"error": "temperature out of range"}, STREAM),   # names another field
    (400, PARAM_ONLY, {**FORCED, "tool_choice": "auto"}),   # auto is never downgraded
])
def test_other_errors_are_not_downgrades(status, body, request_body):
    assert refused_row(_error(status, body), request_body) is None
