"""llama-server's own fields, /props, timings and the context overflow, on the real server.

The shared local server (``local_llm``: llama.cpp build 11434, Qwen2.5-Coder-0.5B,
one slot, 4096 tokens) answers every request here. Each field is shown sent
(the request body, recorded by an httpx event hook) and, where the server lets
us see it, honoured: its ``/slots`` echo of the last task's parameters, or the
reply itself (``top_k=1`` at temperature 2 writes the greedy text; ``samplers``
without ``top_k`` does not; ``grammar``/``json_schema`` shape the reply;
``n_probs`` returns probabilities; a repeated prompt is read from the KV cache
and ``timings.prompt_n`` falls). Replies are kept to a few tokens: the machine
is shared and the model runs on the CPU.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest

from langchain_compat import DEFAULT_BACKEND_MEMORY, ChatLocal, ChatOpenAICompatible
from langchain_compat import errors as E
from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.core.server_props import read_props
from langchain_compat.memory import context_window_of
from langchain_compat.profiles import ServerKind
from langchain_compat.providers import GENERIC, Provider

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.timeout(600),
    pytest.mark.skipif(os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1",
                       reason="LANGCHAIN_COMPAT_NO_LOCAL=1"),
]

PROMPT = "Write one sentence about the sea."
#: Fields the server echoes in GET /slots (the last task's parameters), with a value that is
#: not its default. The seed marks our task: another session's request in between changes it.
ECHOED = {
    "seed": 424242, "top_k": 7, "min_p": 0.07, "typical_p": 0.9, "top_n_sigma": 2.5,
    "dynatemp_range": 0.1, "dynatemp_exponent": 1.3, "min_keep": 2,
    "samplers": ["top_k", "min_p", "temperature"], "mirostat": 0, "mirostat_tau": 4.5,
    "mirostat_eta": 0.2, "repeat_penalty": 1.25, "repeat_last_n": 32, "dry_multiplier": 0.5,
    "dry_base": 1.9, "dry_allowed_length": 3, "dry_penalty_last_n": 48, "xtc_probability": 0.3,
    "xtc_threshold": 0.2, "n_probs": 3, "post_sampling_probs": True, "n_keep": 5, "lora": [],
    "ignore_eos": True, "reasoning_format": "none",
}
#: Fields the server takes without echoing them (sent, and the request succeeds).
ACCEPTED = {
    "dry_sequence_breakers": ["\n", "##"], "cache_prompt": True, "id_slot": 0,
    "chat_template_kwargs": {"enable_thinking": False}, "reasoning_budget_tokens": 64,
    "t_max_predict_ms": 9000,
}


class Recorder:
    """The JSON bodies our model sends, seen by an httpx event hook (the request log)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.client = httpx.Client(event_hooks={"request": [self._see]})

    def _see(self, request: httpx.Request) -> None:
        if request.method == "POST":
            self.bodies.append(json.loads(request.content))


@pytest.fixture
def rec() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.client.close()


@pytest.fixture(autouse=True)
def _forget_servers() -> Iterator[None]:
    DEFAULT_BACKEND_MEMORY.reset()  # what /props said is learned there (per backend)
    yield
    DEFAULT_BACKEND_MEMORY.reset()


