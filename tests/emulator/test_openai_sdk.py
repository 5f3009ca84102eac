"""The official OpenAI SDK reads the emulator's wire format as it reads OpenAI's."""

from __future__ import annotations

import json

import pytest

openai = pytest.importorskip("openai")


def _client(emu, **kw):
    return openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key or "none", max_retries=0, **kw)


def test_completion_and_stream_with_tool_calls(emulator):
    emu = emulator("ektos")
    client = _client(emu)
    emu.script([{"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}] * 2)
    kwargs = {"model": "phi-3.5-mini-4k-instruct", "messages": [{"role": "user", "content": "1+2"}]}
    msg = client.chat.completions.create(**kwargs).choices[0].message
    assert msg.tool_calls[0].function.name == "add"
    assert json.loads(msg.tool_calls[0].function.arguments) == {"a": 1, "b": 2}
    with client.chat.completions.stream(**kwargs, stream_options={"include_usage": True}) as s:
        final = s.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "add" and json.loads(call.function.arguments) == {"a": 1, "b": 2}
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage.completion_tokens > 0


def test_sdk_errors_map(emulator):
    emu = emulator("cotomi")
    client = _client(emu)
    kwargs = {"model": "cotomi-fast-v2.0", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(**kwargs, logit_bias={"1": 1})
    assert "logit_bias" in info.value.message
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=emu.base_url, api_key="bad", max_retries=0).chat.completions.create(
            **kwargs
        )
    emb = client.embeddings.create(model="multilingual-e5-large", input=["a", "b"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 1024  # SDK asks for base64


def test_telkom_as_its_docs_show(emulator):
    # Telkom's docs: the OpenAI client with a dummy key plus default_headers={"x-api-key": KEY}.
    emu = emulator("telkom", rate_limit=None)
    client = openai.OpenAI(
        base_url=emu.base_url,
        api_key="blaablaa",
        default_headers={"x-api-key": emu.api_key},
        max_retries=0,
    )
    stream = client.chat.completions.create(
        model="telkom-ai-instruct", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Echo: hi"
