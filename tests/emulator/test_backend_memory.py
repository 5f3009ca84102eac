"""What a process learns about a backend is kept per backend (URL, model, key), bounded,
resettable and readable, in one object passed to the model: never in hidden globals."""

from __future__ import annotations

import dataclasses
import json
import pickle
import time
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from langchain_compat import DEFAULT_BACKEND_MEMORY, BackendMemory, ChatOpenAICompatible
from langchain_compat.core import backend_memory
from langchain_compat.core.backend_memory import BackendKey, key_digest
from langchain_compat.core.server_props import ServerDefaults
from langchain_compat.errors import BadRequestError, InvalidParameterError
from langchain_compat.profiles import ServerKind
from langchain_compat.providers import LOCAL
from langchain_compat.testing import emulate
from langchain_compat.testing.faults import server_error


class Answer(BaseModel):
    value: int


ADD = {"type": "function", "function": {"name": "add", "description": "Add.", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}


def _tenant(emu, key: str, memory: BackendMemory) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", api_key=key, max_retries=0,
                                backend_memory=memory)


def test_a_refusal_learned_for_one_key_does_not_change_the_other_keys_requests() -> None:
    """Two tenants behind one gateway URL: tenant A's gateway refuses json_object; tenant
    B's does not. B keeps sending it (and A stops), whatever order they call in."""
    memory = BackendMemory()
    with emulate() as emu:
        a, b = _tenant(emu, "sk-tenant-a", memory), _tenant(emu, "sk-tenant-b", memory)
        emu.refuse("json_object")
        emu.script(['{"value": 1}'])
        assert a.with_structured_output(Answer, method="json_mode").invoke("one") == Answer(value=1)
        refused = [r.body.get("response_format") for r in emu.requests]
        assert refused[0] == {"type": "json_object"} and len(refused) == 2  # refused, resent
        emu.refuse()  # B's gateway takes it
        emu.reset()
        emu.script(['{"value": 2}', '{"value": 3}'])
        assert b.with_structured_output(Answer, method="json_mode").invoke("two") == Answer(value=2)
        three = a.with_structured_output(Answer, method="json_mode").invoke("three")
        assert three == Answer(value=3)
        formats = [r.body.get("response_format") for r in emu.requests]
    assert formats[0] == {"type": "json_object"}  # B: one request, with the field
    assert formats[1] != {"type": "json_object"}  # A: learned, one request without it
    assert len(formats) == 2
    records = {r.key_digest: r for r in memory.records()}
    assert records[key_digest("sk-tenant-a")].refused_fields == {"json_object"}
    assert key_digest("sk-tenant-b") not in records or \
        not records[key_digest("sk-tenant-b")].refused_fields
    assert "sk-tenant" not in repr(memory.records())  # the key only as a digest


def test_native_tools_refused_for_one_key_are_still_probed_for_the_other() -> None:
    memory = BackendMemory()
    with emulate(provider="cotomi") as emu:  # cotomi refuses tools (no function calling)
        a = ChatOpenAICompatible(base_url=emu.base_url, model="cotomi-fast-v2.0",
                                 api_key=emu.api_key, max_retries=0, backend_memory=memory)
        emu.script(['<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>'])
        assert a.bind_tools([ADD]).invoke("add").tool_calls[0]["args"] == {"a": 1}
        assert "tools" in emu.requests[0].body and "tools" not in emu.requests[1].body
        [record] = memory.records()
        assert record.native_tools is False and record.key_digest == key_digest(emu.api_key)
        other = a.model_copy(update={"api_key": "sk-another-tenant"})
        key = BackendKey(emu.base_url, "cotomi-fast-v2.0", key_digest("sk-another-tenant"))
        assert memory.native_tools(key) is None  # nothing learned for that key: it would probe
        assert other.call_settings.key_digest == key.key_digest


