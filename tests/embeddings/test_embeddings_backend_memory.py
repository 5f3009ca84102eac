"""A server's refusal of ``encoding_format="base64"`` is a fact about one backend (base URL,
model, key digest), learned in the model's ``backend_memory`` like what chat models learn:
bounded, resettable, readable, and never shared across tenants behind one gateway URL.

The server is the loopback emulator with a profile whose embeddings take no base64: it
answers a base64 request with a 400 naming ``encoding_format`` (as a float-only server
does), so ``encoding_format="auto"`` asks for base64, is refused, and sends floats.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Iterator

import pytest

from langchain_compat import (
    DEFAULT_BACKEND_MEMORY,
    BackendMemory,
    ChatOpenAICompatible,
    OpenAICompatibleEmbeddings,
)
from langchain_compat.core.backend_memory import BackendKey, key_digest
from langchain_compat.embeddings.base import BASE64_REFUSED
from langchain_compat.providers import GENERIC
from langchain_compat.testing import Emulator, emulate

#: A server that serves floats only (its profile says so; the emulator enforces it).
FLOATS_ONLY = dataclasses.replace(GENERIC, profile=GENERIC.profile.replace(
    embeddings=dataclasses.replace(GENERIC.profile.embeddings, base64=False)))

MODEL = "bge-m3"


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with emulate(FLOATS_ONLY) as emu:
        yield emu


@pytest.fixture
def emu(server: Emulator) -> Emulator:
    server.reset()
    return server


def _emb(emu: Emulator, key: str, memory: BackendMemory,
         model: str = MODEL) -> OpenAICompatibleEmbeddings:
    return OpenAICompatibleEmbeddings(base_url=emu.base_url, model=model, api_key=key,
                                      max_retries=0, backend_memory=memory)


def _formats(emu: Emulator) -> list[str]:
    """The ``encoding_format`` of each request the server saw since the last look."""
    out = [r.body["encoding_format"] for r in emu.requests if r.path.endswith("/embeddings")]
    emu.reset()
    return out


def test_after_a_refusal_a_second_client_with_that_key_sends_floats_at_once(emu) -> None:
    memory = BackendMemory()
    assert len(_emb(emu, "sk-tenant-a", memory).embed_query("a")) > 0
    assert _formats(emu) == ["base64", "float"]  # refused once, sent again as floats
    assert len(_emb(emu, "sk-tenant-a", memory).embed_documents(["b", "c"])) == 2
    assert _formats(emu) == ["float"]  # another client, same backend: one request


async def test_the_async_calls_learn_and_read_the_same_memory(emu) -> None:
    memory = BackendMemory()
    await _emb(emu, "sk-tenant-a", memory).aembed_query("a")
    assert _formats(emu) == ["base64", "float"]
    await _emb(emu, "sk-tenant-a", memory).aembed_documents(["b"])
    assert _formats(emu) == ["float"]


def test_another_key_on_the_same_url_and_model_still_asks_for_base64_first(emu) -> None:
    """Two tenants behind one gateway URL: A's refusal does not change B's requests."""
    memory = BackendMemory()
    _emb(emu, "sk-tenant-a", memory).embed_query("a")
    assert _formats(emu) == ["base64", "float"]
    _emb(emu, "sk-tenant-b", memory).embed_query("b")
    assert _formats(emu) == ["base64", "float"]  # B asks for itself
    tenant_a = _emb(emu, "sk-tenant-a", memory)
    tenant_a.api_key = "sk-tenant-c"  # a key set later is another backend too
    tenant_a.embed_query("c")
    assert _formats(emu) == ["base64", "float"]


def test_another_model_on_the_same_url_and_key_still_asks_for_base64_first(emu) -> None:
    memory = BackendMemory()
    _emb(emu, "sk-tenant-a", memory).embed_query("a")
    assert _formats(emu) == ["base64", "float"]
    _emb(emu, "sk-tenant-a", memory, model="multilingual-e5-small").embed_query("b")
    assert _formats(emu) == ["base64", "float"]


def test_reset_makes_a_client_ask_for_base64_again(emu) -> None:
    memory = BackendMemory()
    emb = _emb(emu, "sk-tenant-a", memory)
    emb.embed_query("a")
    emb.embed_query("b")
    assert _formats(emu) == ["base64", "float", "float"]
    memory.reset()
    emb.embed_query("c")
    assert _formats(emu) == ["base64", "float"]
    memory.forget(emu.base_url)  # forgetting one base URL does it too
    emb.embed_query("d")
    assert _formats(emu) == ["base64", "float"]


def test_the_refusal_shows_in_records_with_the_key_only_as_a_digest(emu) -> None:
    memory = BackendMemory()
    _emb(emu, "sk-secret-tenant", memory).embed_query("a")
    [record] = memory.records()
    assert (record.base_url, record.model) == (emu.base_url, MODEL)
    assert record.key_digest == key_digest("sk-secret-tenant")
    assert record.refused_fields == {BASE64_REFUSED} == {"base64"}
    assert record.native_tools is None and record.server_kind is None  # nothing else learned
    assert "sk-secret" not in repr(memory.records()) and "sk-secret" not in repr(memory)
    key = BackendKey(emu.base_url, MODEL, key_digest("sk-secret-tenant"))
    assert memory.refused(key) == {"base64"}


def test_a_memory_of_its_own_keeps_it_apart_and_the_default_is_the_chat_models(emu) -> None:
    """No hidden process-wide state: a fresh memory knows nothing of another's refusals,
    and by default embeddings and chat models share the one process-wide memory."""
    _emb(emu, "sk-tenant-a", BackendMemory()).embed_query("a")
    assert _formats(emu) == ["base64", "float"]
    _emb(emu, "sk-tenant-a", BackendMemory()).embed_query("b")
    assert _formats(emu) == ["base64", "float"]
    emb = OpenAICompatibleEmbeddings(base_url=emu.base_url, model=MODEL)
    chat = ChatOpenAICompatible(base_url=emu.base_url, model="m")
    assert emb.backend_memory is DEFAULT_BACKEND_MEMORY is chat.backend_memory


def test_the_memory_is_kept_out_of_dumps_and_travels_like_the_chat_models(emu) -> None:
    """Declared as chat models declare theirs: not dumped, not in repr, shared by
    ``model_copy``; a pickled model uses the loading process's default memory, or carries
    its own with what it learned."""
    own = BackendMemory()
    emb = _emb(emu, "sk-tenant-a", own)
    emb.embed_query("a")
    assert "backend_memory" not in emb.model_dump() and "BackendMemory" not in repr(emb)
    assert "backend_memory" not in json.dumps(emb.model_dump(mode="json"))
    assert emb.model_copy().backend_memory is own
    assert emb.model_copy(update={"model": "other"}).backend_memory is own
    loaded = pickle.loads(pickle.dumps(emb))
    assert loaded.backend_memory is not own
    assert [r.refused_fields for r in loaded.backend_memory.records()] == [{"base64"}]
    plain = OpenAICompatibleEmbeddings(base_url=emu.base_url, model=MODEL)
    assert pickle.loads(pickle.dumps(plain)).backend_memory is DEFAULT_BACKEND_MEMORY
    chat = ChatOpenAICompatible(base_url=emu.base_url, model="m", backend_memory=own)
    assert chat.model_copy().backend_memory is own
    assert pickle.loads(pickle.dumps(chat)).backend_memory is not own
