"""Hardening #13, low items: what used to be accepted silently, and pickling.

Before: negative usage counts reached ``usage_metadata``; NaN/infinite embedding values
reached the caller; an image went to a text-only provider; native tool names with
spaces, CJK or 65 characters and duplicated names went out (the server refused or,
worse, mangled them); the emulator's request log showed a custom auth header and a
wrong key sent in a non-standard header in clear; ``pickle.dumps(model)`` raised
``TypeError: cannot pickle 'mappingproxy'``. Loopback servers only.
"""

from __future__ import annotations

import base64
import json
import pickle
import socket
import struct
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_compat import (
    ChatCotomi,
    ChatOpenAICompatible,
    ChatTelkom,
    OpenAICompatibleEmbeddings,
)
from langchain_compat.errors import (
    InvalidParameterError,
    ResponseParseError,
    UnsupportedParameterError,
)
from langchain_compat.testing import emulate

from .rawhttp import OK_BODY, RawServer, response

pytestmark = [pytest.mark.timeout(30)]


class _Answer:
    """A raw server that answers every request with ``body`` and counts requests."""

    def __init__(self, body: Any) -> None:
        self.body, self.count = body, 0

    def __call__(self, conn: socket.socket, n: int, head: bytes, body: bytes) -> bool:
        self.count += 1
        data = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        conn.sendall(response(200, data))
        return False


# -- usage counts -------------------------------------------------------------------
@pytest.mark.parametrize("usage", [
    {"prompt_tokens": -5, "completion_tokens": 3, "total_tokens": -2},
    {"prompt_tokens": "12", "completion_tokens": 3, "total_tokens": 15},
    {"prompt_tokens": 1.5, "completion_tokens": 3, "total_tokens": 4.5},
])
def test_bad_usage_counts_are_unknown_not_wrong(usage: dict[str, Any]) -> None:
    with RawServer(_Answer({**OK_BODY, "usage": usage})) as srv:
        msg = ChatOpenAICompatible(base_url=srv.base_url, model="m", max_retries=0).invoke("hi")
    assert msg.content == "hi"
    assert msg.usage_metadata is None


def test_good_usage_counts_still_reported() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10,
             "completion_tokens_details": {"reasoning_tokens": -1}}
    with RawServer(_Answer({**OK_BODY, "usage": usage})) as srv:
        msg = ChatOpenAICompatible(base_url=srv.base_url, model="m", max_retries=0).invoke("hi")
    assert msg.usage_metadata is not None
    assert (msg.usage_metadata["input_tokens"], msg.usage_metadata["total_tokens"]) == (7, 10)
    assert "output_token_details" not in msg.usage_metadata  # the negative detail is dropped


# -- embeddings values --------------------------------------------------------------
def _emb_body(vector: Any) -> bytes:
    item = json.dumps({"object": "embedding", "index": 0, "embedding": "@"})
    return json.dumps({"object": "list", "model": "m", "data": ["@"]}).replace(
        '"@"', item).replace('"@"', vector).encode()


@pytest.mark.parametrize("raw", [
    "[0.1, NaN, 0.3]", "[0.1, Infinity, 0.3]", "[-Infinity, 0, 1]",
    json.dumps(base64.b64encode(struct.pack("<3f", 0.1, float("inf"), 0.2)).decode())])
def test_non_finite_embedding_values_are_refused(raw: str) -> None:
    with RawServer(_Answer(_emb_body(raw))) as srv:
        emb = OpenAICompatibleEmbeddings(base_url=srv.base_url, model="m", max_retries=0)
        with pytest.raises(ResponseParseError, match="NaN or infinite"):
            emb.embed_query("hello")


def test_finite_embedding_values_pass() -> None:
    with RawServer(_Answer(_emb_body("[0.1, -2, 3e5]"))) as srv:
        emb = OpenAICompatibleEmbeddings(base_url=srv.base_url, model="m", max_retries=0)
        assert emb.embed_query("hello") == [0.1, -2.0, 3e5]


# -- images to a text-only profile ---------------------------------------------------
IMAGE = HumanMessage(content=[{"type": "text", "text": "What is this?"},
                              {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}])


