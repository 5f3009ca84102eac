"""Usage sent on every stream chunk is counted once (item 9 of issue #23).

vLLM's ``stream_options.continuous_usage_stats`` puts the running usage on every
chunk; LangChain adds chunks' usage when it adds the chunks, so a stream of
four chunks counted 40 input / 10 output tokens for a 10 / 4 answer, and the
Router's cost was three times too high. Through the public API only (stream,
astream, invoke with ``streaming=True``, the Router's cost), so the test keeps
guarding whatever decodes the stream.
"""

from __future__ import annotations

import operator
from functools import reduce

import pytest

from langchain_compat import ChatOpenAICompatible, Deployment, Router

from .rawhttp import RawServer, response, sse

pytestmark = pytest.mark.timeout(30)
EXPECTED = {"input_tokens": 10, "output_tokens": 4, "total_tokens": 14}


def _event(delta: dict, completion: int, finish: str | None = None) -> dict:
    return {"id": "s", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": completion,
                      "total_tokens": 10 + completion}}


BODY = sse(_event({"role": "assistant", "content": "a"}, 1), _event({"content": "b"}, 2),
           _event({"content": "c"}, 3), _event({}, 4, "stop"))


def vllm() -> RawServer:
    def handler(conn, n, head, body) -> bool:
        conn.sendall(response(200, BODY, {"Content-Type": "text/event-stream"}))
        return True

    return RawServer(handler)


def _model(srv: RawServer, **kw) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.base_url, model="m", api_key="k", **kw)


def test_stream_counts_continuous_usage_once() -> None:
    with vllm() as srv:
        message = reduce(operator.add, _model(srv).stream("q"))
        assert message.content == "abc"
        assert message.usage_metadata == EXPECTED
        assert _model(srv, streaming=True).invoke("q").usage_metadata == EXPECTED


async def test_astream_counts_continuous_usage_once() -> None:
    with vllm() as srv:
        chunks = [chunk async for chunk in _model(srv).astream("q")]
        assert reduce(operator.add, chunks).usage_metadata == EXPECTED
        assert sum(1 for c in chunks if c.usage_metadata) == 1


def test_the_router_costs_a_continuous_usage_stream_once() -> None:
    with vllm() as srv:
        llm = Router(deployments=[Deployment(model=_model(srv), name="vllm",
                                             input_cost_per_token=1.0,
                                             output_cost_per_token=2.0)])
        message = reduce(operator.add, llm.stream("q"))
        assert message.usage_metadata == EXPECTED
        assert message.response_metadata["router"]["cost"] == 10 * 1.0 + 4 * 2.0
        assert llm.total_cost == 18.0
        assert llm.usage()["vllm"]["input_tokens"] == 10
