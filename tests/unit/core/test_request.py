"""Payload building: ranges, types, renames, drops, stop limits, stream_options."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest

from langchain_compat.core.request import build_chat_payload, check_params
from langchain_compat.errors import InvalidParameterError, UnsupportedParameterError
from langchain_compat.profiles import (
    UNDOCUMENTED,
    ParamRule,
    Profile,
    params_table,
)
from langchain_compat.providers import AVANGENIO, COTOMI, EKTOS, GENERIC, TELKOM

MSGS = [{"role": "user", "content": "hi"}]
ALL = [GENERIC, EKTOS, AVANGENIO, COTOMI, TELKOM]


def check(params: dict[str, Any], profile: Profile = GENERIC.profile, **kw: Any) -> dict[str, Any]:
    return check_params(params, profile, "prov", **kw)


# -- ranges -------------------------------------------------------------------

IN_RANGE = [
    ("temperature", 0), ("temperature", 0.0), ("temperature", 2), ("temperature", 1.3),
    ("top_p", 0.0), ("top_p", 1), ("presence_penalty", -2), ("presence_penalty", 2.0),
    ("frequency_penalty", -2.0), ("frequency_penalty", 0.5), ("max_tokens", 1),
    ("max_tokens", 100000),
    ("n", 1), ("n", 128), ("top_logprobs", 0), ("top_logprobs", 20),
]
OUT_OF_RANGE = [
    ("temperature", -0.01), ("temperature", 2.01), ("temperature", math.inf),
    ("temperature", math.nan),
    ("top_p", 1.5), ("top_p", -0.1), ("top_p", math.nan),
    ("presence_penalty", -2.5), ("presence_penalty", 3), ("frequency_penalty", 2.1),
    ("frequency_penalty", -math.inf), ("frequency_penalty", math.nan),
    ("max_tokens", 0), ("max_tokens", -5), ("n", 0), ("n", 129), ("top_logprobs", 21),
]


@pytest.mark.parametrize("provider", ALL, ids=lambda p: p.name)
@pytest.mark.parametrize(("name", "value"), IN_RANGE)
def test_in_range_values_pass(provider: Any, name: str, value: Any) -> None:
    assert check({name: value}, provider.profile) == {name: value}


@pytest.mark.parametrize("provider", ALL, ids=lambda p: p.name)
@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_out_of_range_values_raise(provider: Any, name: str, value: Any) -> None:
    if provider.profile.rule(name) is UNDOCUMENTED:
        # Docs silent (e.g. Telkom's top_logprobs): passed through, never guessed.
        assert check({name: value}, provider.profile) == {name: value}
        return
    with pytest.raises(InvalidParameterError) as info:
        check({name: value}, provider.profile)
    assert info.value.param == name
    assert not isinstance(info.value, UnsupportedParameterError)


def test_range_error_names_the_range() -> None:
    with pytest.raises(InvalidParameterError, match=r"outside the allowed range \[0, 2\]"):
        check({"temperature": 3})


# -- types --------------------------------------------------------------------

BAD_TYPES = [
    ("temperature", "0.5"), ("temperature", True), ("temperature", b"1"),
    ("top_p", [1]), ("max_tokens", 1.5), ("max_tokens", "10"), ("max_tokens", False),
    ("n", 2.0), ("seed", "1"), ("logprobs", 1), ("user", 5), ("logit_bias", [1, 2]),
    ("stop", 5), ("stop", {"a": 1}),
]


@pytest.mark.parametrize(("name", "value"), BAD_TYPES)
def test_wrong_types_raise(name: str, value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        check({name: value})
    assert info.value.param == name
    assert "expected" in str(info.value)


def test_none_values_are_skipped() -> None:
    assert check({"temperature": None, "stop": None, "n": None}) == {}


def test_undocumented_params_pass_through_unchecked() -> None:
    assert check({"repetition_penalty": 99, "top_k": -1}) == {"repetition_penalty": 99, "top_k": -1}


# -- stop -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [("END", ["END"]), (["a", "b"], ["a", "b"]), (("x",), ["x"])],
)
def test_stop_is_normalised_to_a_list(value: Any, expected: list[str]) -> None:
    assert check({"stop": value}) == {"stop": expected}


def test_empty_stop_is_not_sent() -> None:
    assert check({"stop": []}) == {}


@pytest.mark.parametrize("value", [["a", ""], ["a", 3], [""]])
def test_stop_items_must_be_non_empty_strings(value: list[Any]) -> None:
    with pytest.raises(InvalidParameterError, match="non-empty string"):
        check({"stop": value})


def test_cotomi_accepts_four_stop_sequences_and_rejects_five() -> None:
    assert check({"stop": ["a", "b", "c", "d"]}, COTOMI.profile) == {"stop": ["a", "b", "c", "d"]}
    with pytest.raises(InvalidParameterError, match="at most 4 stop sequences, got 5"):
        check({"stop": list("abcde")}, COTOMI.profile)


def test_stop_max_items_comes_from_the_profile_table() -> None:
    profile = Profile(params=params_table(stop=ParamRule(max_items=1)))
    with pytest.raises(InvalidParameterError):
        check({"stop": ["a", "b"]}, profile)
    assert check({"stop": list("abcdefgh")}, GENERIC.profile)["stop"] == list("abcdefgh")


# -- unsupported, drops, renames ---------------------------------------------------

@pytest.mark.parametrize("name", ["logit_bias", "tools", "tool_choice", "parallel_tool_calls",
                                  "functions", "function_call"])
def test_cotomi_refuses_its_unsupported_params(name: str) -> None:
    value: Any = {"1": 1.0} if name == "logit_bias" else [{"type": "function"}]
    with pytest.raises(UnsupportedParameterError) as info:
        check({name: value}, COTOMI.profile)
    assert info.value.param == name
    assert info.value.provider == "prov"
    assert "does not support" in str(info.value)


def test_unsupported_param_error_carries_the_hint() -> None:
    with pytest.raises(UnsupportedParameterError, match="drop_unsupported_params=True"):
        check({"logit_bias": {"50256": -100}}, COTOMI.profile)


def test_drop_unsupported_warns_and_drops() -> None:
    with pytest.warns(UserWarning, match="'logit_bias'.*dropped"):
        out = check({"logit_bias": {"1": 1}, "temperature": 0.2}, COTOMI.profile,
                    drop_unsupported=True)
    assert out == {"temperature": 0.2}


def test_drop_unsupported_still_raises_for_bad_values() -> None:
    with pytest.raises(InvalidParameterError):
        check({"temperature": 5}, COTOMI.profile, drop_unsupported=True)


@pytest.mark.parametrize("provider", [GENERIC, EKTOS, AVANGENIO, TELKOM], ids=lambda p: p.name)
def test_logit_bias_allowed_elsewhere(provider: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check({"logit_bias": {"1": 2}}, provider.profile) == {"logit_bias": {"1": 2}}


# -- build_chat_payload ---------------------------------------------------------------

def build(profile: Profile = GENERIC.profile, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"model": "m", "messages": MSGS, "params": {}, "profile": profile,
                            "provider": "p"}
    args.update(kw)
    return build_chat_payload(**args)


def test_minimal_payload() -> None:
    assert build() == {"messages": MSGS, "model": "m"}


def test_model_omitted_when_none() -> None:
    assert "model" not in build(model=None)


def test_params_are_checked_and_included() -> None:
    body = build(params={"temperature": 0.5, "stop": "x", "n": None})
    assert body == {"messages": MSGS, "model": "m", "temperature": 0.5, "stop": ["x"]}
    with pytest.raises(InvalidParameterError):
        build(params={"temperature": -1})


@pytest.mark.parametrize(
    ("provider", "allowed"),
    [(GENERIC, True), (EKTOS, False), (AVANGENIO, False), (COTOMI, False), (TELKOM, False)],
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_stream_options_only_where_the_profile_allows(provider: Any, allowed: bool) -> None:
    body = build(provider.profile, stream=True, stream_usage=True)
    assert body["stream"] is True
    assert ("stream_options" in body) is allowed
    if allowed:
        assert body["stream_options"] == {"include_usage": True}


def test_stream_options_not_sent_when_user_disables_usage() -> None:
    body = build(GENERIC.profile, stream=True, stream_usage=False)
    assert "stream_options" not in body


def test_no_stream_key_and_no_stream_options_without_streaming() -> None:
    body = build(GENERIC.profile, stream=False, stream_usage=True)
    assert "stream" not in body and "stream_options" not in body


def test_extra_body_is_merged_last_and_unchecked() -> None:
    body = build(COTOMI.profile, params={"temperature": 1},
                 extra_body={"temperature": 9, "logit_bias": {}})
    assert body["temperature"] == 9
    assert body["logit_bias"] == {}


def test_drop_unsupported_in_payload() -> None:
    with pytest.warns(UserWarning):
        body = build(COTOMI.profile, params={"logit_bias": {"1": 1}}, drop_unsupported=True)
    assert "logit_bias" not in body
