"""A stream whose reply breaks tool_choice is re-asked inside the same ``stream()``:
the unusable call is never surfaced, and text the user was already shown is not
shown twice when the second attempt starts with the same words."""

from __future__ import annotations

import json

import httpx

from langchain_compat import ChatOpenAICompatible

TOOL = {"type": "function", "function": {"name": "add", "description": "Add.", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"]}}}


def _sse(texts: list[str]) -> bytes:
    chunks = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": t}}]}
              for t in texts]
    chunks.append({"id": "c", "model": "m",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


def test_stream_reask_is_invisible_and_does_not_repeat_shown_text() -> None:
    replies = [
        _sse(["Let me ", "add. ",
              '<tool_call>{"name": "add", "arguments": {"a": "x"}}</tool_call>']),
        _sse(["Let me ", "add. ",
              '<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>']),
    ]
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, stream=httpx.ByteStream(replies[len(bodies) - 1]),
                              headers={"content-type": "text/event-stream"})

    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    # "auto": the text streams as it comes (a forcing choice holds it, tested below)
    chunks = list(llm.bind_tools([TOOL], tool_choice="auto").stream("2+3?"))
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert len(bodies) == 2  # one re-ask
    assert "could not be used" in bodies[1]["messages"][-1]["content"]
    assert full.content == "Let me add."  # shown once, not twice
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert not full.invalid_tool_calls


def _replying(replies: list[bytes], bodies: list[dict]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, stream=httpx.ByteStream(replies[len(bodies) - 1]),
                              headers={"content-type": "text/event-stream"})
    return httpx.MockTransport(handler)


_PROSE_THEN_CALL = [
    _sse(["Why did ", "the cat ", "sleep? ", "Because."]),
    _sse(['<tool_call>{"name": "add", ', '"arguments": {"a": 2, "b": 3}}</tool_call>']),
]


def test_forced_choice_stream_re_asks_a_reply_without_a_call_unseen() -> None:
    """Structured output streams with a forced tool: prose instead of the call is re-asked
    and never shown (it used to end the stream with no call and no parsed object)."""
    bodies: list[dict] = []
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               http_client=httpx.Client(
                                   transport=_replying(_PROSE_THEN_CALL, bodies)))
    chunks = list(llm.bind_tools([TOOL], tool_choice="required").stream("2+3?"))
    assert len(bodies) == 2 and "you must call" in bodies[1]["messages"][-1]["content"]
    assert all("cat" not in str(c.content) for c in chunks)
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert full.content == ""
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [("add", {"a": 2, "b": 3})]


def test_forced_choice_astream_and_structured_output_get_the_object() -> None:
    import asyncio

    from pydantic import BaseModel

    class Add(BaseModel):
        """Add."""

        a: int
        b: int

    prose_then_call = [_PROSE_THEN_CALL[0],
                       _sse(['<tool_call>{"name": "Add", "arguments": {"a": 2, "b": 3}}'
                             "</tool_call>"])]
    bodies: list[dict] = []
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               http_async_client=httpx.AsyncClient(
                                   transport=_replying(prose_then_call, bodies)))

    async def run() -> list:
        return [c async for c in llm.with_structured_output(Add).astream("2+3?")]

    assert asyncio.run(run()) == [Add(a=2, b=3)]
    assert len(bodies) == 2


def test_forced_choice_text_before_the_call_is_kept_like_invoke() -> None:
    reply = [_sse(["Sure. ",
                   '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 1}}</tool_call>'])]
    bodies: list[dict] = []
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               http_client=httpx.Client(transport=_replying(reply, bodies)))
    chunks = list(llm.bind_tools([TOOL], tool_choice="add").stream("1+1?"))
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert len(bodies) == 1
    assert full.content.strip() == "Sure."
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [("add", {"a": 1, "b": 1})]


def test_prompted_json_stream_is_validated_re_asked_and_released_clean() -> None:
    """Structured output without native JSON support: the stream holds the reply, checks it
    against the schema, re-asks once with the error, and yields the clean JSON invoke gives."""
    import asyncio

    from pydantic import BaseModel

    from langchain_compat import ChatCotomi

    class Pair(BaseModel):
        a: int
        b: int

    replies = [_sse(["Here you go: ", '{"a": 1}']),
               _sse(["Sure!\n```json\n", '{"a": 1, ', '"b": 2}\n```'])]
    for mode in ("sync", "async"):
        bodies: list[dict] = []
        transport = _replying(replies, bodies)
        kw = ({"http_client": httpx.Client(transport=transport)} if mode == "sync"
              else {"http_async_client": httpx.AsyncClient(transport=transport)})
        llm = ChatCotomi(base_url="http://127.0.0.1:9/v1", api_key="k", **kw)
        chain = llm.with_structured_output(Pair, method="json_schema")
        if mode == "sync":
            out = list(chain.stream("pair?"))
        else:
            async def run(chain=chain) -> list:
                return [c async for c in chain.astream("pair?")]
            out = asyncio.run(run())
        assert out == [Pair(a=1, b=2)], mode
        assert len(bodies) == 2 and "b" in bodies[1]["messages"][-1]["content"]


def test_prompted_json_stream_that_stays_invalid_carries_the_error_like_invoke() -> None:
    from langchain_compat import ChatCotomi

    bad = _sse(["no json here"])
    bodies: list[dict] = []
    llm = ChatCotomi(base_url="http://127.0.0.1:9/v1", api_key="k", max_tool_reasks=1,
                     http_client=httpx.Client(transport=_replying([bad, bad], bodies)))
    bound = llm.with_structured_output({"type": "object", "properties": {"a": {"type": "integer"}},
                                        "required": ["a"], "title": "A"}, method="json_mode",
                                       include_raw=True)
    out = list(bound.stream("a?"))
    raw = next(o["raw"] for o in out if "raw" in o)
    assert len(bodies) == 2
    assert raw.content == "no json here"
    assert raw.response_metadata["structured_output_error"]


def test_an_invalid_call_is_never_streamed_as_a_runnable_call() -> None:
    """Merged tool_call_chunks re-parse their arguments: {} for a tool that requires a and b
    would become a valid call an agent runs (seen in the demo). It is reported instead."""
    parts = ["Adding. ", '<tool_call>{"name": "add", "arguments": {}}</tool_call>']

    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, stream=httpx.ByteStream(_sse(parts)),
                                  headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"id": "c", "model": "m", "choices": [{
            "index": 0, "message": {"role": "assistant", "content": "".join(parts)},
            "finish_reason": "stop"}]})

    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", tool_calling="emulated",
                               max_tool_reasks=0,
                               http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    bound = llm.bind_tools([TOOL])
    chunks = list(bound.stream("add?"))
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert full.tool_calls == [] and full.tool_call_chunks == []
    [bad] = full.response_metadata["invalid_tool_calls"]
    assert bad["name"] == "add" and "'a'" in bad["error"]
    invoked = bound.invoke("add?")
    assert invoked.tool_calls == [] and invoked.invalid_tool_calls == []
    [seen] = invoked.response_metadata["invalid_tool_calls"]
    assert {**seen, "id": None} == {**bad, "id": None}  # ids are made per call
    assert full.content.strip() == invoked.content.strip() == "Adding."
