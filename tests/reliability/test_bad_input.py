"""Bad input, as a table: every public constructor and call rejects invalid values
with a typed error (a CompatError) whose message says what to do.

Rows marked ``untyped`` raise something else today (reported with file:line and a
proposed fix; those files are not ours to edit) and are strict xfails, so they
flip to failures the day they are fixed and the mark can go.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import ChatMessage

from langchain_compat import ChatCotomi, ChatOpenAICompatible, CotomiEmbeddings
from langchain_compat.errors import (
    CompatError,
    InvalidParameterError,
    MissingAPIKeyError,
    MissingBaseURLError,
    UnsupportedParameterError,
)
from langchain_compat.providers import get_provider
from langchain_compat.testing import emulate

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object",
                                                                           "properties": {}}}}
BAD_TOOL = {"type": "function", "function": {"name": "f", "parameters": {"default": object()}}}


@pytest.fixture(scope="module")
def emus():
    with (emulate("openai-compatible", rate_limit=None) as oc,
          emulate("cotomi", rate_limit=None) as co):
        yield oc, co


def OC(oc: Any, **kw: Any) -> ChatOpenAICompatible:
    kw.setdefault("max_retries", 0)
    return ChatOpenAICompatible(**oc.client_kwargs, model="m", **kw)


def C(co: Any, **kw: Any) -> ChatCotomi:
    kw.setdefault("max_retries", 0)
    return ChatCotomi(**co.client_kwargs, **kw)


def E(co: Any, **kw: Any) -> CotomiEmbeddings:
    return CotomiEmbeddings(**co.client_kwargs, **kw)


#: (id, call(oc, co), expected error class, words the message must hold)
CASES: list[tuple[str, Callable[[Any, Any], Any], type[Exception], tuple[str, ...]]] = [
    ("unknown-provider", lambda oc, co: get_provider("nope"),
     CompatError, ("known providers", "cotomi")),
    ("empty-messages", lambda oc, co: OC(oc).invoke([]),
     InvalidParameterError, ("at least one message",)),
    ("invalid-role", lambda oc, co: OC(oc).invoke([ChatMessage(role="bogus", content="x")]),
     InvalidParameterError, ("bogus", "use one of")),
    ("non-json-tool-schema",
     lambda oc, co: OC(oc, tool_calling="native").bind_tools([BAD_TOOL]).invoke("x"),
     InvalidParameterError, ("only JSON values",)),
    ("negative-max-tokens", lambda oc, co: OC(oc, max_tokens=-1),
     InvalidParameterError, ("max_tokens", "[1, inf]")),
    ("negative-max-tokens-call", lambda oc, co: OC(oc).invoke("x", max_tokens=-5),
     InvalidParameterError, ("max_tokens", "[1, inf]")),
    ("temperature-range", lambda oc, co: C(co, temperature=5),
     InvalidParameterError, ("temperature", "[0, 2]")),
    ("temperature-range-call", lambda oc, co: C(co).invoke("x", temperature=9),
     InvalidParameterError, ("[0, 2]",)),
    ("temperature-in-model-kwargs", lambda oc, co: OC(oc, model_kwargs={"temperature": 99}),
     InvalidParameterError, ("[0, 2]",)),
    ("top-p-range", lambda oc, co: OC(oc, top_p=2), InvalidParameterError, ("top_p", "[0, 1]")),
    ("n-zero", lambda oc, co: OC(oc, n=0), InvalidParameterError, ("'n'",)),
    ("cotomi-5-stops", lambda oc, co: C(co, stop=list("abcde")),
     InvalidParameterError, ("at most 4",)),
    ("cotomi-5-stops-call", lambda oc, co: C(co).invoke("x", stop=list("abcde")),
     InvalidParameterError, ("at most 4",)),
    ("empty-stop-string", lambda oc, co: OC(oc, stop=[""]),
     InvalidParameterError, ("non-empty string",)),
    ("cotomi-logit-bias", lambda oc, co: C(co, logit_bias={"1": 1.0}), UnsupportedParameterError,
     ("drop_unsupported_params=True",)),
    ("unknown-tool-choice", lambda oc, co: OC(oc).bind_tools([TOOL], tool_choice="nope"),
     InvalidParameterError, ("not one of the bound tools", "lookup")),
    ("max-retries-negative", lambda oc, co: OC(oc, max_retries=-1),
     InvalidParameterError, (">= 0",)),
    ("timeout-zero", lambda oc, co: OC(oc, timeout=0), InvalidParameterError, ("positive",)),
    ("base-url-scheme", lambda oc, co: ChatOpenAICompatible(base_url="ftp://x", model="m"),
     InvalidParameterError, ("https://host/v1",)),
    ("cotomi-no-key", lambda oc, co: ChatCotomi(base_url="https://x.example/v1"),
     MissingAPIKeyError, ("COTOMI_API_KEY", "api_key=")),
    ("cotomi-no-base-url", lambda oc, co: ChatCotomi(api_key="k" * 10), MissingBaseURLError,
     ("COTOMI_BASE_URL", "base_url=")),
    ("structured-output-kwargs",
     lambda oc, co: OC(oc).with_structured_output({"type": "object"}, foo=1),
     InvalidParameterError, ("unexpected arguments",)),
    ("structured-output-no-schema",
     lambda oc, co: OC(oc).with_structured_output(None, method="function_calling"),
     InvalidParameterError, ("schema is required",)),
    ("embeddings-empty-string", lambda oc, co: E(co).embed_query(""), InvalidParameterError,
     ("empty string", "does not accept empty")),
    ("embeddings-empty-in-batch", lambda oc, co: E(co).embed_documents(["a", ""]),
     InvalidParameterError, ("input 1",)),
    ("embeddings-too-long", lambda oc, co: E(co).embed_query("word " * 3000), InvalidParameterError,
     ("512 tokens",)),
    ("embeddings-not-str", lambda oc, co: E(co).embed_documents([1, 2]), InvalidParameterError,
     ("expected str",)),
]

#: Rows that raised an untyped error before the fix: (id, call, what it raised, where).
UNTYPED: list[tuple[str, Callable[[Any, Any], Any], type[Exception], str]] = [
    ("stop-wrong-type", lambda oc, co: OC(oc, stop=5), ValueError,
     "pydantic ValidationError from the field type in chat_models/base.py:70"),
    ("stop-wrong-type-call", lambda oc, co: OC(oc).invoke("x", stop=5), TypeError,
     "TypeError: 'int' object is not iterable, chat_models/base.py:249 (_get_ls_params)"),
    ("temperature-wrong-type", lambda oc, co: OC(oc, temperature="hot"), ValueError,
     "pydantic ValidationError, chat_models/base.py:66"),
    ("max-tokens-wrong-type", lambda oc, co: OC(oc, max_tokens="many"), ValueError,
     "pydantic ValidationError, chat_models/base.py:68"),
    ("bad-tool-calling", lambda oc, co: OC(oc, tool_calling="sometimes"), ValueError,
     "pydantic ValidationError from the Literal, chat_models/base.py:61 (the typed check in "
     "_resolve never runs)"),
    ("embeddings-encoding-format", lambda oc, co: E(co, encoding_format="hex"), ValueError,
     "pydantic ValidationError from the Literal, embeddings/base.py:132"),
]


@pytest.mark.parametrize(("call", "cls", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rejected_with_typed_error(emus, call, cls, words) -> None:
    oc, co = emus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CompatError) as info:
            call(oc, co)
    assert isinstance(info.value, cls), type(info.value)
    for word in words:
        assert word in str(info.value)
    assert not oc.requests and not co.requests  # refused before anything was sent


@pytest.mark.parametrize("call", [u[1] for u in UNTYPED], ids=[u[0] for u in UNTYPED])
def test_formerly_untyped_now_typed(emus, call) -> None:
    """These raised pydantic/TypeError before (see UNTYPED); now our typed error, nothing sent."""
    oc, co = emus
    with pytest.raises(InvalidParameterError) as info:
        call(oc, co)
    assert "hot" not in str(info.value) and "many" not in str(info.value)  # inputs are not echoed
    assert not oc.requests and not co.requests


def test_unknown_profile_overrides_are_a_typed_error_naming_the_fields() -> None:
    """Before: a bare TypeError from the dataclass ("unexpected keyword argument")."""
    from langchain_compat import ChatOpenAICompatible
    from langchain_compat.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"\['natve_tools'\] are not profile fields"):
        ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                             profile_overrides={"natve_tools": False})
