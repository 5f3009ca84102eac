"""A bare ``</think>`` (templates that pre-fill ``<think>``), by the ``think_prefilled`` flag.

Off (default): a stream passes the tag through as text. On: everything up
to the tag is reasoning, in invoke and stream alike (split at any read
boundary), and a server that sends ``reasoning_content`` itself is trusted.
"""

from __future__ import annotations

import pytest

from ..drive import message
from .test_stream import ev, run, sse

PREFILLED = "The user greets me.\nI answer briefly.</think>\n\nHello!"


def _body(content: str, **message) -> dict:
    return {"id": "c", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": content, **message},
         "finish_reason": "stop"}]}


def _stream(text: str, size: int | None = None, **delta):
    pieces = [text[i:i + 5] for i in range(0, len(text), 5)]
    raw = sse(ev({"role": "assistant", "content": "", **delta}),
              *(ev({"content": p}) for p in pieces), ev({}, "stop"))
    return raw


@pytest.mark.parametrize("size", [None, 1, 7])
def test_stream_reads_up_to_a_bare_close_as_reasoning(size):
    _, msg, _ = run(_stream(PREFILLED), size=size, think_prefilled=True)
    assert msg.content == "Hello!"
    assert (msg.additional_kwargs["reasoning_content"].strip()
            == "The user greets me.\nI answer briefly.")
    assert msg.content_blocks[0]["type"] == "reasoning"


def test_stream_without_the_flag_keeps_the_tag_as_text():
    _, msg, _ = run(_stream(PREFILLED))
    assert "</think>" in msg.content and "reasoning_content" not in msg.additional_kwargs


def test_invoke_and_stream_agree_when_prefilled():
    whole = message(_body(PREFILLED), think_prefilled=True)
    _, streamed, _ = run(_stream(PREFILLED), think_prefilled=True)
    assert whole.content == streamed.content == "Hello!"
    assert whole.additional_kwargs["reasoning_content"] == \
        streamed.additional_kwargs["reasoning_content"]


def test_never_closed_is_all_reasoning_and_an_explicit_open_tag_still_works():
    whole = message(_body("still thinking"), think_prefilled=True)
    assert (whole.additional_kwargs["reasoning_content"], whole.content) == ("still thinking", "")
    whole = message(_body("<think>plan</think>answer"), think_prefilled=True)
    assert (whole.additional_kwargs["reasoning_content"], whole.content) == ("plan", "answer")
    _, msg, _ = run(_stream("<think>plan</think>answer"), think_prefilled=True)
    assert (msg.additional_kwargs["reasoning_content"], msg.content) == ("plan", "answer")


def test_a_server_that_splits_reasoning_itself_is_trusted():
    body = _body("Hello!", reasoning_content="thought")
    msg = message(body, think_prefilled=True)
    assert (msg.content, msg.additional_kwargs["reasoning_content"]) == ("Hello!", "thought")
    _, streamed, _ = run(_stream("Hello!", reasoning_content="thought"), think_prefilled=True)
    assert (streamed.content, streamed.additional_kwargs["reasoning_content"]) == (
        "Hello!", "thought")
