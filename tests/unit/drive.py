"""Drive a chat call sans-IO: answers go straight into the call's readers (no HTTP).

This is what the sync and async shells in ``chat_models/base.py`` do, minus the
transport: ``read_body`` gives what ``invoke`` returns for a whole answer body,
``read_sse`` what a ``stream`` of SSE bytes adds up to (cut into reads of
``size`` bytes), so the reply path can be tested as pure code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from langchain_compat import ChatOpenAICompatible
from langchain_compat.chat_models.call import END, Call
from langchain_compat.chat_models.call_options import CallOptions


def model(**profile: Any) -> ChatOpenAICompatible:
    """A model whose profile has ``profile`` changes (think_tags, think_prefilled...)."""
    return ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                                profile_overrides=profile or None)


def make_call(stream: bool, *, llm: ChatOpenAICompatible | None = None, messages: Any = None,
              **kwargs: Any) -> Call:
    llm = llm or model()
    settings = llm.call_settings
    options = CallOptions.read(settings, None, kwargs, stream=stream)
    return Call(settings, options, messages or [HumanMessage("hi")])


def run_whole(call: Call, bodies: Iterable[Any]) -> ChatResult:
    """Invoke: each whole body answers the next request."""
    chunks: list[ChatGenerationChunk] = []
    for body in bodies:
        send = call.next_action()
        assert send is not None, "the call sent fewer requests than there are answers"
        for delta in send.reader.parse(body):
            chunks += call.receive(delta)
        chunks += call.receive(END)
    assert call.next_action() is None, "the call wants another answer"
    return call.result(chunks)


def run_stream(call: Call, raws: Iterable[bytes],
               size: int | None = None) -> list[ChatGenerationChunk]:
    """Stream: each SSE body answers the next request, fed in reads of ``size`` bytes."""
    chunks: list[ChatGenerationChunk] = []
    for raw in raws:
        send = call.next_action()
        assert send is not None, "the call sent fewer requests than there are answers"
        reader = send.reader
        pieces = [raw] if size is None else [raw[i:i + size] for i in range(0, len(raw), size)]
        for piece in pieces:
            for delta in reader.feed(piece):
                chunks += call.receive(delta)
        for delta in reader.close():
            chunks += call.receive(delta)
        chunks += call.receive(END)
    assert call.next_action() is None, "the call wants another answer"
    return chunks


def read_body(body: Any, *, think_tags: bool = True, think_prefilled: bool = False,
              **kwargs: Any) -> ChatResult:
    """What ``invoke`` makes of one whole answer body."""
    llm = model(think_tags=think_tags, think_prefilled=think_prefilled)
    return run_whole(make_call(False, llm=llm, **kwargs), [body])


def message(body: Any, i: int = 0, **kw: Any) -> AIMessage:
    return read_body(body, **kw).generations[i].message  # type: ignore[return-value]


def read_sse(raw: bytes, *, size: int | None = None, think_tags: bool = True,
             think_prefilled: bool = False, **kwargs: Any) -> tuple[AIMessageChunk, list[Any]]:
    """What a ``stream`` of ``raw`` adds up to, and its chunks."""
    llm = model(think_tags=think_tags, think_prefilled=think_prefilled)
    chunks = run_stream(make_call(True, llm=llm, **kwargs), [raw], size)
    total = chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0]
    return total.message, chunks  # type: ignore[return-value]
