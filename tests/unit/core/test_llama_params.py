"""llama-server's own request fields: every one's type and range, and where they are checked."""

from __future__ import annotations

import math
from typing import Any

import pytest

from langchain_compat.core.llama_params import LLAMA_FIELDS, check_llama_value
from langchain_compat.core.request import check_params
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import ServerKind
from langchain_compat.providers import EKTOS, GENERIC, LOCAL

#: One value the server takes and values it must not get, for every field.
CASES: dict[str, tuple[Any, list[Any]]] = {
    "top_k": (40, [-1, 1.5, "40", True]),
    "min_p": (0.05, [-0.1, 1.5, math.nan, "0.1", False]),
    "typical_p": (1, [2, -1, math.inf]),
    "top_n_sigma": (-1.0, ["x", math.nan]),
    "dynatemp_range": (0.5, [-0.5]),
    "dynatemp_exponent": (1.0, [-1]),
    "min_keep": (0, [-1, 0.5]),
    "samplers": (["top_k", "min_p", "temperature"], [[], "", ["topk"], "kzq", [1], {"top_k": 1}]),
    "mirostat": (2, [3, -1, 1.0, True, "2"]),
    "mirostat_tau": (5.0, [-1]),
    "mirostat_eta": (0.1, [-0.1]),
    "repeat_penalty": (1.1, [-1, "1.1"]),
    "repeat_last_n": (-1, [-2, 64.0]),
    "dry_multiplier": (0.8, [-0.1]),
    "dry_base": (1.75, [0.5]),
    "dry_allowed_length": (2, [-1]),
    "dry_penalty_last_n": (-1, [-5]),
    "dry_sequence_breakers": (["\n", ":"], [[], [""], "\n", [1]]),
    "xtc_probability": (0.5, [1.1, -0.1]),
    "xtc_threshold": (0.1, [1.5]),
    "grammar": ('root ::= "yes" | "no"', ["", "   ", 1]),
    "json_schema": ({"type": "object"}, ["{}", [], {1: "x"}]),
    "n_probs": (3, [-1, 2.0]),
    "post_sampling_probs": (True, [1, "yes"]),
    "chat_template_kwargs": ({"enable_thinking": False}, ["x", {1: True}]),
    "reasoning_format": ("deepseek", ["think", 1]),
    "reasoning_budget_tokens": (-1, [-2, 1.5]),
    "cache_prompt": (False, [0, "false"]),
    "id_slot": (0, [-2, "0"]),
    "n_keep": (-1, [-3]),
    "lora": ([{"id": 0, "scale": 0.5}], [{"id": 0}, [{"id": -1, "scale": 1}], [{"id": 0}],
                                          [{"id": 0, "scale": "1"}],
                                          [{"id": 0, "scale": 1, "x": 2}]]),
    "ignore_eos": (True, [1]),
    "t_max_predict_ms": (500, [-1, 0.5]),
}


def test_every_field_has_cases() -> None:
    assert set(CASES) == set(LLAMA_FIELDS)


@pytest.mark.parametrize("name", sorted(LLAMA_FIELDS))
def test_each_field_takes_a_good_value_and_refuses_bad_ones(name: str) -> None:
    good, bad = CASES[name]
    assert check_llama_value(name, good) == good
    for value in bad:
        with pytest.raises(InvalidParameterError) as info:
            check_llama_value(name, value)
        assert info.value.param == name


def test_values_are_copied_so_a_later_change_is_not_sent() -> None:
    breakers = ["\n"]
    sent = check_llama_value("dry_sequence_breakers", breakers)
    breakers.append("x")
    assert sent == ["\n"]
    adapters = [{"id": 0, "scale": 1.0}]
    sent_lora = check_llama_value("lora", adapters)
    adapters[0]["scale"] = 0.0
    assert sent_lora == [{"id": 0, "scale": 1.0}]


def test_sampler_letters_and_aliases() -> None:
    assert check_llama_value("samplers", "edskypmxt") == "edskypmxt"
    aliases = ["typical", "nucleus", "temp"]
    assert check_llama_value("samplers", aliases) == aliases
    with pytest.raises(InvalidParameterError, match="drops a sampler it does not know"):
        check_llama_value("samplers", ["top_k", "top-q"])


def test_a_llama_profile_checks_the_fields_however_given() -> None:
    assert LOCAL.profile.server_kind is ServerKind.LLAMA_CPP
    good = {"top_k": 1, "min_p": 0.5}
    assert check_params(good, LOCAL.profile, "local") == good
    with pytest.raises(InvalidParameterError, match="min_p"):
        check_params({"min_p": 3}, LOCAL.profile, "local")  # e.g. from model_kwargs or a call


@pytest.mark.parametrize("profile", [GENERIC.profile, EKTOS.profile], ids=["unknown", "other"])
def test_other_profiles_pass_them_through_unchecked(profile: Any) -> None:
    # model_kwargs is the way to send a server field to a server that is not llama-server
    assert check_params({"top_k": -1, "min_p": 3}, profile, "p") == {"top_k": -1, "min_p": 3}


def test_server_kind_accepts_strings_and_refuses_unknown_ones() -> None:
    assert GENERIC.profile.replace(server_kind="llama.cpp").server_kind is ServerKind.LLAMA_CPP
    assert GENERIC.profile.server_kind is None and EKTOS.profile.server_kind is ServerKind.OTHER
    with pytest.raises(InvalidParameterError, match="server_kind"):
        GENERIC.profile.replace(server_kind="vllm")
