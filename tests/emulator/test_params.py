"""Parameter rules from the profile's ParamRule table."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import chat_body, post_chat

TOOLS = [
    {
        "type": "function",
        "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
    }
]


def _error(r):
    assert r.status_code == 400, r.text
    return r.json()["error"]


@pytest.mark.parametrize(
    ("param", "value", "needle"),
    [
        (
            "tools",
            TOOLS,
            (
                '"auto" tool choice requires --enable-auto-tool-choice and '
                "--tool-call-parser to be set"
            ),
        ),
        ("tool_choice", "auto", "--enable-auto-tool-choice"),
        ("functions", [{"name": "add", "parameters": {}}], "function"),
        ("function_call", "auto", "function_call is not supported"),
        ("logit_bias", {"50256": -100}, "logit_bias is not currently supported"),
    ],
)
def test_cotomi_refuses_what_its_profile_refuses(cotomi, param, value, needle):
    err = _error(post_chat(cotomi, **{param: value}))
    assert needle in err["message"]
    assert err["param"] == param
    assert err["type"] == "invalid_request_error"


def test_null_means_not_set(cotomi):
    # cotomi's own request sample sends "logit_bias": null
    assert post_chat(cotomi, logit_bias=None, stop=None, max_tokens=None).status_code == 200


@pytest.mark.parametrize("name", ["ektos", "avangenio", "telkom", "openai-compatible"])
def test_unknown_tool_support_accepts_tools(emulator, name):
    emu = emulator(name, rate_limit=None)
    assert post_chat(emu, tools=TOOLS, tool_choice="auto").status_code == 200


def test_stop_max_items(cotomi):
    assert post_chat(cotomi, stop=["a", "b", "c", "d"]).status_code == 200
    err = _error(post_chat(cotomi, stop=["a", "b", "c", "d", "e"]))
    assert err["param"] == "stop" and "4" in err["message"]
    assert post_chat(cotomi, stop="one").status_code == 200
    assert _error(post_chat(cotomi, stop=[1, 2]))["param"] == "stop"


@pytest.mark.parametrize(
    ("param", "bad", "good"),
    [
        ("temperature", 2.5, 2.0),
        ("temperature", -0.1, 0.0),
        ("top_p", 1.5, 1.0),
        ("presence_penalty", -3, -2),
        ("frequency_penalty", 2.1, 2),
        ("n", 0, 1),
        ("max_tokens", 0, 1),
    ],
)
@pytest.mark.parametrize("name", ["cotomi", "avangenio"])
def test_out_of_range_values(emulator, name, param, bad, good):
    emu = emulator(name)
    err = _error(post_chat(emu, **{param: bad}))
    assert err["param"] == param and param in err["message"]
    assert post_chat(emu, **{param: good}).status_code == 200


def test_wrong_type_for_a_ranged_param(cotomi):
    assert _error(post_chat(cotomi, temperature="hot"))["param"] == "temperature"


def test_messages_may_be_a_json_string(cotomi):
    messages = json.dumps(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello!"}]
    )
    r = httpx.post(
        cotomi.chat_url,
        headers=cotomi.headers,
        json={"model": "cotomi-fast-v2.0", "messages": messages},
    )
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "Echo: Hello!"


@pytest.mark.parametrize(
    "body",
    [
        {"model": "cotomi-fast-v2.0"},
        {"model": "cotomi-fast-v2.0", "messages": []},
        {"model": "cotomi-fast-v2.0", "messages": "not json"},
        {"model": "cotomi-fast-v2.0", "messages": [{"content": "no role"}]},
        {"messages": [{"role": "user", "content": "no model"}]},
    ],
)
def test_malformed_chat_bodies(cotomi, body):
    r = httpx.post(cotomi.chat_url, headers=cotomi.headers, json=body)
    assert r.status_code == 400 and "error" in r.json()


def test_body_that_is_not_json(cotomi):
    r = httpx.post(
        cotomi.chat_url,
        headers={**cotomi.headers, "content-type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    assert cotomi.last_request.raw_body_error


def test_undocumented_params_pass_through(emulator):
    emu = emulator("telkom", rate_limit=None)
    assert (
        post_chat(emu, seed=1, logit_bias={"1": 1}, user="u", some_vendor_field=True).status_code
        == 200
    )


def test_profile_of_the_requested_model_is_used(emulator):
    # A provider built from data alone: one model refuses temperature, the other does not.
    from dataclasses import replace

    from langchain_compat.profiles import ParamRule, params_table
    from langchain_compat.providers import EKTOS

    strict = params_table(temperature=ParamRule(supported=False))
    provider = replace(EKTOS, models=("a", "b"), model_profiles={"b": {"params": strict}})
    emu = emulator(provider)
    ok = httpx.post(emu.chat_url, headers=emu.headers, json=chat_body(model="a", temperature=1))
    refused = httpx.post(
        emu.chat_url, headers=emu.headers, json=chat_body(model="b", temperature=1)
    )
    assert ok.status_code == 200
    assert refused.status_code == 400 and "temperature" in refused.json()["error"]["message"]


def test_stream_options_need_stream(cotomi):
    err = _error(post_chat(cotomi, stream_options={"include_usage": True}))
    assert err["param"] == "stream_options"


def test_max_completion_tokens_is_honoured(cotomi):
    choice = post_chat(cotomi, "a b c d", max_completion_tokens=2).json()["choices"][0]
    assert (choice["message"]["content"], choice["finish_reason"]) == ("Echo: a", "length")
