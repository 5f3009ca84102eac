"""llama-server's own fields, /props, timings and the context overflow, against the emulator.

The emulator serves llama-server's behaviour for a provider whose profile says
llama.cpp (``langchain_compat.testing.llama``): ``GET /props``, ``timings``
with a one-slot prompt cache, and the 400 ``exceed_context_size_error``. The
same behaviours on the real server: ``tests/local/test_llama_server_fields.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import warnings
from collections.abc import Iterator
from typing import ClassVar

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_compat import DEFAULT_BACKEND_MEMORY, BackendMemory, ChatEktos, ChatLocal
from langchain_compat import ChatOpenAICompatible
from langchain_compat import errors as E
from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.core.llama_params import LLAMA_FIELDS
from langchain_compat.memory import context_window_of, trim_to_window
from langchain_compat.profiles import ServerKind
from langchain_compat.providers import GENERIC, LOCAL, Provider
from langchain_compat.testing import emulate
from langchain_compat.testing.faults import hang

QWEN = "qwen2.5-coder-0.5b-instruct"
#: A non-default value of every field (as the server takes them).
VALUES = {
    "top_k": 7, "min_p": 0.07, "typical_p": 0.9, "top_n_sigma": 2.5, "dynatemp_range": 0.1,
    "dynatemp_exponent": 1.3, "min_keep": 2, "samplers": ["top_k", "min_p", "temperature"],
    "mirostat": 0, "mirostat_tau": 4.5, "mirostat_eta": 0.2, "repeat_penalty": 1.25,
    "repeat_last_n": 32, "dry_multiplier": 0.5, "dry_base": 1.9, "dry_allowed_length": 3,
    "dry_penalty_last_n": 48, "dry_sequence_breakers": ["\n", "##"], "xtc_probability": 0.3,
    "xtc_threshold": 0.2, "grammar": "root ::= [a-z]+", "json_schema": {"type": "string"},
    "n_probs": 3, "post_sampling_probs": True, "chat_template_kwargs": {"enable_thinking": False},
    "reasoning_format": "none", "reasoning_budget_tokens": 64, "cache_prompt": True, "id_slot": 0,
    "n_keep": 5, "lora": [], "ignore_eos": True, "t_max_predict_ms": 9000,
}


@pytest.fixture(autouse=True)
def _forget_servers() -> Iterator[None]:
    DEFAULT_BACKEND_MEMORY.reset()  # what /props said is learned there (per backend)
    yield
    DEFAULT_BACKEND_MEMORY.reset()


@pytest.fixture
def llama() -> Iterator:
    with emulate("local") as emu:
        yield emu


def _small_llama(window: int) -> Provider:
    """The local provider with another window, to see /props's n_ctx reach the profile."""
    return dataclasses.replace(LOCAL, profile=LOCAL.profile.replace(context_window=window))


class _Chat8k(BaseChatCompat):
    """A model whose profile says 8192 tokens and does not know the server's kind."""

    provider: ClassVar[Provider] = dataclasses.replace(
        GENERIC, profile=GENERIC.profile.replace(context_window=8192))


# -- the fields ------------------------------------------------------------------------------

