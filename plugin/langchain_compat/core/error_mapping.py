"""HTTP error answers -> the exception hierarchy (sans-IO, one boundary)."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from langchain_compat.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContextOverflowError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ToolCallParseError,
    redact,
)

__all__ = [
    "context_overflow",
    "error_from_response",
    "error_from_stream_event",
    "is_tool_parse_failure",
    "looks_like_tools_refusal",
    "parse_retry_after",
]

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray")
_MAX_MESSAGE = 2000


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - (time.time() if now is None else now))


def _message_from_body(body: Any) -> str:
    """The provider's own message from an error body of any common shape."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "detail", "msg", "error"):
                val = err.get(key)
                if isinstance(val, str) and val:
                    return val
                if isinstance(val, list) and val:  # FastAPI/pydantic 422 detail
                    return "; ".join(str(v.get("msg", v)) if isinstance(v, dict) else str(v)
                                     for v in val)
            return json.dumps(err)[:_MAX_MESSAGE]
        if isinstance(err, str):
            return err
        if isinstance(body.get("detail"), str):
            return body["detail"]
    if isinstance(body, str):
        return body.strip()[:_MAX_MESSAGE] or "(empty body)"
    return json.dumps(body)[:_MAX_MESSAGE]


# vLLM and OpenAI: "This model's maximum context length is 4096 tokens. However, you requested
# 5000 tokens (4900 in the messages, 100 in the completion)" / "your request has 5000 input
# tokens" / "your messages resulted in 5000 tokens"; llama-server's older text has no numbers.
_CTX_LIMIT = re.compile(r"maximum context length is (\d+)", re.IGNORECASE)
_CTX_PROMPT = re.compile(r"(\d+) in the messages|request has (\d+) input tokens|"
                         r"messages resulted in (\d+) tokens|prompt (?:has|is) (\d+) tokens",
                         re.IGNORECASE)
_CTX_WORDS = re.compile(r"context_length_exceeded|exceeds? the (?:available )?context size|"
                        r"maximum context length is|(?:exceeds?|exceeded|longer than) the "
                        r"(?:model's )?(?:maximum )?context (?:window|length)", re.IGNORECASE)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def context_overflow(body: Any, message: str) -> tuple[int | None, int | None] | None:
    """``(n_prompt_tokens, n_ctx)`` when an error answer says the prompt does not fit, else None.

    llama-server sends ``{"error": {"type": "exceed_context_size_error", "n_prompt_tokens": N,
    "n_ctx": M}}``; vLLM and OpenAI say it in the message ("maximum context length is M
    tokens ... N in the messages"). A number the answer does not give is None.
    """
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and (err.get("type") == "exceed_context_size_error"
                                  or err.get("code") == "context_length_exceeded"):
        prompt, ctx = _count(err.get("n_prompt_tokens")), _count(err.get("n_ctx"))
        if prompt is not None or ctx is not None:
            return prompt, ctx
    elif not _CTX_WORDS.search(message or ""):
        return None
    limit = _CTX_LIMIT.search(message or "")
    found = _CTX_PROMPT.search(message or "")
    prompt_n = next((int(g) for g in found.groups() if g), None) if found else None
    return prompt_n, int(limit.group(1)) if limit else None


def _typed(cls: type[APIError], status: int | None, body: Any, message: str,
           kw: dict[str, Any]) -> APIError:
    """``cls(message, **kw)``, or a :class:`ContextOverflowError` for a 4xx that says so."""
    overflow = context_overflow(body, message) if status is None or 400 <= status < 500 else None
    if overflow is None:
        return cls(message, **kw)
    return ContextOverflowError(message, n_prompt_tokens=overflow[0], n_ctx=overflow[1], **kw)


