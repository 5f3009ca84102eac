"""The offline token estimate: table-driven, and always an upper bound."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage, trim_messages

from langchain_compat.memory.estimate import (
    IMAGE_TOKENS,
    PER_MESSAGE_TOKENS,
    REPLY_PRIMING_TOKENS,
    count_message_tokens,
    count_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
)


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        ("", 0),
        ("hello", 2),  # 5 chars / 3.5 -> 2
        ("a b c d e f g h i j", 13),  # 10 words * 1.3
        ("The quick brown fox jumps over the lazy dog.", 13),
        ("def f(x):\n    return {'a': [1, 2, 3]}", 11),
        ("こんにちは世界", 7),  # CJK: one per character
        ("東京は日本の首都です。", 11),
        ("안녕하세요", 5),
        ("Привет, как дела?", 8),
        ("😀😀😀", 6),
    ],
)
def test_text_estimates(text: str, at_least: int) -> None:
    assert estimate_text_tokens(text) >= at_least


@pytest.mark.parametrize(
    ("text", "real_qwen_tokens"),
    # Counts measured with Qwen2.5's tokenizer (llama-server /tokenize);
    # tests/memory/test_memory_local.py checks a larger corpus live.
    [
        ("The quick brown fox jumps over the lazy dog.", 10),
        ("こんにちは世界", 2),
        ("import json\nprint(json.dumps({'a': 1}))", 12),
    ],
)
def test_over_estimates_real_tokenizers(text: str, real_qwen_tokens: int) -> None:
    assert estimate_text_tokens(text) >= real_qwen_tokens


def test_message_overhead_and_priming() -> None:
    msg = HumanMessage("")
    assert count_message_tokens(msg) == PER_MESSAGE_TOKENS
    assert count_tokens([msg]) == PER_MESSAGE_TOKENS + REPLY_PRIMING_TOKENS
    assert count_tokens([]) == 0


def test_tool_calls_are_counted() -> None:
    plain = AIMessage("")
    with_call = AIMessage(
        "", tool_calls=[{"name": "get_weather", "args": {"city": "Tokyo" * 20}, "id": "call_1"}]
    )
    assert count_message_tokens(with_call) > count_message_tokens(plain) + 30


def test_tool_message_counts_content_and_id() -> None:
    assert count_message_tokens(ToolMessage("42", tool_call_id="call_abc")) > count_message_tokens(
        HumanMessage("42")
    )


def test_image_parts_have_a_fixed_cost() -> None:
    msg = HumanMessage(
        content=[
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 100000}},
        ]
    )
    assert IMAGE_TOKENS <= count_message_tokens(msg) < IMAGE_TOKENS + 20


def test_accepts_message_likes() -> None:
    assert count_tokens([("human", "hi"), {"role": "assistant", "content": "hello"}]) > 0


def test_usable_as_langchain_token_counter() -> None:
    msgs = [HumanMessage("x " * 100, id=str(i)) for i in range(10)]
    out = trim_messages(msgs, max_tokens=300, token_counter=count_tokens, strategy="last")
    assert 0 < len(out) < 10
    assert count_tokens(out) <= 300


def test_tools_estimate() -> None:
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return city

    assert estimate_tools_tokens(None) == 0
    assert estimate_tools_tokens([get_weather]) > 150
