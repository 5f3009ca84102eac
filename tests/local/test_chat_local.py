"""ChatLocal: the public chat class of the embedded backend.

Its facts and request defaults are checked against the bundled emulator of
the ``local`` provider (a real HTTP server on loopback); what the real
llama-server does with them is checked in ``test_local_tools.py``.
"""

from __future__ import annotations

import json

import pytest

import langchain_compat
from langchain_compat import ChatLocal, get_provider
from langchain_compat.testing import emulate


def test_provider_facts() -> None:
    llm = ChatLocal()
    assert llm.base_url == "http://127.0.0.1:8089/v1"
    assert llm.model_name == "qwen2.5-coder-0.5b-instruct"
    assert llm.api_key is None
    profile = llm.compat_profile
    assert profile.native_tools is True and profile.small_model_guards
    assert profile.context_window == 4096
    assert profile.param_defaults == {"max_tokens": 512}
    assert llm.profile["max_input_tokens"] == 4096
    assert get_provider("local") is ChatLocal.provider
    assert "ChatLocal" in langchain_compat.__all__


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGCHAIN_COMPAT_LOCAL_BASE_URL", "http://127.0.0.1:9999/v1")
    assert ChatLocal().base_url == "http://127.0.0.1:9999/v1"


def test_max_tokens_defaults_to_512_and_the_callers_value_wins() -> None:
    with emulate("local") as emu:
        emu.script(["one", "two", "three"])
        ChatLocal(base_url=emu.base_url).invoke("hi")
        ChatLocal(base_url=emu.base_url, max_tokens=20).invoke("hi")
        ChatLocal(base_url=emu.base_url).invoke("hi", max_tokens=7)
        sent = [r.json["max_tokens"] for r in emu.requests if r.path.endswith("/chat/completions")]
    assert sent == [512, 20, 7]


def test_other_providers_send_no_default() -> None:
    from langchain_compat import ChatOpenAICompatible

    with emulate("openai-compatible") as emu:
        emu.script(["one"])
        ChatOpenAICompatible(base_url=emu.base_url, model="m").invoke("hi")
        body = [r.json for r in emu.requests if r.path.endswith("/chat/completions")][0]
    assert "max_tokens" not in body


def test_tools_are_native_and_a_server_parse_failure_is_resent_emulated() -> None:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return "sunny"

    from langchain_compat.testing.faults import server_error

    with emulate("local") as emu:
        # .only("chat"): not ChatLocal's GET /models
        emu.inject(server_error(500, "Failed to parse input at pos 0: does not match the "
                                     "expected peg-native format").only("chat"))
        emu.script(['<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}'
                    "</tool_call>"])
        llm = ChatLocal(base_url=emu.base_url).bind_tools([get_weather])
        reply = llm.invoke("Weather in Paris?")
        native, emulated = [r.json for r in emu.requests if r.path.endswith("/chat/completions")]
    assert "tools" in native
    assert "tools" not in emulated and "get_weather" in json.dumps(emulated["messages"])
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("get_weather", {"city": "Paris"})]
    # native calls that parse: checked against the real server in test_local_tools.py


def test_chat_model_with_a_base_url_does_not_start_a_server() -> None:
    from langchain_compat.local import chat_model

    llm = chat_model(base_url="http://127.0.0.1:9/v1", temperature=0)
    assert isinstance(llm, ChatLocal)
    assert llm.base_url == "http://127.0.0.1:9/v1" and llm.temperature == 0
