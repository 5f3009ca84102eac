"""A prompt over the context window -> ContextOverflowError carrying the numbers (pure).

llama-server's 400 body is the one measured on the real server (build 11434,
``tests/local/test_llama_server_fields.py`` asserts it end to end); vLLM's and
OpenAI's wordings are their documented/observed messages.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from langchain_core.exceptions import ContextOverflowError as LangChainContextOverflow

from langchain_compat import errors as E
from langchain_compat.core.error_mapping import (context_overflow, error_from_response,
                                                 error_from_stream_event)
from langchain_compat.transport.retry import RetryPolicy

LLAMA = {"error": {"code": 400, "message": "request (5020 tokens) exceeds the available context "
                   "size (4096 tokens), try increasing it", "type": "exceed_context_size_error",
                   "n_prompt_tokens": 5020, "n_ctx": 4096}}
VLLM_OLD = ("This model's maximum context length is 4096 tokens. However, you requested 5000 "
            "tokens (4900 in the messages, 100 in the completion). Please reduce the length of "
            "the messages or completion.")
VLLM_NEW = ("This model's maximum context length is 2048 tokens. However, your request has 3000 "
            "input tokens. Please reduce the length of the input messages.")
OPENAI = {"error": {"message": "This model's maximum context length is 8192 tokens. However, "
                    "your messages resulted in 9000 tokens. Please reduce the length of the "
                    "messages.", "type": "invalid_request_error", "param": "messages",
                    "code": "context_length_exceeded"}}
OLD_LLAMA = {"error": {"type": "exceed_context_size_error",
                       "message": "the request exceeds the available context size, try "
                                  "increasing it"}}


def _raw(body: Any) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize(("body", "numbers"), [
    (LLAMA, (5020, 4096)),
    ({"error": {"message": VLLM_OLD, "type": "BadRequestError", "code": 400}}, (4900, 4096)),
    ({"object": "error", "message": VLLM_NEW, "type": "BadRequestError"}, (3000, 2048)),
    (OPENAI, (9000, 8192)),
    (OLD_LLAMA, (None, None)),  # an older llama-server: no numbers
])
def test_overflow_answers_map_to_the_typed_error_with_their_numbers(body: Any,
                                                                    numbers: tuple) -> None:
    err = error_from_response(400, _raw(body), {}, provider="p")
    assert type(err) is E.ContextOverflowError
    assert (err.n_prompt_tokens, err.n_ctx) == numbers
    assert isinstance(err, E.BadRequestError) and isinstance(err, LangChainContextOverflow)
    assert err.status_code == 400 and "trim the history" in str(err)


def test_the_same_body_in_a_stream_error_event_maps_too() -> None:
    err = error_from_stream_event(LLAMA, provider="p")
    assert type(err) is E.ContextOverflowError and (err.n_prompt_tokens, err.n_ctx) == (5020, 4096)
    untyped = {"error": {"type": "exceed_context_size_error", "n_prompt_tokens": 9, "n_ctx": 8}}
    assert type(error_from_stream_event(untyped)) is E.ContextOverflowError  # no code: still typed


@pytest.mark.parametrize("body", [
    {"error": {"message": "tool_call_id abc not found", "type": "invalid_request_error"}},
    {"error": {"message": "Invalid 'max_tokens': integer below minimum value"}},
    {"error": {"message": "the context window of the slot is busy", "code": 503}},
])
def test_other_bad_requests_are_not_overflows(body: Any) -> None:
    err = error_from_response(400, _raw(body), {}, provider="p")
    assert type(err) is E.BadRequestError
    assert context_overflow(body, err.message) is None


def test_a_5xx_that_mentions_the_window_is_a_server_error() -> None:
    err = error_from_response(500, _raw({"error": {"message": VLLM_OLD}}), {})
    assert type(err) is E.ServerError


def test_overflow_is_never_retried_and_pickles() -> None:
    err = error_from_response(400, _raw(LLAMA), {})
    assert RetryPolicy(max_retries=5).delay(0, err) is None
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is E.ContextOverflowError