def test_the_memory_is_bounded_resettable_and_a_model_can_have_its_own() -> None:
    memory = BackendMemory(max_backends=2)
    keys = [BackendKey("http://x/v1", f"m{i}", "nokey") for i in range(3)]
    for key in keys:
        memory.learn_native_tools(key, True)
    assert [r.model for r in memory.records()] == ["m1", "m2"]  # the least recently used went
    assert memory.learn_refused(keys[2], "json_object") is True
    assert memory.learn_refused(keys[2], "json_object") is False  # warned once
    memory.forget("http://elsewhere/v1")
    assert len(memory) == 2
    memory.reset()
    assert memory.records() == [] and len(memory) == 0
    with pytest.raises(InvalidParameterError, match="max_backends"):
        BackendMemory(max_backends=0)
    own = BackendMemory()
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", backend_memory=own)
    assert llm.call_settings.memory is own
    default = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m")
    assert default.call_settings.memory is DEFAULT_BACKEND_MEMORY


def test_a_pickled_model_uses_the_loading_process_default_or_carries_its_own() -> None:
    own = BackendMemory()
    own.learn_refused(BackendKey("http://x/v1", "m", "nokey"), "stream_options")
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", backend_memory=own)
    loaded = pickle.loads(pickle.dumps(llm))
    assert [r.refused_fields for r in loaded.backend_memory.records()] == [{"stream_options"}]
    plain = pickle.loads(pickle.dumps(ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1")))
    assert plain.backend_memory is DEFAULT_BACKEND_MEMORY
    assert "backend_memory" not in json.dumps(llm.to_json(), default=str)


def test_an_invalid_schema_the_caller_sent_surfaces_as_the_servers_error() -> None:
    """Only a refusal of the field itself downgrades: a json_schema the server calls
    invalid is the caller's to see (raised), not silently turned into prompted JSON."""
    message = ("Invalid schema for response_format 'Answer': In context=(), "
               "'additionalProperties' is required to be supplied and to be false.")
    with emulate() as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", max_retries=0,
                                   backend_memory=BackendMemory(),
                                   profile_overrides={"json_schema": True})
        emu.inject(server_error(400, message))
        with pytest.raises(BadRequestError, match="Invalid schema"):
            llm.with_structured_output(Answer, method="json_schema").invoke("x")
        assert len(emu.requests) == 1
        assert llm.backend_memory.records() == []


# -- what llama-server's /props said ---------------------------------------------------------

QWEN = "qwen2.5-coder-0.5b-instruct"
#: llama-server with a window no profile has, to see whose answer a model uses.
SMALL_LLAMA = dataclasses.replace(LOCAL, profile=LOCAL.profile.replace(context_window=600))


def _llama(emu, memory: BackendMemory, key: str = "sk-tenant-a") -> ChatOpenAICompatible:
    """A model that does not know the server's kind: it reads /props when it matters."""
    return ChatOpenAICompatible(base_url=emu.base_url, model=QWEN, api_key=key, max_retries=0,
                                backend_memory=memory)


def _props_reads(emu) -> int:
    return [r.path for r in emu.requests].count("/props")


def test_what_props_said_for_one_key_is_read_again_for_another() -> None:
    """Two tenants behind one URL: B's first llama-field call reads /props itself, and so
    does a copy of A given another key; each then remembers its own answer."""
    memory = BackendMemory()
    with emulate(SMALL_LLAMA) as emu:
        a, b = _llama(emu, memory, "sk-tenant-a"), _llama(emu, memory, "sk-tenant-b")
        a.invoke("hi", top_k=1)
        b.invoke("hi", top_k=1)
        assert _props_reads(emu) == 2
        a.invoke("hi", top_k=1)
        assert b.context_window() == 600 and _props_reads(emu) == 2  # each remembers its own
        c = a.model_copy(update={"api_key": "sk-tenant-c"})
        assert c.compat_profile.server_kind is None  # A's answer does not travel with the copy
        assert c.context_window() == 600  # nor the window it gave A's LangChain profile:
        assert _props_reads(emu) == 3  # C read its own
        c.invoke("hi", top_k=1)
        a.api_key = "sk-tenant-d"  # nor to another key set on A itself
        a.context_window()
        assert _props_reads(emu) == 4
    learned = {r.key_digest for r in memory.records() if r.server_kind is not None}
    assert learned == {key_digest(f"sk-tenant-{t}") for t in "abcd"}


def test_reset_makes_the_next_call_read_props_again() -> None:
    memory = BackendMemory()
    with emulate("local") as emu:
        model = _llama(emu, memory)
        model.invoke("hi", top_k=1)
        model.invoke("hi", top_k=1)
        assert _props_reads(emu) == 1
        memory.reset()
        model.invoke("hi", top_k=1)  # the model's profile follows its memory
        assert _props_reads(emu) == 2
        memory.reset()
        assert model.context_window() == 4096 and _props_reads(emu) == 3
        memory.reset()
        assert model.get_server_defaults().n_ctx == 4096 and _props_reads(emu) == 4


def test_the_record_says_what_props_taught_and_never_the_key() -> None:
    memory = BackendMemory()
    with emulate("local") as emu:
        _llama(emu, memory, "sk-secret-tenant").context_window()
        [record] = memory.records()
    assert record.server_kind is ServerKind.LLAMA_CPP and record.key_digest != "nokey"
    assert record.server_defaults.n_ctx == 4096 and record.server_defaults["top_k"] == 40
    assert 0 < record.props_read_at <= time.monotonic() and record.props_unreadable_until == 0
    with emulate("openai-compatible") as emu:
        ChatOpenAICompatible(base_url=emu.base_url, model="m", api_key="sk-secret-tenant",
                             backend_memory=memory).context_window()
        [other] = [r for r in memory.records() if r.base_url == emu.base_url]
    assert other.server_kind is ServerKind.OTHER and other.server_defaults is None
    down = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", timeout=2,
                                max_retries=0, backend_memory=memory)
    assert down.context_window() == down.compat_profile.context_window
    [failed] = [r for r in memory.records() if r.base_url == down.base_url]
    assert failed.server_kind is None and failed.props_unreadable_until > time.monotonic()
    assert "sk-secret" not in repr(memory.records()) and "sk-secret" not in repr(memory)


