"""Request payload building and parameter checks (sans-IO).

The checks read the profile's parameter table (and, where the server is
llama-server, :mod:`~langchain_compat.core.llama_params`): refused parameters raise
:class:`UnsupportedParameterError` (or are dropped with a warning when the
user opts in), numbers are range-checked, ``stop`` is type- and
count-checked, renamed parameters are sent under their wire name. All of
this happens before any request is made.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from langchain_compat.core.llama_params import LLAMA_FIELDS, check_llama_value
from langchain_compat.errors import InvalidParameterError, UnsupportedParameterError
from langchain_compat.profiles import Profile, ServerKind

__all__ = ["build_chat_payload", "check_params"]

# Expected Python types per parameter (bool is excluded from numbers below).
_NUMBER = (int, float)
_TYPES: dict[str, tuple[type, ...]] = {
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "max_tokens": (int,),
    "max_completion_tokens": (int,),
    "n": (int,),
    "seed": (int,),
    "top_logprobs": (int,),
    "logprobs": (bool,),
    "user": (str,),
    "logit_bias": (dict,),
    "stop": (str, list, tuple),
}
_TYPE_NAMES = {"temperature": "a number", "top_p": "a number", "presence_penalty": "a number",
               "frequency_penalty": "a number", "stop": "a string or a list of strings",
               "logit_bias": "a dict of token id -> bias", "user": "a string",
               "logprobs": "a bool"}


def _check_one(name: str, value: Any, profile: Profile, provider: str) -> Any:
    rule = profile.rule(name)
    if not rule.supported:
        raise UnsupportedParameterError(name, provider, rule.hint)
    if name in LLAMA_FIELDS and profile.server_kind is ServerKind.LLAMA_CPP:
        return check_llama_value(name, value)  # llama-server's own fields, however given
    types = _TYPES.get(name)
    if types is not None and (
        not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
    ):
        expected = _TYPE_NAMES.get(name, "an integer")
        raise InvalidParameterError(name,
                                    f"expected {expected}, got {type(value).__name__} {value!r}")
    if name == "stop":
        if isinstance(value, str):
            value = [value]
        value = list(value)
        if not all(isinstance(s, str) and s for s in value):
            raise InvalidParameterError("stop", "every stop sequence must be a non-empty string")
        if rule.max_items is not None and len(value) > rule.max_items:
            raise InvalidParameterError(
                "stop",
                f"{provider} accepts at most {rule.max_items} stop sequences, got {len(value)}",
            )
    elif rule.min is not None or rule.max is not None:
        if value != value:  # NaN passes every comparison below and is not valid JSON
            raise InvalidParameterError(name, "NaN is not a number in range")
        if rule.min is not None and value < rule.min or rule.max is not None and value > rule.max:
            lo = "-inf" if rule.min is None else f"{rule.min:g}"
            hi = "inf" if rule.max is None else f"{rule.max:g}"
            raise InvalidParameterError(name,
                                        f"{value!r} is outside the allowed range [{lo}, {hi}]")
    return value


def check_params(
    params: Mapping[str, Any],
    profile: Profile,
    provider: str,
    *,
    drop_unsupported: bool = False,
) -> dict[str, Any]:
    """Validate and normalise request parameters against ``profile``.

    Args:
        params: parameter name -> value; ``None`` values are skipped.
        profile: the model's profile (its ``params`` table is read).
        provider: provider name for messages.
        drop_unsupported: drop refused parameters with a warning instead of raising.

    Returns:
        The parameters to send, under their wire names.

    Raises:
        UnsupportedParameterError: a refused parameter (unless dropped).
        InvalidParameterError: wrong type or out of range.
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        try:
            value = _check_one(name, value, profile, provider)
        except UnsupportedParameterError:
            if not drop_unsupported:
                raise
            warnings.warn(
                f"{provider} does not support {name!r}; it was dropped from the request "
                "(drop_unsupported_params=True).",
                stacklevel=4,
            )
            continue
        if name == "stop" and not value:
            continue
        out[name] = value
    return out


def build_chat_payload(
    *,
    model: str | None,
    messages: list[dict[str, Any]],
    params: Mapping[str, Any],
    profile: Profile,
    provider: str,
    stream: bool = False,
    stream_usage: bool = False,
    drop_unsupported: bool = False,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a chat-completions request body.

    Args:
        model: model name (omitted from the body when None).
        messages: wire messages (see :mod:`langchain_compat.core.messages`).
        params: sampling and tool parameters (checked with :func:`check_params`);
            the profile's ``param_defaults`` fill those left unset (None).
        profile: the model's profile.
        provider: provider name for messages.
        stream: request SSE streaming.
        stream_usage: ask for usage in the stream when the profile allows it.
        drop_unsupported: see :func:`check_params`.
        extra_body: fields merged last, unchecked (the user's escape hatch).

    Returns:
        The JSON-serialisable request body.
    """
    payload: dict[str, Any] = {"messages": messages}
    if model:
        payload["model"] = model
    if profile.param_defaults:
        params = {**profile.param_defaults, **{k: v for k, v in params.items() if v is not None}}
    payload.update(check_params(params, profile, provider, drop_unsupported=drop_unsupported))
    if stream:
        payload["stream"] = True
        if stream_usage and profile.stream_usage:
            payload["stream_options"] = {"include_usage": True}
    if extra_body:
        payload.update(extra_body)
    return payload
