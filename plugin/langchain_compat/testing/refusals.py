"""Optional request fields a server may refuse, answered as that server words it.

``emulate(refuse=["stream_options"])`` (or ``emu.refuse(...)``) makes the
emulator refuse a request carrying the field, with the status and body of a
real server known for it: Mistral's 422 for ``stream_options``, LM Studio's
400 for ``response_format`` ``json_object``, vLLM's 400 for
``tool_choice="required"``; ``json_schema`` refuses structured outputs (and so
constrained emulation); ``grammar`` refuses llama.cpp's GBNF field (constrained
emulation under a grammar); ``named_tool_choice`` refuses a named choice too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_compat.testing.quirks import APIErrorReply

__all__ = ["OPTIONAL_REFUSALS", "check_refused"]


def _rf_type(body: Mapping[str, Any]) -> Any:
    fmt = body.get("response_format")
    return fmt.get("type") if isinstance(fmt, Mapping) else None


_MISTRAL_EXTRA = {
    "object": "error",
    "message": {"detail": [{"type": "extra_forbidden", "loc": ["body", "stream_options"],
                            "msg": "Extra inputs are not permitted",
                            "input": {"include_usage": True}}]},
    "type": "invalid_request_error", "param": None, "code": None,
}
_VLLM_CHOICE = ('[{\'type\': \'value_error\', \'loc\': (\'body\',), \'msg\': \'Value error, '
                '`tool_choice` must either be a named tool, "auto", or "none".\'}]')

#: Optional fields a server may refuse (``emulate(refuse=[...])``): when a request
#: carries the field -> (status, the body that server answers with).
OPTIONAL_REFUSALS: Mapping[str, tuple[Callable[[Mapping[str, Any]], bool], int, Any]] = {
    # Mistral's API: pydantic "extra_forbidden", 422
    "stream_options": (lambda b: b.get("stream_options") is not None, 422, _MISTRAL_EXTRA),
    # LM Studio: only json_schema (and text) response formats, 400
    "json_object": (lambda b: _rf_type(b) == "json_object", 400,
                    {"error": "'response_format.type' must be 'json_schema' or 'text'"}),
    # vLLM before 0.8: only "auto", "none" or a named tool, 400
    "tool_choice": (lambda b: b.get("tool_choice") == "required", 400,
                    {"object": "error", "message": _VLLM_CHOICE, "type": "BadRequestError",
                     "param": None, "code": 400}),
    # a server without structured outputs (older vLLM / TGI wording), 400
    "json_schema": (lambda b: _rf_type(b) == "json_schema", 400,
                    {"object": "error", "type": "BadRequestError", "param": "response_format",
                     "message": "response_format type 'json_schema' is not supported"}),
    # a server without llama.cpp's GBNF ``grammar`` field (pydantic "extra_forbidden"), 422
    "grammar": (lambda b: b.get("grammar") is not None, 422,
                {"object": "error", "message": {"detail": [
                    {"type": "extra_forbidden", "loc": ["body", "grammar"],
                     "msg": "Extra inputs are not permitted"}]},
                 "type": "invalid_request_error", "param": None, "code": None}),
    # a gateway that takes no named (function) choice, 400
    "named_tool_choice": (lambda b: isinstance(b.get("tool_choice"), Mapping), 400,
                          {"error": {"message": "tool_choice of type 'function' is not supported",
                                     "type": "invalid_request_error", "param": "tool_choice",
                                     "code": "unsupported_parameter"}}),
}


def check_refused(refuse: frozenset[str], body: Mapping[str, Any]) -> None:
    """Refuse a request carrying one of the optional fields in ``refuse``.

    Raises:
        APIErrorReply: the status and body of that server's refusal.
    """
    for name in refuse:
        sent, status, raw = OPTIONAL_REFUSALS[name]
        if sent(body):
            raise APIErrorReply(status, f"{name} refused", raw=raw)
