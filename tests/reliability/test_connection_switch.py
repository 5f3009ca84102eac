"""Changing where and with which key a model sends, after construction (two real servers).

Two cotomi emulators stand for two tenants: each accepts only its own key,
so a request that reaches a server with the other tenant's key fails with
401, and each server's request log shows which texts reached it.
``model_copy(update=...)`` and assignment must both take effect on the next
call, for embeddings and chat, sync and async.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from langchain_compat import ChatCotomi, CotomiEmbeddings
from langchain_compat.errors import AuthenticationError
from langchain_compat.testing import Emulator, emulate

KEY_A = "sk-tenant-A-0123456789abcdef"
KEY_B = "sk-tenant-B-fedcba9876543210"


@pytest.fixture(scope="module")
def tenants() -> Iterator[tuple[Emulator, Emulator]]:
    with emulate("cotomi", api_key=KEY_A, rate_limit=None) as a, \
            emulate("cotomi", api_key=KEY_B, rate_limit=None) as b:
        yield a, b


@pytest.fixture(autouse=True)
def _reset(tenants: tuple[Emulator, Emulator]) -> None:
    for emu in tenants:
        emu.reset()


def _texts(emu: Emulator) -> str:
    return json.dumps([r.body for r in emu.requests])


def _emb(emu: Emulator, key: str) -> CotomiEmbeddings:
    return CotomiEmbeddings(base_url=emu.base_url, api_key=key, max_retries=0)


def _chat(emu: Emulator, key: str) -> ChatCotomi:
    return ChatCotomi(base_url=emu.base_url, api_key=key, max_retries=0)


def test_embeddings_model_copy_sends_to_the_new_host_with_the_new_key(tenants) -> None:
    a, b = tenants
    emb = _emb(a, KEY_A)
    emb.embed_query("tenant one text")  # the driver for host A now exists
    other = emb.model_copy(update={"base_url": b.base_url, "api_key": SecretStr(KEY_B)})
    assert len(other.embed_documents(["tenant two secret text"])) == 1
    assert "tenant two secret text" in _texts(b)
    assert "tenant two secret text" not in _texts(a)
    emb.embed_query("tenant one again")  # the original still goes to A with key A
    assert "tenant one again" in _texts(a)


async def test_embeddings_model_copy_async(tenants) -> None:
    a, b = tenants
    emb = _emb(a, KEY_A)
    await emb.aembed_query("tenant one text")
    other = emb.model_copy(update={"base_url": b.base_url, "api_key": KEY_B})
    assert len(await other.aembed_documents(["tenant two async"])) == 1
    assert "tenant two async" in _texts(b) and "tenant two async" not in _texts(a)


@pytest.mark.parametrize("new_key", [SecretStr(KEY_B), KEY_B, KEY_B + "\n"],
                         ids=["secretstr", "str", "newline"])
def test_embeddings_key_assignment_takes_effect(tenants, new_key) -> None:
    _, b = tenants
    emb = _emb(b, KEY_A)
    with pytest.raises(AuthenticationError):
        emb.embed_query("refused")
    emb.api_key = new_key
    assert len(emb.embed_query("accepted")) == 1024
    assert isinstance(emb.api_key, SecretStr) and emb.api_key.get_secret_value() == KEY_B
    assert KEY_B not in repr(emb)


def test_embeddings_base_url_assignment_takes_effect(tenants) -> None:
    a, b = tenants
    emb = _emb(a, KEY_B)
    with pytest.raises(AuthenticationError):
        emb.embed_query("refused by A")
    emb.base_url = b.base_url + "/"
    emb.embed_query("reaches B")
    assert "reaches B" in _texts(b)


def test_chat_model_copy_sends_to_the_new_host_with_the_new_key(tenants) -> None:
    a, b = tenants
    llm = _chat(a, KEY_A)
    llm.invoke("tenant one")
    other = llm.model_copy(update={"base_url": b.base_url, "api_key": SecretStr(KEY_B)})
    other.invoke("tenant two question")
    assert "tenant two question" in _texts(b) and "tenant two question" not in _texts(a)
    llm.invoke("tenant one again")
    assert "tenant one again" in _texts(a)


async def test_chat_key_assignment_takes_effect(tenants) -> None:
    _, b = tenants
    llm = _chat(b, KEY_A)
    with pytest.raises(AuthenticationError):
        await llm.ainvoke("refused")
    llm.api_key = KEY_B  # a plain string is accepted and kept secret
    assert (await llm.ainvoke("accepted")).content
    assert KEY_B not in repr(llm) and KEY_B not in str(llm)


def test_model_copy_with_another_model_refreshes_what_follows_from_it() -> None:
    emb = CotomiEmbeddings(base_url="https://tenant.example/v1", api_key=KEY_A)
    assert emb.query_prefix == "query: " and emb.limits.max_input_tokens == 512
    other = emb.model_copy(update={"model": "bge-m3",
                                   "limits_overrides": {"max_input_tokens": 8192}})
    assert other.query_prefix == "" and other.limits.max_input_tokens == 8192
    assert emb.query_prefix == "query: "  # the original keeps its facts
    llm = ChatCotomi(base_url="https://tenant.example/v1", api_key=KEY_A)
    assert llm.compat_profile.native_tools is False
    native = llm.model_copy(update={"profile_overrides": {"native_tools": True}})
    assert native.compat_profile.native_tools
