"""llama-server's /props read into ServerDefaults, and where it is looked for (sans-IO)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_compat import errors as E
from langchain_compat.core.server_props import props_requests, props_steps, read_props

#: The shape of the real server's answer (build 11434, trimmed), float32 noise included.
PROPS = {
    "default_generation_settings": {
        "params": {"temperature": 0.699999988079071, "top_k": 20, "top_p": 0.800000011920929,
                   "min_p": 0.05000000074505806, "repeat_penalty": 1.100000023841858,
                   "samplers": ["penalties", "dry", "top_k", "temperature"], "n_probs": 0},
        "n_ctx": 4096,
    },
    "total_slots": 2, "model_alias": "qwen2.5-coder-0.5b-instruct",
    "model_path": "/models/qwen.gguf", "build_info": "b11434-abc", "chat_template": "{{ x }}" * 500,
}


def test_props_become_a_typed_record_with_float32_noise_removed() -> None:
    found = read_props(PROPS)
    assert found is not None
    assert (found.n_ctx, found.total_slots, found.model_alias, found.build_info) == (
        4096, 2, "qwen2.5-coder-0.5b-instruct", "b11434-abc")
    assert found.model_path == "/models/qwen.gguf"
    assert found["temperature"] == 0.7 and found["top_p"] == 0.8 and found["min_p"] == 0.05
    assert found["top_k"] == 20 and found["n_ctx"] == 4096 and found.get("xtc_threshold") is None
    assert found.sampling["samplers"] == ["penalties", "dry", "top_k", "temperature"]
    assert "chat_template" not in found.props and found.props["total_slots"] == 2
    with pytest.raises(KeyError):
        found["nope"]


@pytest.mark.parametrize("body", [None, [], {"status": "ok"}, {"default_generation_settings": {}},
                                  {"default_generation_settings": {"params": []}}])
def test_answers_that_are_not_llama_servers_read_as_none(body: Any) -> None:
    assert read_props(body) is None


def test_where_props_are_looked_for() -> None:
    first, swap = props_requests("http://h:8080/v1/", "my model")
    assert (first.url, dict(first.params)) == ("http://h:8080/props", {"model": "my model"})
    assert swap.url == "http://h:8080/upstream/my%20model/props"  # llama-swap
    (only,) = props_requests("http://h:8080", None)
    assert only.url == "http://h:8080/props" and not only.params


def _run(answers: list[tuple[int, Any]]) -> tuple[Any, list[str]]:
    steps = props_steps("http://h/v1", "m", provider="p")
    asked = []
    request = next(steps)
    try:
        for status, body in answers:
            asked.append(request.url)
            request = steps.send((status, {}, json.dumps(body).encode(), body))
    except StopIteration as done:
        return done.value, asked
    raise AssertionError("more requests than answers")


def test_the_root_answer_wins() -> None:
    found, asked = _run([(200, PROPS)])
    assert found.n_ctx == 4096 and asked == ["http://h/props"]


def test_llama_swap_is_tried_after_a_404() -> None:
    found, asked = _run([(404, {"error": "no"}), (200, PROPS)])
    assert found.total_slots == 2 and asked == ["http://h/props", "http://h/upstream/m/props"]


def test_another_server_is_none() -> None:
    found, asked = _run([(404, {}), (200, {"object": "list"})])
    assert found is None and len(asked) == 2


@pytest.mark.parametrize(("status", "cls"), [(401, E.AuthenticationError), (503, E.ServerError)])
def test_an_answer_that_says_nothing_of_the_kind_is_raised(status: int, cls: type) -> None:
    with pytest.raises(cls):
        _run([(status, {"error": {"message": "x"}})])
