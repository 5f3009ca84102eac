"""Provider rules the emulator enforces, read from Provider/Profile data.

Nothing here branches on a provider's name: auth comes from
``provider.auth``, parameter refusals and ranges from ``profile.params``
(:class:`~langchain_compat.profiles.ParamRule`), tool support from
``profile.native_tools``, embeddings limits from ``profile.embeddings`` and
the rate limit from ``profile.rate_limit_rpm``. Every refusal is an
:class:`APIErrorReply` carrying an OpenAI-style error body.

Documented leniencies (where docs are silent the emulator accepts):

- ``messages`` may be a JSON string on every provider (cotomi documents it;
  no profile flag says others refuse it);
- undocumented parameters and roles pass through unchecked.
"""

from __future__ import annotations

import collections
import hmac
import json
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_compat.profiles import EmbeddingsLimits, Profile
from langchain_compat.providers.base import AuthScheme

__all__ = [
    "APIErrorReply",
    "SlidingWindow",
    "check_auth",
    "check_chat",
    "check_embeddings",
    "estimate_tokens",
]

#: Parameters that ask for native tool calling.
TOOL_PARAMS = ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call")

_VLLM_NO_TOOLS = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)

#: What an engine says when it refuses a parameter (vLLM's wording where it has one).
REFUSAL_MESSAGES: Mapping[str, str] = {
    "tools": _VLLM_NO_TOOLS,
    "tool_choice": _VLLM_NO_TOOLS,
    "parallel_tool_calls": _VLLM_NO_TOOLS,
    "functions": "functions / function_call are not supported by this engine "
    "(no function calling); describe the functions in the prompt instead",
    "function_call": "function_call is not supported by this engine (no function calling)",
    "logit_bias": "logit_bias is not currently supported by this engine",
}


@dataclass
class APIErrorReply(Exception):
    """A refusal: HTTP ``status`` with ``{"error": {message, type, param, code}}``."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: Any = None  # the body as a real server words it (None: the OpenAI shape)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def body(self) -> Any:
        if self.raw is not None:
            return self.raw
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(
    message: str, *, param: str | None = None, code: str | None = "invalid_value"
) -> APIErrorReply:
    return APIErrorReply(400, message, code=code, param=param)


# --------------------------------------------------------------------- auth


def check_auth(auth: AuthScheme, headers: Mapping[str, str], api_key: str | None) -> None:
    """Raise 401 unless ``headers`` carry ``api_key`` the way ``auth`` says.

    ``headers`` has lower-case names. With no auth header in the scheme, or no
    key configured, everything passes. The presented key is never echoed.
    """
    if not auth.header or not api_key:
        return
    name = auth.header.lower()
    shown = f"{auth.header}: {auth.prefix}<key>"
    got = headers.get(name)
    if got is None:
        if name != "authorization" and "authorization" in headers:
            raise APIErrorReply(
                401,
                f"No API key found in request: this API does not take an Authorization header; "
                f"send the key as '{shown}'.",
                type="authentication_error",
                code="missing_api_key",
            )
        raise APIErrorReply(
            401,
            f"You didn't provide an API key. Send it as '{shown}'.",
            type="authentication_error",
            code="missing_api_key",
        )
    prefix = auth.prefix
    if prefix and not got.lower().startswith(prefix.lower()):
        raise APIErrorReply(
            401,
            f"Malformed credentials: expected '{shown}'.",
            type="authentication_error",
            code="invalid_api_key",
        )
    if not hmac.compare_digest(got[len(prefix) :].strip().encode(), api_key.encode()):
        raise APIErrorReply(
            401, "Incorrect API key provided.", type="authentication_error", code="invalid_api_key"
        )


# --------------------------------------------------------------- rate limit


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds (refusals don't count)."""

    def __init__(self, limit: float | None, window: float = 60.0) -> None:
        self.limit = None if limit is None else max(1, int(limit))
        self.window = window
        self._hits: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def hit(self, now: float | None = None) -> float | None:
        """Count a request; return None if allowed, else seconds until a slot frees."""
        if self.limit is None:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return max(0.0, self._hits[0] + self.window - now)
            self._hits.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def refusal(self, wait: float) -> APIErrorReply:
        retry = max(1, math.ceil(wait))
        return APIErrorReply(
            429,
            f"Rate limit reached: at most {self.limit} requests per {self.window:g} s. "
            f"Please try again in {retry} s.",
            type="rate_limit_exceeded",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(retry)},
        )


# --------------------------------------------------------------------- chat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_messages(value: Any) -> list[dict[str, Any]]:
    """The ``messages`` field as a list (a JSON string is accepted)."""
    if value is None:
        raise bad_request(
            "'messages' is a required property", param="messages", code="missing_required_parameter"
        )
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(
                "'messages' is a string that is not valid JSON", param="messages"
            ) from None
    if not isinstance(value, list) or not value:
        raise bad_request("'messages' must be a non-empty array of messages", param="messages")
    for i, msg in enumerate(value):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise bad_request(
                f"messages[{i}] must be an object with a 'role'", param=f"messages[{i}]"
            )
    return value


