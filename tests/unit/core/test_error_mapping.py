"""HTTP error answers -> typed errors; Retry-After parsing; redaction."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import httpx
import pytest

from langchain_compat import errors as E
from langchain_compat.core.error_mapping import (
    error_from_response,
    error_from_stream_event,
    looks_like_tools_refusal,
    parse_retry_after,
)

KEY = "sk-canary-0123456789abcdef"

STATUS_CLASSES = [
    (400, E.BadRequestError), (401, E.AuthenticationError), (403, E.PermissionDeniedError),
    (404, E.NotFoundError), (409, E.ConflictError), (422, E.BadRequestError),
    (429, E.RateLimitError),
    (500, E.ServerError), (501, E.ServerError), (502, E.ServerError), (503, E.ServerError),
    (504, E.ServerError), (529, E.ServerError),
    (405, E.APIError), (408, E.APIError), (418, E.APIError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_every_status_maps_to_its_class(status: int, cls: type[E.APIError]) -> None:
    err = error_from_response(status, b'{"error": {"message": "nope"}}', {}, provider="Prov")
    assert type(err) is cls
    assert isinstance(err, E.APIError) and isinstance(err, E.CompatError)
    assert err.status_code == status
    assert err.message == "nope"
    assert err.provider == "Prov"
    assert str(err) == f"Prov HTTP {status}: nope"


BODIES = [
    ('{"error": {"message": "model not found", "type": "invalid_request_error"}}',
     "model not found"),
    ('{"error": "quota exceeded"}', "quota exceeded"),
    ('{"detail": "Not authenticated"}', "Not authenticated"),
    ('{"message": "Invalid API key"}', "Invalid API key"),
    ('{"msg": "bad"}', "bad"),
    ('{"detail": [{"loc": ["body", "temperature"], "msg": "must be <= 2"}, {"msg": "x"}]}',
     "must be <= 2; x"),
    ('{"error": {"code": 12}}', '{"code": 12}'),
    ("Service Unavailable", "Service Unavailable"),
    ("  <html>Bad Gateway</html>\n", "<html>Bad Gateway</html>"),
    ("", "(empty body)"),
    ("[1, 2]", "[1, 2]"),
]


@pytest.mark.parametrize(("content", "message"), BODIES)
def test_provider_message_is_kept(content: str, message: str) -> None:
    err = error_from_response(400, content.encode(), {})
    assert err.message == message


def test_long_text_bodies_are_truncated() -> None:
    err = error_from_response(500, b"x" * 10000, {})
    assert len(err.message) == 2000


def test_decoded_body_is_attached() -> None:
    err = error_from_response(400, b'{"error": {"message": "m", "param": "temperature"}}', {})
    assert err.body == {"error": {"message": "m", "param": "temperature"}}


@pytest.mark.parametrize(
    "header", ["x-request-id", "X-Request-ID", "request-id", "x-amzn-requestid", "cf-ray"])
def test_request_id_from_headers(header: str) -> None:
    err = error_from_response(500, b"oops", httpx.Headers({header: "req-42"}))
    assert err.request_id == "req-42"
    assert str(err).endswith("(request id req-42)")


def test_no_request_id() -> None:
    err = error_from_response(500, b"oops", httpx.Headers({}))
    assert err.request_id is None and "request id" not in str(err)


# -- Retry-After ---------------------------------------------------------------------

def _http_date(offset: float, now: float) -> str:
    return email.utils.formatdate(now + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": " 3 "}, 3.0),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250.5"}, 0.2505),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # ms wins: more precise
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),  # unreadable ms falls back
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_on_429(headers: dict[str, str], expected: float | None) -> None:
    err = error_from_response(429, b'{"error": {"message": "slow"}}', httpx.Headers(headers))
    assert isinstance(err, E.RateLimitError)
    assert err.retry_after == (pytest.approx(expected) if expected is not None else None)


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(_http_date(30, now), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(_http_date(-30, now), now=now) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=0) == pytest.approx(1445412480)


def test_retry_after_http_date_on_429() -> None:
    import time

    err = error_from_response(429, b"", httpx.Headers({"retry-after": _http_date(20, time.time())}))
    assert 15 <= err.retry_after <= 21


@pytest.mark.parametrize("value", [None, "", "   ", "tomorrow", "Mon, 99 Foo"])
def test_unparseable_retry_after(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retry_after_on_any_status_that_sends_it() -> None:
    # 503 "overloaded" answers send Retry-After too; the retry policy honours it.
    err = error_from_response(503, b"busy", httpx.Headers({"retry-after": "5"}))
    assert err.retry_after == 5.0
    assert error_from_response(503, b"busy", httpx.Headers({})).retry_after is None


# -- secrets ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [400, 401, 403, 429, 500])
@pytest.mark.parametrize(
    "content",
    [
        f'{{"error": {{"message": "Incorrect API key provided: {KEY}"}}}}',
        f'{{"error": {{"message": "bad", "key": "{KEY}"}}}}',
        f'{{"detail": "Bearer {KEY} rejected"}}',
        f"invalid x-api-key {KEY}",
        f'{{"echo": {{"headers": {{"authorization": "Bearer {KEY}"}}}}, "message": "no"}}',
        f'["{KEY}"]',
    ],
    ids=["openai-shape", "dict-field", "detail", "text", "nested", "list"],
)
def test_secret_is_redacted_everywhere(status: int, content: str) -> None:
    err = error_from_response(status, content.encode(), {}, provider="P", secrets=(KEY,))
    assert KEY not in str(err)
    assert KEY not in repr(err)
    assert KEY not in err.message
    assert KEY not in json.dumps(err.body)
    assert KEY not in str(err.args)


def test_redact() -> None:
    assert E.redact(f"a {KEY} b {KEY}", KEY) == "a *** b ***"
    assert E.redact("abc", None, "") == "abc"
    assert E.redact("abc", "ab") == "abc"  # too short to be a real key: left alone


# -- stream error events -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("obj", "cls", "status"),
    [
        ({"error": {"message": "m", "code": 400}}, E.BadRequestError, 400),
        ({"error": {"message": "m", "code": 401}}, E.AuthenticationError, 401),
        ({"error": {"message": "m", "code": 429}}, E.RateLimitError, 429),
        ({"error": {"message": "m", "status": 502}}, E.ServerError, 502),
        ({"error": {"message": "m", "code": "overloaded"}}, E.ServerError, None),
        ({"error": "m"}, E.ServerError, None),
    ],
)
def test_error_from_stream_event(obj: dict[str, Any], cls: type[E.APIError],
                                  status: int | None) -> None:
    err = error_from_stream_event(obj, provider="P")
    assert type(err) is cls
    assert err.status_code == status
    assert err.message == "m"
    assert err.provider == "P"


# -- tools refusal ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, '"tools" is not supported', True),
        (422, "extra field: functions", True),
        (400, "auto tool choice requires --enable-auto-tool-choice and --tool-call-parser", True),
        (400, "functions / function_call are not supported by this engine", True),
        (400, "Extra inputs are not permitted: tool_choice", True),
        # a server-side parse failure is not a refusal of the tools field (it is re-sent
        # emulated for that turn only, see test_tool_parse_failures_are_typed_and_final)
        (500, "Failed to parse input: does not match the expected peg-native format", False),
        # the caller's own history error must surface, not switch the model to emulation
        (400, "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
              "message with 'tool_calls'. tool_call_id call_9 not found", False),
        (400, "tool_call_id call_x is not a valid id", False),
        (400, "temperature must be <= 2", False),
        (401, "tools not allowed for this key", False),
        (429, "too many tool calls", False),
        (503, "tool server overloaded", False),
    ],
)
def test_looks_like_tools_refusal(status: int, message: str, expected: bool) -> None:
    err = error_from_response(status, json.dumps({"error": {"message": message}}).encode(), {})
    assert looks_like_tools_refusal(err) is expected


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (500, "Failed to parse input at pos 12: does not match the expected peg-native format",
         True),
        (500, "Error in extracting tool call from response.", True),
        (500, "Failed to parse tool call: unexpected token", True),
        (500, "internal error", False),
        (503, "overloaded", False),
    ],
)
def test_tool_parse_failures_are_typed_and_final(status: int, message: str, expected: bool) -> None:
    from langchain_compat.core.error_mapping import is_tool_parse_failure
    from langchain_compat.errors import ServerError, ToolCallError, ToolCallParseError
    from langchain_compat.transport.retry import RetryPolicy

    err = error_from_response(status, json.dumps({"error": {"message": message}}).encode(), {})
    assert is_tool_parse_failure(err) is expected
    assert isinstance(err, ServerError)
    assert isinstance(err, ToolCallParseError) is expected
    assert isinstance(err, ToolCallError) is expected
    # the same request fails the same way again: never retried, whatever the budget
    assert (RetryPolicy(max_retries=5).delay(0, err) is None) is expected