def _local(local_llm: Any, **kwargs: Any) -> ChatLocal:
    return ChatLocal(base_url=local_llm.base_url, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def greedy(local_llm: Any) -> str:
    """The greedy reply (temperature 0), computed once for the module."""
    return _local(local_llm, temperature=0, max_tokens=6, cache_prompt=False).invoke(PROMPT).text


def test_top_k_1_and_min_p_1_write_the_greedy_text_at_temperature_2(local_llm: Any,
                                                                     greedy: str) -> None:
    hot = _local(local_llm, temperature=2.0, seed=11, max_tokens=6, cache_prompt=False)
    assert hot.invoke(PROMPT, top_k=1).text == greedy  # per call
    assert hot.bind(min_p=1.0).invoke(PROMPT).text == greedy  # through bind
    # the chain without top_k: top_k=1 is not applied, the hot sampler writes something else
    assert hot.invoke(PROMPT, top_k=1, samplers=["temperature"]).text != greedy


def test_every_field_reaches_the_server(local_llm: Any, rec: Recorder) -> None:
    slots_url = local_llm.base_url.removesuffix("/v1") + "/slots"
    model = _local(local_llm, http_client=rec.client, max_tokens=12, **ACCEPTED)
    chunks = model.stream("hi", **ECHOED)  # ignore_eos: the reply runs to max_tokens
    first = next(chunks)
    # While our reply streams, its slot holds our task's parameters (other sessions' tasks
    # wait for the slot, or run in another one with another seed).
    ours = [s for s in httpx.get(slots_url, timeout=60).json()
            if s["is_processing"] and s["params"]["seed"] == ECHOED["seed"]]
    rest = list(chunks)
    assert len(ours) == 1, "no slot was running our task"
    params = ours[0]["params"]
    sent = rec.bodies[-1]
    assert {k: sent[k] for k in (*ECHOED, *ACCEPTED)} == {**ECHOED, **ACCEPTED}
    for name, value in ECHOED.items():
        echoed = params[name]
        assert echoed == pytest.approx(value) if isinstance(value, float) else echoed == value, name
    merged = first
    for chunk in rest:
        merged += chunk
    assert merged.response_metadata["id_slot"] == 0
    assert merged.response_metadata["timings"]["predicted_n"] == 12


def test_n_probs_returns_probabilities(local_llm: Any) -> None:
    model = _local(local_llm, temperature=0, max_tokens=3, n_probs=3, post_sampling_probs=True)
    tokens = model.invoke(PROMPT).response_metadata["logprobs"]["content"]
    assert len(tokens) == 3 and all(1 <= len(t["top_probs"]) <= 3 for t in tokens)
    assert all(0 <= p["prob"] <= 1 for t in tokens for p in t["top_probs"])


def test_grammar_and_json_schema_shape_the_reply(local_llm: Any) -> None:
    model = _local(local_llm, temperature=0, max_tokens=6)
    assert model.invoke("Is the sea wet?", grammar='root ::= "yes" | "no"').text in ("yes", "no")
    schema = {"type": "integer", "minimum": 1, "maximum": 9}
    bounded = _local(local_llm, temperature=0, max_tokens=4, json_schema=schema)
    reply = bounded.invoke("How many seas?")
    assert 1 <= json.loads(reply.text) <= 9


def test_a_repeated_prompt_is_read_from_the_cache(local_llm: Any) -> None:
    model = _local(local_llm, temperature=0, max_tokens=2)
    prompt = f"Repeat after me, test {os.getpid()}: the sea is blue and the sky is grey."
    first = model.invoke(prompt).response_metadata["timings"]
    second = model.invoke(prompt).response_metadata["timings"]
    assert second["prompt_n"] < first["prompt_n"] + first["cache_n"] and second["cache_n"] > 0
    chunks = list(model.stream(prompt))
    carrying = [c.response_metadata["timings"] for c in chunks if "timings" in c.response_metadata]
    assert len(carrying) == 1 and carrying[0]["cache_n"] > 0 and carrying[0]["predicted_n"] >= 1
    uncached = model.invoke(prompt, cache_prompt=False).response_metadata["timings"]
    assert uncached["cache_n"] == 0 and uncached["prompt_n"] == first["prompt_n"] + first["cache_n"]


def test_a_prompt_over_the_window_raises_the_typed_error(local_llm: Any) -> None:
    model = _local(local_llm)
    n_ctx = model.get_server_defaults().n_ctx
    long = "word " * (n_ctx + 500)
    with pytest.raises(E.ContextOverflowError) as info:
        model.invoke(long)
    assert info.value.n_ctx == n_ctx and info.value.n_prompt_tokens > n_ctx
    assert info.value.status_code == 400
    with pytest.raises(E.ContextOverflowError) as streamed:
        list(model.stream(long))
    assert streamed.value.n_prompt_tokens == info.value.n_prompt_tokens
    assert streamed.value.n_ctx == n_ctx


class _Chat8k(BaseChatCompat):
    """A model whose profile says 8192 tokens and does not know the server's kind."""

    provider: ClassVar[Provider] = dataclasses.replace(
        GENERIC, profile=GENERIC.profile.replace(context_window=8192))


def test_props_give_the_defaults_and_the_window_reaches_the_profile(local_llm: Any) -> None:
    raw = httpx.get(local_llm.base_url.removesuffix("/v1") + "/props", timeout=60).json()
    n_ctx = raw["default_generation_settings"]["n_ctx"]
    unknown = _Chat8k(base_url=local_llm.base_url, model=local_llm.model, timeout=60)
    assert unknown.compat_profile.context_window == 8192 and n_ctx != 8192
    assert context_window_of(model=unknown) == n_ctx  # what memory trimming uses
    assert unknown.compat_profile.server_kind is ServerKind.LLAMA_CPP
    assert unknown.profile["max_input_tokens"] == n_ctx
    found = _local(local_llm).get_server_defaults()
    assert found == read_props(raw) and found.n_ctx == n_ctx
    assert found["top_k"] == raw["default_generation_settings"]["params"]["top_k"]
    assert found.model_alias == local_llm.model and found.total_slots >= 1


def test_openai_compatible_detects_the_server_and_sends_the_fields(local_llm: Any, greedy: str,
                                                                  rec: Recorder) -> None:
    model = ChatOpenAICompatible(base_url=local_llm.base_url, model=local_llm.model, timeout=300,
                                 http_client=rec.client, temperature=2.0, seed=11, max_tokens=6)
    assert model.invoke(PROMPT, top_k=1, cache_prompt=False).text == greedy
    assert rec.bodies[-1]["top_k"] == 1 and model.compat_profile.server_kind is ServerKind.LLAMA_CPP


def test_bad_values_never_reach_the_server(local_llm: Any, rec: Recorder) -> None:
    model = _local(local_llm, http_client=rec.client, max_tokens=2)
    bad_values = (("top_k", -1), ("min_p", 1.5), ("samplers", ["top-q"]), ("lora", [{"id": 0}]))
    for name, bad in bad_values:
        with pytest.raises(E.InvalidParameterError, match=name):
            model.invoke("hi", **{name: bad})
    with pytest.raises(E.InvalidParameterError, match="dry_base"):
        _local(local_llm, dry_base=0.5)
    assert rec.bodies == []