def check_chat(profile: Profile, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Validate a chat request against ``profile``; return its messages.

    Raises:
        APIErrorReply: 400 for a refused parameter, an out-of-range value,
            too many items, or malformed messages.
    """
    if not isinstance(body.get("model"), str):
        raise bad_request(
            "'model' is a required property", param="model", code="missing_required_parameter"
        )
    messages = parse_messages(body.get("messages"))
    for name, value in body.items():
        if value is None:
            continue  # null is "not set" (cotomi's sample sends logit_bias: null)
        rule = profile.rule(name)
        refused = not rule.supported or (name in TOOL_PARAMS and profile.native_tools is False)
        if refused:
            message = REFUSAL_MESSAGES.get(name, f"{name} is not supported by this model")
            raise bad_request(message, param=name, code="unsupported_parameter")
        if rule.min is not None or rule.max is not None:
            if not _is_number(value):
                raise bad_request(
                    f"Invalid type for '{name}': expected a number, got {value!r}.", param=name
                )
            if rule.min is not None and value < rule.min:
                raise bad_request(
                    f"Invalid '{name}': below minimum value. Expected a value >= {rule.min:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                )
            if rule.max is not None and value > rule.max:
                raise bad_request(
                    f"Invalid '{name}': above maximum value. Expected a value <= {rule.max:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                )
        if rule.max_items is not None:
            items = [value] if isinstance(value, str) else value
            if isinstance(items, list) and len(items) > rule.max_items:
                raise bad_request(
                    f"Invalid '{name}': at most {rule.max_items} items are allowed, "
                    f"got {len(items)}.",
                    param=name,
                )
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    stop = body.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise bad_request("Invalid 'stop': expected a string or an array of strings.", param="stop")
    return messages


# --------------------------------------------------------------- embeddings


def estimate_tokens(text: str) -> int:
    """A simple, deliberately generous token estimate for limits.

    ``max(words, ceil(utf8_bytes / 4))`` plus 2 for the special tokens a
    BERT/XLM-R style encoder adds: about 4 bytes per token for English,
    about one token per 1.3 characters for CJK text (3 bytes each).
    """
    if not text:
        return 2
    return max(len(text.split()), math.ceil(len(text.encode("utf-8")) / 4)) + 2


def _inputs(value: Any) -> list[str | list[int]]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return [value]  # one token array
        if all(isinstance(v, str) for v in value) or all(
            isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value
        ):
            return list(value)
    raise bad_request(
        "'input' must be a string, an array of strings, or an array of token arrays", param="input"
    )


def check_embeddings(limits: EmbeddingsLimits, body: Mapping[str, Any]) -> list[str | list[int]]:
    """Validate an embeddings request against ``limits``; return the inputs.

    Raises:
        APIErrorReply: 400 for a missing/empty input, too many inputs, an
            input over ``max_input_tokens`` (see :func:`estimate_tokens`), or
            an unsupported ``encoding_format`` / ``dimensions``.
    """
    if not isinstance(body.get("model"), str):
        raise bad_request(
            "'model' is a required property", param="model", code="missing_required_parameter"
        )
    if "input" not in body or body["input"] is None:
        raise bad_request(
            "'input' is a required property", param="input", code="missing_required_parameter"
        )
    inputs = _inputs(body["input"])
    if not inputs:
        raise bad_request("'input' must not be an empty array", param="input")
    if len(inputs) > limits.max_batch:
        raise bad_request(
            f"Too many inputs: {len(inputs)}; at most {limits.max_batch} are allowed per request.",
            param="input",
        )
    for i, item in enumerate(inputs):
        if isinstance(item, str) and not item and not limits.allow_empty:
            raise bad_request(f"'input' cannot contain an empty string (input {i}).", param="input")
        if limits.max_input_tokens is not None:
            n = len(item) if isinstance(item, list) else estimate_tokens(item)
            if n > limits.max_input_tokens:
                raise bad_request(
                    f"This model's maximum context length is {limits.max_input_tokens} "
                    f"tokens, however you requested {n} tokens in input {i}. "
                    "Please reduce your input.",
                    param="input",
                    code="context_length_exceeded",
                )
    fmt = body.get("encoding_format") or "float"
    if fmt not in ("float", "base64") or (fmt == "base64" and not limits.base64):
        allowed = "'float' or 'base64'" if limits.base64 else "'float'"
        raise bad_request(
            f"Invalid 'encoding_format': {fmt!r}; expected {allowed}.", param="encoding_format"
        )
    if body.get("dimensions") is not None and not limits.dimensions_param:
        raise bad_request(
            "'dimensions' is not supported by this model.",
            param="dimensions",
            code="unsupported_parameter",
        )
    return inputs