def error_from_response(
    status: int,
    content: bytes,
    headers: Mapping[str, str],
    *,
    provider: str | None = None,
    secrets: tuple[str | None, ...] = (),
) -> APIError:
    """Build the typed error for an HTTP error answer.

    The provider's message is kept (with any secret redacted); the request id
    comes from the usual headers; ``retry_after`` comes from ``Retry-After`` /
    ``retry-after-ms`` whatever the status (429 and 503 send it).
    """
    # Redact before decoding so the key is gone from the message *and* from
    # every string inside a JSON body (providers echo it in nested fields).
    text = redact(content.decode("utf-8", "replace"), *secrets) if content else ""
    try:
        body: Any = json.loads(text) if text else text
    except ValueError:
        body = text
    message = redact(_message_from_body(body), *secrets)
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    cls = _BY_STATUS.get(status) or (_server_error(message) if status >= 500 else APIError)
    kw: dict[str, Any] = {"status_code": status, "request_id": request_id, "provider": provider,
                          "body": body}
    # Any status may carry the hint: 429, and 503 "overloaded, retry in N s" (RFC 9110 10.2.3).
    ms = headers.get("retry-after-ms")
    retry = float(ms) / 1000 if ms and ms.replace(".", "", 1).isdigit() else None
    if retry is None:
        retry = parse_retry_after(headers.get("retry-after"))
    kw["retry_after"] = retry
    return _typed(cls, status, body, message, kw)


def error_from_stream_event(obj: Any, *, provider: str | None = None) -> APIError:
    """An ``error`` event inside an SSE stream -> typed error."""
    err = obj.get("error") if isinstance(obj, dict) else None
    status = None
    if isinstance(err, dict):
        code = err.get("code") or err.get("status")
        status = code if isinstance(code, int) else None
    message = _message_from_body(obj)
    cls = _BY_STATUS.get(status or 0) or (
        _server_error(message) if (status or 500) >= 500 else APIError)
    kw = {"status_code": status, "provider": provider, "body": obj}
    return _typed(cls, status, obj, message, kw)


# A server-side tool-call parser that failed on the model's output: llama-server
# ("Failed to parse input at pos N", "... does not match the expected peg-native format"),
# vLLM ("Error in extracting tool call"), SGLang ("Failed to parse tool call").
_TOOL_PARSE_FAILURE = re.compile(
    r"peg-native|failed to parse (?:input|tool[ _]?call)|error (?:in )?extracting tool|"
    r"tool[ _]?call pars(?:e|ing) (?:error|fail)",
    re.IGNORECASE,
)


def _server_error(message: str) -> type[APIError]:
    return ToolCallParseError if _TOOL_PARSE_FAILURE.search(message or "") else ServerError


def is_tool_parse_failure(error: APIError) -> bool:
    """Whether a 5xx says the server could not parse the model's tool call."""
    return isinstance(error, ToolCallParseError)


# A refusal names the tools field (not a tool_call_id or a tool message of the caller's
# history) and says it is not accepted; vLLM's "auto tool choice requires
# --enable-auto-tool-choice and --tool-call-parser" counts too.
_TOOLS_FIELD = re.compile(r"(?<![\w.])(?:tools|functions|tool_choice|function_call|tool calling|"
                          r"function calling)(?![\w])|auto-tool-choice|tool-call-parser",
                          re.IGNORECASE)
_NOT_ACCEPTED = re.compile(
    r"not (?:supported|allowed|permitted|implemented|enabled|available|recogni[sz]ed|accepted)|"
    r"unsupported|unrecogni[sz]ed|unknown|unexpected|extra (?:inputs?|fields?)|"
    r"does(?:n't| not) support|no support|requires|auto-tool-choice|tool-call-parser|"
    r"not a valid (?:field|parameter)",
    re.IGNORECASE,
)


def looks_like_tools_refusal(error: APIError) -> bool:
    """Whether an error answer to a request with ``tools`` means "no native tools".

    Only a 400/422/501 that names the tools field and says it is not accepted
    counts; an unrelated 400 that mentions a tool (the caller's own
    "tool_call_id ... not found" history error), auth errors, rate limits and
    server-side parse failures (:func:`is_tool_parse_failure`) do not.
    """
    if error.status_code not in (400, 422, 501):
        return False
    message = error.message or ""
    return bool(_TOOLS_FIELD.search(message) and _NOT_ACCEPTED.search(message))
