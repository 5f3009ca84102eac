"""The token estimate against a real tokenizer: the local llama-server's (Qwen2.5).

``/tokenize`` counts text and ``/apply-template`` renders whole chat requests
with the model's own template, so these tests check that the estimate stays an
upper bound on real text in many scripts and on real rendered requests.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import convert_to_openai_messages

from langchain_compat.memory import count_tokens, estimate_text_tokens, estimate_tools_tokens

pytestmark = pytest.mark.local_llm

CORPUS = {
    "english": "The quick brown fox jumps over the lazy dog. It was a bright cold day in April, "
               "and the clocks were striking thirteen.",
    "code": "def f(x: int) -> dict[str, list[int]]:\n"
            "    return {'a': [x, x**2, x**3]}  # comment\n",
    "json": json.dumps({"id": "call_8f3a9",
                        "args": {"city": "Jakarta", "n": 12345.678, "flags": [True, False, None]}}),
    "numbers": "3.14159 2.71828 1234567890 0x7fffffff 1e-9 42 1000000",
    "japanese": "東京は日本の首都であり、世界有数の大都市です。今日はいい天気ですね。",
    "chinese": "我们今天去公园散步，然后吃了一顿很好吃的晚饭。",
    "korean": "안녕하세요. 오늘 날씨가 정말 좋네요. 같이 산책하러 갈까요?",
    "russian": "Привет! Как дела? Сегодня отличная погода для прогулки по парку.",
    "greek": "Καλημέρα, τι κάνεις; Ο καιρός είναι υπέροχος σήμερα.",
    "arabic": "مرحبا، كيف حالك؟ الطقس جميل اليوم.",
    "hebrew": "שלום, מה שלומך? מזג האוויר יפה היום.",
    "thai": "สวัสดีครับ วันนี้อากาศดีมาก ไปเดินเล่นกันไหม",
    "hindi": "नमस्ते, आप कैसे हैं? आज मौसम बहुत अच्छा है।",
    "indonesian": "Selamat pagi, apa kabar? Cuaca hari ini sangat cerah.",
    "german": "Größenwahnsinnige Übermäßigkeit führt zu Schwierigkeiten.",
    "vietnamese": "Xin chào, hôm nay trời đẹp quá. Chúng ta đi dạo nhé?",
    "emoji": "😀🎉🚀👍🏽❤️‍🔥🇯🇵",
    "math": "∀x∈ℝ: ∑ᵢ xᵢ² ≥ 0 ⇒ ∫₀^∞ e^{-x²} dx = √π/2",
    "tibetan": "བཀྲ་ཤིས་བདེ་ལེགས། ཁྱེད་རང་སྐུ་གཟུགས་བདེ་པོ་ཡིན་པས།",
    "amharic": "ሰላም ነው? እንዴት ነህ? ዛሬ የአየር ሁኔታ ጥሩ ነው።",
    "rare_cjk": "𠀀𠀁𠀂𪚥𩸽",
    "whitespace": "a    b\t\t\tc\n\n\n\nd",
    "url": "https://example.com/path?query=value&other=123#fragment",
    "base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAA"
              "BJRU5ErkJggg==",
    "hex": "deadbeef0123456789abcdef a3f9c2e1b7d4",
    "uuid": "550e8400-e29b-41d4-a716-446655440000 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    "mixed": "Order #A-1029 for 東京 (¥12,800) — ETA 3 days 🚚",
}


@pytest.fixture(scope="module")
def tokenizer(local_llm):
    client = httpx.Client(base_url=local_llm.base_url.removesuffix("/v1"), timeout=120)

    def count_text(text: str) -> int:
        return len(client.post("/tokenize", json={"content": text}).json()["tokens"])

    def count_request(messages, tools=None) -> int:
        body = {"messages": convert_to_openai_messages(messages)}
        if tools:
            body["tools"] = tools
        prompt = client.post("/apply-template", json=body).json()["prompt"]
        tokens = client.post("/tokenize",
                             json={"content": prompt, "parse_special": True}).json()["tokens"]
        return len(tokens)

    yield count_text, count_request
    client.close()


@pytest.mark.parametrize("name", list(CORPUS))
def test_text_estimate_is_an_upper_bound(tokenizer, name: str) -> None:
    count_text, _ = tokenizer
    text = CORPUS[name]
    assert estimate_text_tokens(text) >= count_text(text)


@st.composite
def natural_text(draw) -> str:
    """Contiguous runs of words from the corpus samples, joined: natural text that mixes
    scripts, numbers and code. (Repeating one word is not natural text: a heuristic cannot
    know that Vietnamese "nay" is two tokens, so such strings are out of scope.)"""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        words = draw(st.sampled_from(list(CORPUS.values()))).split(" ")
        start = draw(st.integers(0, len(words) - 1))
        stop = draw(st.integers(start + 1, len(words)))
        parts.append(" ".join(words[start:stop]))
    return draw(st.sampled_from([" ", "\n", "\n\n", " — "])).join(parts)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(natural_text())
def test_natural_text_estimate_is_an_upper_bound(tokenizer, text: str) -> None:
    count_text, _ = tokenizer
    assert estimate_text_tokens(text) >= count_text(text)


def test_rendered_requests_are_upper_bounded(tokenizer) -> None:
    _, count_request = tokenizer
    conversation = [
        SystemMessage("You are a helpful assistant. 日本語でも答えます。"),
        HumanMessage("What's the weather in Jakarta and Tokyo?"),
        AIMessage("", tool_calls=[
            {"name": "get_weather", "args": {"city": "Jakarta"}, "id": "call_1"},
            {"name": "get_weather", "args": {"city": "東京"}, "id": "call_2"},
        ]),
        ToolMessage("storms, 31 °C", tool_call_id="call_1"),
        ToolMessage("rain, 19 °C", tool_call_id="call_2"),
        AIMessage("Jakarta: storms, 31 °C. Tokyo: rain, 19 °C."),
        HumanMessage("Thanks! " + CORPUS["russian"] + " " + CORPUS["code"]),
    ]
    for end in range(2, len(conversation) + 1):
        msgs = conversation[:end]
        if isinstance(msgs[-1], (ToolMessage, AIMessage)) and getattr(msgs[-1], "tool_calls", None):
            continue  # llama-server refuses to continue an assistant turn with tool calls
        assert count_tokens(msgs) >= count_request(msgs), end


def test_tools_estimate_is_an_upper_bound(tokenizer) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    def get_weather(city: str, unit: str = "celsius") -> str:
        """Get today's weather for a city, in the given unit."""
        return city

    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    _, count_request = tokenizer
    msgs = [SystemMessage("Be brief."), HumanMessage("Weather in Paris?")]
    tools = [convert_to_openai_tool(t) for t in (get_weather, add)]
    with_tools = count_request(msgs, tools)
    assert count_tokens(msgs) + estimate_tools_tokens([get_weather, add]) >= with_tools
