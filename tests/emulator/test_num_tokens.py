"""Token counting through LangChain's API, offline and through a server's ``/tokenize``.

``trim_messages(token_counter=llm)`` is LangChain's documented pattern; its
default count needs ``transformers`` (GPT-2), which is not a dependency.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.tools import tool

from langchain_compat import DEFAULT_BACKEND_MEMORY, BackendMemory, ChatOpenAICompatible
from langchain_compat.chat_models.token_counts import clear_cache, tokenize_url
from langchain_compat.core.backend_memory import key_digest
from langchain_compat.errors import ConfigurationError
from langchain_compat.memory.estimate import count_tokens, estimate_text_tokens
from langchain_compat.testing import server_error
from langchain_compat.testing.extras import tokenize_response

OFFLINE = "http://127.0.0.1:9/v1"  # nothing listens: counting must not send anything


@tool
def lookup(query: str) -> str:
    """Look something up in the company wiki."""
    return query


def _history(n: int = 8) -> list:
    out: list = [SystemMessage("You are terse.")]
    for i in range(n):
        out += [HumanMessage(f"question {i}: what is the capital of country number {i}?"),
                AIMessage(f"answer {i}: it is the city number {i}, a long way from here.")]
    return out


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()  # the counts; a failed tokenizer is remembered in the backend memory
    DEFAULT_BACKEND_MEMORY.reset()
    yield
    clear_cache()
    DEFAULT_BACKEND_MEMORY.reset()


def test_trim_messages_with_the_model_as_counter_works_offline():
    llm = ChatOpenAICompatible(base_url=OFFLINE, model="m")
    history = _history()
    trimmed = trim_messages(history, max_tokens=120, token_counter=llm, strategy="last",
                            include_system=True, start_on="human")
    assert trimmed[0].type == "system" and trimmed[-1] == history[-1]
    assert 2 < len(trimmed) < len(history)
    assert llm.get_num_tokens_from_messages(trimmed) <= 120


def test_counting_imports_neither_transformers_nor_tiktoken():
    """In a fresh process: other tests (ChatOpenAI comparisons) import tiktoken themselves."""
    code = ("import sys\n"
            "from langchain_core.messages import HumanMessage\n"
            "from langchain_compat import ChatOpenAICompatible\n"
            f"llm = ChatOpenAICompatible(base_url={OFFLINE!r}, model='m')\n"
            "llm.get_num_tokens_from_messages([HumanMessage('hello there')])\n"
            "print(sorted({'transformers', 'tiktoken'} & set(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_counts_are_the_calibrated_estimate_and_tools_count():
    llm = ChatOpenAICompatible(base_url=OFFLINE, model="m")
    history = _history(2)
    assert llm.get_num_tokens("hello world") == estimate_text_tokens("hello world")
    assert llm.get_num_tokens_from_messages(history) == count_tokens(history)
    with_tools = llm.get_num_tokens_from_messages(history, tools=[lookup])
    assert with_tools > count_tokens(history) + 150  # the schema and its instructions
    calls = [AIMessage("", tool_calls=[{"name": "lookup", "args": {"query": "x"}, "id": "c1"}]),
             ToolMessage("result", tool_call_id="c1")]
    assert llm.get_num_tokens_from_messages(history + calls) > count_tokens(history)


def test_token_ids_without_a_tokenizer_is_a_typed_error():
    with pytest.raises(ConfigurationError, match="tokenize_endpoint"):
        ChatOpenAICompatible(base_url=OFFLINE, model="m").get_token_ids("hi")
    custom = ChatOpenAICompatible(base_url=OFFLINE, model="m",
                                  custom_get_token_ids=lambda t: [1] * len(t))
    assert custom.get_token_ids("abc") == [1, 1, 1] and custom.get_num_tokens("abcd") == 4


def test_tokenize_url_is_below_the_server_root():
    assert tokenize_url("http://h:8/v1", "/tokenize") == "http://h:8/tokenize"
    assert tokenize_url("http://h:8/llama/v1/", "tokenize") == "http://h:8/llama/tokenize"


def _tokenizing(emu, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", **kw,
                                profile_overrides={"tokenize_endpoint": "/tokenize"})


def test_server_tokenize_counts_and_caches(emulator):
    emu = emulator("openai-compatible")
    llm = _tokenizing(emu)
    text = "one two three four five"
    assert llm.get_num_tokens(text) == tokenize_response({"content": text})["count"] == 5
    assert llm.get_token_ids(text) == tokenize_response({"content": text})["tokens"]
    history = _history(3)
    first = llm.get_num_tokens_from_messages(history)
    asked = len(emu.requests)
    assert llm.get_num_tokens_from_messages(history) == first
    assert len(emu.requests) == asked  # every text was cached
    assert all(r.path == "/tokenize" for r in emu.requests)
    assert emu.requests[0].body["content"] == text
    trimmed = trim_messages(history, max_tokens=60, token_counter=llm, strategy="last")
    assert trimmed and len(emu.requests) == asked  # trimming re-counts from the cache


def test_server_errors_fall_back_to_the_estimate(emulator):
    emu = emulator("openai-compatible")
    emu.inject(server_error(500).only("tokenize"))
    llm = _tokenizing(emu)
    assert llm.get_num_tokens("alpha beta") == estimate_text_tokens("alpha beta")
    assert llm.get_num_tokens("alpha beta gamma") == estimate_text_tokens("alpha beta gamma")
    assert len(emu.requests) == 1  # a failed tokenizer is not asked again at once
    llm_down = ChatOpenAICompatible(base_url=OFFLINE, model="m",
                                    profile_overrides={"tokenize_endpoint": "/tokenize"})
    assert llm_down.get_num_tokens("x y") == estimate_text_tokens("x y")


def test_what_a_tokenizer_did_for_one_key_is_not_anothers(emulator):
    """Behind one URL: tenant A's failed count does not send tenant B to the estimate, A's
    counts are not B's, and the failure is a record of the models' memory (reset forgets)."""
    emu = emulator("openai-compatible")
    memory = BackendMemory()
    a, b, c = (_tokenizing(emu, api_key=f"sk-tenant-{t}", backend_memory=memory) for t in "abc")
    emu.inject(server_error(500).only("tokenize"))
    assert a.get_num_tokens("alpha beta") == estimate_text_tokens("alpha beta") != 2
    assert b.get_num_tokens("alpha beta") == 2  # B asks the server itself
    assert a.get_num_tokens("alpha beta gamma") == estimate_text_tokens("alpha beta gamma")
    assert len(emu.requests) == 2  # A waits a minute before asking again
    [failed] = [r for r in memory.records() if r.tokenize_unreadable_until]
    assert failed.key_digest == key_digest("sk-tenant-a")
    memory.reset()
    assert a.get_num_tokens("alpha beta gamma") == 3 and len(emu.requests) == 3
    assert c.get_num_tokens("alpha beta") == 2 and len(emu.requests) == 4  # not B's count


def test_replayed_reasoning_is_counted_only_where_it_is_sent():
    call = {"name": "lookup", "args": {"query": "x"}, "id": "c1", "type": "tool_call"}
    thought = "I should look this up in the wiki before answering the question. " * 5
    history = [HumanMessage("q"),
               AIMessage("", tool_calls=[call], additional_kwargs={"reasoning_content": thought}),
               ToolMessage("r", tool_call_id="c1")]
    plain = ChatOpenAICompatible(base_url=OFFLINE, model="m").get_num_tokens_from_messages(history)
    replaying = ChatOpenAICompatible(base_url=OFFLINE, model="m",
                                     profile_overrides={"reasoning_replay": "required"})
    assert replaying.get_num_tokens_from_messages(history) == plain + estimate_text_tokens(thought)
    v1 = [HumanMessage("q"),
          AIMessage([{"type": "reasoning", "reasoning": thought}, {"type": "text", "text": "hi"}])]
    assert plain < 100 and count_tokens(v1) == count_tokens([HumanMessage("q"), AIMessage("hi")])