def test_image_to_a_text_only_provider_is_refused_before_any_request() -> None:
    srv_handler = _Answer(OK_BODY)
    with RawServer(srv_handler) as srv:
        llm = ChatCotomi(api_key="k", base_url=srv.base_url, max_retries=0)
        with pytest.raises(UnsupportedParameterError, match="reads text only"):
            llm.invoke([IMAGE])
        # the documented way out: the profile says this model takes images
        vision = ChatCotomi(api_key="k", base_url=srv.base_url, max_retries=0,
                            profile_overrides={"image_inputs": True})
        assert vision.invoke([IMAGE]).content == "hi"
    assert srv_handler.count == 1


def test_image_to_an_unknown_server_is_sent() -> None:
    """A generic server's profile does not know (vLLM may serve a vision model)."""
    with RawServer(_Answer(OK_BODY)) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, model="m")
        assert llm.invoke([IMAGE]).content == "hi"


# -- tool names ----------------------------------------------------------------------
def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": "d",
                                             "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize("name", ["get weather", "天気", "x" * 65])
def test_native_tool_names_outside_the_openai_rule_are_refused(name: str) -> None:
    handler = _Answer(OK_BODY)
    with RawServer(handler) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, model="m", tool_calling="native")
        with pytest.raises(InvalidParameterError, match="cannot be sent natively"):
            llm.bind_tools([_tool(name)]).invoke("hi")
        if name:  # emulation puts tools in the prompt: any name works
            emulated = llm.model_copy(update={"tool_calling": "emulated"})
            assert emulated.bind_tools([_tool(name)]).invoke("hi").content == "hi"
    assert handler.count == (1 if name else 0)


@pytest.mark.parametrize("fn", [{"name": ""}, {"description": "no name at all"}])
def test_a_tool_without_a_name_is_refused_in_every_mode(fn: dict[str, Any]) -> None:
    """Before: emulation prompted a nameless tool (the model could never call it)."""
    handler = _Answer(OK_BODY)
    with RawServer(handler) as srv:
        for mode in ("native", "emulated", "auto"):
            llm = ChatOpenAICompatible(base_url=srv.base_url, model="m", tool_calling=mode)
            with pytest.raises(InvalidParameterError, match="tool #2 has no name"):
                llm.bind_tools([_tool("lookup"), {"type": "function", "function": fn}]).invoke("x")
    assert handler.count == 0


def test_duplicate_tool_names_are_refused_in_every_mode() -> None:
    for mode in ("native", "emulated", "auto"):
        llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling=mode)
        with pytest.raises(InvalidParameterError, match="two tools are named 'lookup'"):
            llm.bind_tools([_tool("lookup"), _tool("lookup")]).invoke("hi")


# -- the emulator's request log -------------------------------------------------------
def test_emulator_log_masks_custom_and_misplaced_credentials() -> None:
    with emulate("openai-compatible", rate_limit=None) as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", api_key="wrong-key-123",
                                   auth_header="api-token", auth_prefix="",
                                   default_headers={"X-Custom-Auth": "custom-secret-9"})
        llm.invoke("hi")
        headers = emu.last_request.headers
    assert headers["api-token"] == "***"
    assert headers["x-custom-auth"] == "***"
    assert "wrong-key-123" not in repr(emu.requests) and "custom-secret-9" not in repr(emu.requests)


# -- pickle ---------------------------------------------------------------------------
def test_models_pickle_and_work_after_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    with emulate("openai-compatible", rate_limit=None) as emu:
        llm = ChatOpenAICompatible(**emu.client_kwargs, model="m", temperature=0.2)
        llm.invoke("before")  # caches (driver, settings, profile) are built
        loaded = pickle.loads(pickle.dumps(llm))
        assert loaded.invoke("after").content == "Echo: after"
        assert loaded.temperature == 0.2
        emb = OpenAICompatibleEmbeddings(**emu.client_kwargs, model="m")
        emb.embed_query("warm")
        assert len(pickle.loads(pickle.dumps(emb)).embed_query("x")) == len(emb.embed_query("x"))


def test_pickle_leaves_out_an_env_key_and_the_shared_limiter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELKOM_API_KEY", "sk-env-telkom-secret")
    llm = ChatTelkom(base_url="http://127.0.0.1:9/v1")
    data = pickle.dumps(llm)
    assert b"sk-env-telkom-secret" not in data
    loaded = pickle.loads(data)
    assert loaded.api_key.get_secret_value() == "sk-env-telkom-secret"  # read again from the env
    assert loaded.rate_limiter is llm.rate_limiter  # the process's one bucket for this key

