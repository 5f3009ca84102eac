"""Wire conformance: every provider class against its own emulated provider.

The emulator enforces each provider's auth scheme, paths and refusals from the
same provider/profile data; these tests assert on the recorded requests that
our classes send exactly what each provider accepts.
"""

from __future__ import annotations

import pytest
from langchain_core.tools import tool

from langchain_compat import ChatAvangenio, ChatCotomi, ChatEktos, ChatOpenAICompatible, ChatTelkom
from langchain_compat.errors import AuthenticationError
from langchain_compat.testing import emulate


@tool
def lookup(city: str) -> str:
    """Look a city up."""
    return city


# Hard-coded from each provider's documentation (docs/providers/*.md), not read from the
# class's own profile, so a wrong profile flag fails here instead of grading itself:
# class, provider, model, auth header expected, path suffix, native tools on the wire,
# stream_options.include_usage sent (only the generic server is documented to accept it;
# Ektos, Avangenio, cotomi and Telkom are silent, so it is never sent to them).
CASES = [
    (ChatEktos, "ektos", "phi-3.5-mini-4k-instruct", "authorization", "/v1/chat/completions", True,
     False),
    (ChatAvangenio, "avangenio", "radiance", "authorization", "/v1/chat/completions", True, False),
    (ChatCotomi, "cotomi", "cotomi-fast-v2.0", "authorization", "/v1/chat/completions", False,
     False),
    (ChatTelkom, "telkom", "telkom-ai-instruct", "x-api-key", "/Telkom-LLM/0.0.4/chat/completions",
     True, False),
    (ChatOpenAICompatible, "openai-compatible", "any-model", "authorization",
     "/v1/chat/completions", True, True),
]


@pytest.mark.parametrize(("cls", "provider", "model", "auth", "path", "native", "stream_usage"),
                         CASES, ids=[c[1] for c in CASES])
def test_class_speaks_its_providers_wire(cls, provider, model, auth, path, native,
                                         stream_usage) -> None:
    with emulate(provider, rate_limit=None) as emu:
        llm = cls(base_url=emu.base_url, api_key=emu.api_key, model=model, temperature=0.5,
                  max_tokens=20, max_retries=0)
        assert llm.invoke("ping").content == "Echo: ping"
        chunks = list(llm.stream("pong"))
        assert "".join(c.content for c in chunks) == "Echo: pong"
        emu.script(['<tool_call>{"name": "lookup", "arguments": {"city": "Oslo"}}</tool_call>'])
        msg = llm.bind_tools([lookup]).invoke("find Oslo")
        assert msg.tool_calls and msg.tool_calls[0]["args"] == {"city": "Oslo"}

        first, streamed, with_tools = emu.requests[0], emu.requests[1], emu.requests[2]
        for req in (first, streamed, with_tools):
            assert req.path == path
            if emu.api_key is None:  # a generic server without auth: we send none
                assert auth not in req.headers
                continue
            assert req.headers.get(auth) == ("Bearer ***" if auth == "authorization" else "***")
            if auth == "x-api-key":
                assert "authorization" not in req.headers  # Telkom: no Bearer header at all
        assert first.body["model"] == model and first.body["temperature"] == 0.5
        assert first.body["max_tokens"] == 20 and "stream" not in first.body
        assert streamed.body["stream"] is True
        # stream usage is requested only where the provider documents it
        assert ("stream_options" in streamed.body) is stream_usage
        if stream_usage:
            assert streamed.body["stream_options"] == {"include_usage": True}
        assert ("tools" in with_tools.body) is native
        if not native:  # emulated: the tools travel in the system prompt
            assert "lookup" in with_tools.body["messages"][0]["content"]


@pytest.mark.parametrize(("cls", "provider", "model"),
                         [(c[0], c[1], c[2]) for c in CASES if c[1] != "openai-compatible"],
                         ids=[c[1] for c in CASES if c[1] != "openai-compatible"])
def test_wrong_key_is_an_authentication_error(cls, provider, model) -> None:
    with emulate(provider, rate_limit=None) as emu:
        llm = cls(base_url=emu.base_url, api_key="wrong-key-123", model=model, max_retries=0)
        with pytest.raises(AuthenticationError) as info:
            llm.invoke("hi")
        assert info.value.status_code == 401
        assert "wrong-key-123" not in str(info.value)


def test_cotomi_logit_bias_is_dropped_with_a_warning_when_asked() -> None:
    with emulate("cotomi") as emu:
        llm = ChatCotomi(base_url=emu.base_url, api_key=emu.api_key, model="cotomi-fast-v2.0",
                         drop_unsupported_params=True, logit_bias={"42": 1.0})
        with pytest.warns(UserWarning, match="logit_bias"):
            assert llm.invoke("hi").content == "Echo: hi"
        assert "logit_bias" not in emu.requests[-1].body
