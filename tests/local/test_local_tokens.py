"""``get_num_tokens*`` against the real llama-server's ``/tokenize`` (the local profile names
it)."""

from __future__ import annotations

import os

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.messages.utils import convert_to_openai_messages

from langchain_compat import DEFAULT_BACKEND_MEMORY, ChatLocal
from langchain_compat.chat_models.token_counts import clear_cache

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(
        os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1", reason="LANGCHAIN_COMPAT_NO_LOCAL=1"
    ),
]

TEXT = "Order #A-1029 for 東京 (¥12,800) — ETA 3 days. def f(x): return x ** 2"


def test_counts_come_from_the_servers_tokenizer(local_llm):
    clear_cache()  # the counts; a failed tokenizer is remembered in the backend memory
    DEFAULT_BACKEND_MEMORY.reset()
    root = local_llm.base_url.removesuffix("/v1")
    real = httpx.post(root + "/tokenize", json={"content": TEXT}, timeout=60).json()["tokens"]
    llm = ChatLocal(base_url=local_llm.base_url)
    assert llm.compat_profile.tokenize_endpoint == "/tokenize"
    assert llm.get_num_tokens(TEXT) == len(real)
    assert llm.get_token_ids(TEXT) == real

    messages = [SystemMessage("You are terse."), HumanMessage(TEXT), AIMessage("Noted."),
                HumanMessage("And the total?")]
    body = {"messages": convert_to_openai_messages(messages)}
    prompt = httpx.post(root + "/apply-template", json=body, timeout=60).json()["prompt"]
    whole = httpx.post(root + "/tokenize", json={"content": prompt, "parse_special": True},
                       timeout=60).json()["tokens"]
    counted = llm.get_num_tokens_from_messages(messages)
    # template overhead is an upper bound
    assert len(whole) <= counted <= len(whole) + 6 * len(messages)
    trimmed = trim_messages(messages, max_tokens=counted - 1, token_counter=llm, strategy="last",
                            include_system=True)
    assert trimmed[0].type == "system" and len(trimmed) < len(messages)