def test_every_field_is_sent_from_the_model_a_call_and_bind(llama) -> None:
    assert VALUES.keys() == LLAMA_FIELDS.keys()
    half = sorted(VALUES)[: len(VALUES) // 2]
    model = ChatLocal(base_url=llama.base_url, **{k: VALUES[k] for k in half})
    model.invoke("hi", **{k: v for k, v in VALUES.items() if k not in half})
    sent = llama.requests[-1].json
    assert {k: sent[k] for k in VALUES} == VALUES
    model.bind(top_k=1, grammar='root ::= "a"').invoke("hi")  # bind wins over the model's
    sent = llama.requests[-1].json
    assert sent["top_k"] == 1 and sent["grammar"] == 'root ::= "a"'
    model.invoke("hi")
    assert all(k not in llama.requests[-1].json for k in VALUES if k not in half)  # per call only


def test_fields_left_at_none_are_not_sent(llama) -> None:
    ChatLocal(base_url=llama.base_url).invoke("hi")
    assert not set(llama.requests[-1].json) & set(LLAMA_FIELDS)


BAD = [("top_k", -3), ("min_p", 1.5), ("samplers", ["topk"]), ("lora", [{"id": 0}]), ("top_k", "5"),
       ("cache_prompt", 1)]


@pytest.mark.parametrize(("name", "bad"), BAD)
def test_bad_values_are_refused_on_the_model_and_per_call(llama, name: str, bad: object) -> None:
    with pytest.raises(E.InvalidParameterError) as info:
        ChatLocal(base_url=llama.base_url, **{name: bad})
    assert info.value.param == name and "Value error" not in str(info.value)
    model = ChatLocal(base_url=llama.base_url)
    with pytest.raises(E.InvalidParameterError, match=name):
        model.invoke("hi", **{name: bad})
    with pytest.raises(E.InvalidParameterError, match=name):
        model.bind(**{name: bad}).invoke("hi")
    assert not llama.requests  # refused before any request


def test_another_server_refuses_them_and_names_the_way_out() -> None:
    with pytest.raises(E.ServerFeatureError) as info:
        ChatEktos(api_key="k" * 24, min_p=0.1)
    text = str(info.value)
    assert "min_p" in text and "model_kwargs={'min_p'" in text
    assert "'server_kind': 'llama.cpp'" in text
    assert isinstance(info.value, E.UnsupportedParameterError)
    with emulate("ektos") as emu:
        model = ChatEktos(base_url=emu.base_url, api_key=emu.api_key)
        with pytest.raises(E.ServerFeatureError, match="top_k"):
            model.invoke("hi", top_k=2)
        assert not emu.requests
        kwargs_model = ChatEktos(base_url=emu.base_url, api_key=emu.api_key,
                                 model_kwargs={"top_k": 2})
        kwargs_model.invoke("hi")
        assert emu.requests[-1].json["top_k"] == 2  # model_kwargs: sent unchecked
        dropping = ChatEktos(base_url=emu.base_url, api_key=emu.api_key, top_k=2,
                             drop_unsupported_params=True)
        with pytest.warns(UserWarning, match="top_k, min_p dropped"):
            dropping.invoke("hi", min_p=0.2)
        assert "top_k" not in emu.requests[-1].json and "min_p" not in emu.requests[-1].json


# -- ChatOpenAICompatible: the kind from /props ----------------------------------------------

def test_openai_compatible_reads_props_once_then_sends_the_fields(llama) -> None:
    model = ChatOpenAICompatible(base_url=llama.base_url, model=QWEN)
    assert model.compat_profile.server_kind is None
    model.invoke("hi")  # no llama field: no /props
    assert [r.path for r in llama.requests] == ["/v1/chat/completions"]
    model.invoke("hi", top_k=1)
    model.invoke("hi", min_p=0.5)
    other = ChatOpenAICompatible(base_url=llama.base_url, model=QWEN, top_k=3)
    other.invoke("hi")
    paths = [r.path for r in llama.requests]
    assert paths.count("/props") == 1 and llama.requests[1].query == "model=" + QWEN
    assert llama.requests[-1].json["top_k"] == 3
    assert model.compat_profile.server_kind is ServerKind.LLAMA_CPP
    assert model.compat_profile.call_grammar  # constrained tool turns may use its grammar
    with pytest.raises(E.InvalidParameterError, match="min_p"):  # now checked as llama-server's
        model.invoke("hi", min_p=7)


def test_openai_compatible_async_reads_props_too(llama) -> None:
    model = ChatOpenAICompatible(base_url=llama.base_url, model=QWEN)

    async def run() -> None:
        await model.ainvoke("hi", top_k=1)
        async for _ in model.astream("hi", min_p=0.2):
            pass

    asyncio.run(run())
    chat = "/v1/chat/completions"
    assert [r.path for r in llama.requests] == ["/props", chat, chat]
    assert llama.requests[-1].json["min_p"] == 0.2


def test_openai_compatible_on_another_server_refuses_with_the_way_out() -> None:
    with emulate("openai-compatible") as emu:
        model = ChatOpenAICompatible(base_url=emu.base_url, model="m")
        with pytest.raises(E.ServerFeatureError, match=r"model_kwargs=\{'top_k'"):
            model.invoke("hi", top_k=2)
        asked = [(r.path, r.status) for r in emu.requests]
        assert asked == [("/props", 404), ("/upstream/m/props", 404)]
        with pytest.raises(E.ServerFeatureError):
            model.invoke("hi", top_k=2)
        assert len(emu.requests) == 2  # remembered: not asked again
        with pytest.raises(E.ServerFeatureError, match="get_server_defaults"):
            model.get_server_defaults()
        forced = ChatOpenAICompatible(base_url=emu.base_url, model="m", top_k=2,
                                      profile_overrides={"server_kind": "llama.cpp"})
        forced.invoke("hi")
        assert emu.requests[-1].json["top_k"] == 2 and len(emu.requests) == 3


def test_reading_props_is_bounded_by_the_models_timeout(llama) -> None:
    llama.inject(hang().only("props"))
    model = ChatOpenAICompatible(base_url=llama.base_url, model=QWEN,
                                 timeout=1.0, max_retries=0)
    start = time.monotonic()
    with pytest.raises(E.APITimeoutError, match="/props"):
        model.invoke("hi", top_k=1)
    assert time.monotonic() - start < 5  # not the server's pace: our bound
    assert model.compat_profile.server_kind is None  # a failure is not taken for an answer


# -- /props: defaults and the window ---------------------------------------------------------

def test_get_server_defaults_is_a_typed_record(llama) -> None:
    model = ChatLocal(base_url=llama.base_url)
    found = model.get_server_defaults()
    assert (found.n_ctx, found.total_slots, found.model_alias) == (4096, 1, QWEN)
    assert found["top_k"] == 40 and found["temperature"] == 0.8 and "min_p" in found.sampling
    assert asyncio.run(model.aget_server_defaults()) == found
    model.get_server_defaults()
    assert [r.path for r in llama.requests] == ["/props"]  # remembered
    model.get_server_defaults(refresh=True)
    assert len(llama.requests) == 2
    with pytest.raises(E.ServerFeatureError, match="only llama-server"):
        ChatEktos(api_key="k" * 24).get_server_defaults()


def test_the_servers_window_reaches_the_profile_and_memory() -> None:
    with emulate(_small_llama(600)) as emu:
        model = ChatLocal(base_url=emu.base_url)
        assert model.compat_profile.context_window == 4096  # nothing read yet
        assert context_window_of(model=model) == 600  # memory asks the model: /props is read
        assert model.compat_profile.context_window == 600
        assert model.profile["max_input_tokens"] == 600
        history = [SystemMessage("Be brief."),
                   *[m for i in range(40) for m in (HumanMessage(f"question {i} " + "word " * 20),
                                                    AIMessage(f"answer {i} " + "word " * 20))],
                   HumanMessage("last")]
        kept = trim_to_window(history, model=model)
        assert len(kept) < 20 and kept[-1].content == "last"
        given = ChatLocal(base_url=emu.base_url, profile={"max_input_tokens": 9000})
        assert given.context_window() == 9000
        paths = [r.path for r in emu.requests]
        assert paths == ["/props"]


def test_an_unknown_server_learns_its_window_and_kind_from_props() -> None:
    with emulate(_small_llama(1500)) as emu:
        model = _Chat8k(base_url=emu.base_url, model=QWEN)
        assert model.context_window() == 1500
        assert model.compat_profile.server_kind is ServerKind.LLAMA_CPP
    with emulate("openai-compatible") as emu:
        model = _Chat8k(base_url=emu.base_url, model="m")
        assert model.context_window() == 8192
        assert model.compat_profile.server_kind is ServerKind.OTHER


def test_an_unreachable_server_leaves_the_profiles_window() -> None:
    memory = BackendMemory()
    model = ChatLocal(base_url="http://127.0.0.1:9/v1", timeout=2, max_retries=0,
                      backend_memory=memory)
    assert model.context_window() == 4096
    [record] = memory.records()  # not asked again for a minute
    assert record.server_kind is None and record.props_unreadable_until > time.monotonic()
    with pytest.raises(E.APIConnectionError):
        model.get_server_defaults()


def test_the_trimming_middleware_reads_the_window_without_blocking() -> None:
    pytest.importorskip("langchain.agents")
    from langchain_compat.memory.middleware import TrimToWindowMiddleware

    class _Request:
        def __init__(self, model: ChatLocal) -> None:
            self.model, self.system_message, self.tools = model, None, []
            self.messages = [HumanMessage("word " * 300), AIMessage("ok"), HumanMessage("last")]

        def override(self, **changes: object) -> dict:
            return changes

    with emulate(_small_llama(300)) as emu:
        model = ChatLocal(base_url=emu.base_url)

        async def handler(request: dict) -> dict:
            return request

        seen = asyncio.run(TrimToWindowMiddleware().awrap_model_call(_Request(model), handler))
        assert [m.content for m in seen["messages"]] == ["last"]  # 300-token window from /props
        assert [r.path for r in emu.requests] == ["/props"]


# -- timings and the slot --------------------------------------------------------------------

def test_timings_in_invoke_and_on_the_last_stream_chunk(llama) -> None:
    model = ChatLocal(base_url=llama.base_url)
    first = model.invoke("tell me about the sea", id_slot=0)
    t1 = first.response_metadata["timings"]
    assert t1["prompt_n"] > 0 and t1["cache_n"] == 0 and first.response_metadata["id_slot"] == 0
    second = model.invoke("tell me about the sea").response_metadata["timings"]
    assert second["cache_n"] > 0 and second["prompt_n"] < t1["prompt_n"]  # the cached prefix
    chunks = list(model.stream("tell me about the sea"))
    with_timings = [i for i, c in enumerate(chunks) if "timings" in c.response_metadata]
    assert len(with_timings) == 1  # once, on the call's last chunk (LangChain may add an empty one)
    assert all(not c.content and not c.response_metadata.get("finish_reason")
               for c in chunks[with_timings[0] + 1:])  # nothing of ours follows it
    merged = chunks[0]
    for c in chunks[1:]:
        merged += c
    assert merged.response_metadata["timings"]["cache_n"] > 0
    no_cache = model.invoke("tell me about the sea", cache_prompt=False)
    no_cache = no_cache.response_metadata["timings"]
    assert no_cache["cache_n"] == 0 and no_cache["prompt_n"] == t1["prompt_n"]


def test_no_timings_from_a_server_that_sends_none() -> None:
    with emulate("openai-compatible") as emu:
        reply = ChatOpenAICompatible(base_url=emu.base_url, model="m").invoke("hi")
        assert "timings" not in reply.response_metadata and "id_slot" not in reply.response_metadata


# -- the context overflow ----------------------------------------------------------------------

def test_overflow_is_typed_in_invoke_and_stream_sync_and_async(llama) -> None:
    model = ChatLocal(base_url=llama.base_url, max_retries=2)
    long = "word " * 5000
    with pytest.raises(E.ContextOverflowError) as info:
        model.invoke(long)
    assert info.value.n_ctx == 4096 and info.value.n_prompt_tokens > 4096
    with pytest.raises(E.ContextOverflowError):
        list(model.stream(long))

    async def run() -> None:
        with pytest.raises(E.ContextOverflowError):
            await model.ainvoke(long)
        with pytest.raises(E.ContextOverflowError):
            async for _ in model.astream(long):
                pass

    asyncio.run(run())
    assert len([r for r in llama.requests if r.method == "POST"]) == 4  # never retried


def test_langchains_summarization_middleware_sees_it_as_an_overflow(llama) -> None:
    from langchain_core.exceptions import ContextOverflowError

    with pytest.raises(ContextOverflowError):
        ChatLocal(base_url=llama.base_url).invoke("word " * 5000)


def test_thinking_switch_goes_through_chat_template_kwargs(llama) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ChatLocal(base_url=llama.base_url, chat_template_kwargs={"enable_thinking": False})
    model.invoke("hi")
    assert llama.requests[-1].json["chat_template_kwargs"] == {"enable_thinking": False}