def test_the_size_bound_evicts_props_facts_with_the_rest() -> None:
    memory = BackendMemory(max_backends=1)
    with emulate("local") as emu:
        a, b = _llama(emu, memory, "sk-tenant-a"), _llama(emu, memory, "sk-tenant-b")
        a.context_window()
        a.context_window()
        assert _props_reads(emu) == 1
        b.context_window()
        assert _props_reads(emu) == 2
        assert [r.key_digest for r in memory.records()] == [key_digest("sk-tenant-b")]
        a.context_window()  # A's answer went with its record: read again
        assert _props_reads(emu) == 3


def test_a_pickled_memory_keeps_the_age_of_what_it_learned(monkeypatch) -> None:
    """A monotonic time means nothing in another process: the loaded memory keeps the age
    of each answer and the time left of each wait, not the other process's clock values."""
    memory = BackendMemory()
    found, failed = (BackendKey(url, "m", "nokey") for url in ("http://x/v1", "http://y/v1"))
    memory.learn_props(found, ServerDefaults(4096, 1, None, None, None))
    memory.learn_props_unreadable(failed)
    memory.learn_tokenize_unreadable(failed)
    data = pickle.dumps(memory)
    later = time.monotonic() + 1e6  # a process whose clock is far ahead
    monkeypatch.setattr(backend_memory, "time", SimpleNamespace(
        monotonic=lambda: later, time=time.time))
    loaded = pickle.loads(data)
    assert loaded.fresh_props(found) is not None  # still fresh there
    assert not loaded.props_due(failed) and not loaded.tokenize_due(failed)  # still waited for


def test_the_former_import_path_and_its_pickles_still_work() -> None:
    """The memory moved from chat_models/ to core/ (it is not the chat models' alone): the
    old path gives the same objects, and a pickle that names the old module still loads."""
    from langchain_compat.chat_models import backend_memory as former

    assert former.DEFAULT_BACKEND_MEMORY is DEFAULT_BACKEND_MEMORY
    assert (former.BackendMemory, former.BackendKey) == (BackendMemory, BackendKey)
    own = BackendMemory(max_backends=7)
    own.learn_refused(BackendKey("http://x/v1", "m", "nokey"), "stream_options")
    data = pickle.dumps((own, DEFAULT_BACKEND_MEMORY), protocol=0)  # module names in clear
    old = data.replace(b"langchain_compat.core.backend_memory",
                       b"langchain_compat.chat_models.backend_memory")
    assert old != data and b"core.backend_memory" not in old
    loaded, default = pickle.loads(old)
    assert default is DEFAULT_BACKEND_MEMORY
    assert loaded.max_backends == 7
    assert [r.refused_fields for r in loaded.records()] == [{"stream_options"}]
