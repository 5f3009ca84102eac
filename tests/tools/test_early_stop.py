"""A plainly emulated reply ends as soon as it holds all that will be used of it
(``Profile.early_stop``): its first repeated call, its ``MAX_EMULATED_CALLS``-th call, or
the one usable call wanted. The request is read as a stream (invoke too) and closed there,
so the server stops generating: a small model otherwise writes the same calls until
``max_tokens``. On a real HTTP server (the emulator), on every path.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from langchain_core.messages import AIMessage

from langchain_compat import ChatOpenAICompatible
from langchain_compat.chat_models.reader import MAX_EMULATED_CALLS
from langchain_compat.errors import ResponseParseError
from langchain_compat.testing import Emulator, emulate, hang
from tools.paths import PATHS, final
from tools.tool_specs import ADD

SEARCH = {"type": "function", "function": {"name": "search", "description": "Search.",
          "parameters": {"type": "object", "properties": {"q": {"type": "string"}},
                         "required": ["q"]}}}


def call(name: str, **args: Any) -> str:
    """A call the way the local model writes it: bare JSON on a line."""
    return json.dumps({"name": name, "arguments": args}) + "\n"


def model(emu: Emulator, **profile: Any) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="emulated",
                                max_retries=0, timeout=10, profile_overrides=profile or None)


def calls(message: AIMessage) -> list[tuple[str, dict[str, Any]]]:
    return [(c["name"], c["args"]) for c in message.tool_calls]


LOOP = (call("add", a=1, b=2) + call("search", q="x") + call("add", a=1, b=2)
        + call("add", a=3, b=4))


@pytest.fixture(scope="module")
def emu() -> Any:
    with emulate() as emulator:
        yield emulator


@pytest.mark.parametrize("path", PATHS)
def test_the_reply_ends_at_its_first_repeated_call(emu: Emulator, path: str) -> None:
    emu.reset()
    emu.script([LOOP])
    out = final(model(emu).bind_tools([ADD, SEARCH], parallel_tool_calls=True), path, "go")
    # add(3, 4) comes after the repeat: the model was looping, the reply ended before it
    assert calls(out) == [("add", {"a": 1, "b": 2}), ("search", {"q": "x"})]
    meta = out.response_metadata
    assert meta["ended_early"] == "repeated call"
    assert meta["finish_reason"] == "stop"
    assert out.usage_metadata["output_tokens"] > 0  # the server's, or estimated where none came
    assert emu.last_request.body["stream"] is True  # invoke reads it as a stream too


def test_without_early_stop_the_reply_is_read_whole_and_folded(emu: Emulator) -> None:
    emu.reset()
    emu.script([LOOP])
    out = model(emu, early_stop=False).bind_tools([ADD, SEARCH],
                                                  parallel_tool_calls=True).invoke("go")
    assert calls(out) == [("add", {"a": 1, "b": 2}), ("search", {"q": "x"}),
                          ("add", {"a": 3, "b": 4})]
    assert "ended_early" not in out.response_metadata
    assert "stream" not in emu.last_request.body


@pytest.mark.parametrize("path", PATHS)
def test_the_reply_ends_at_the_call_limit(emu: Emulator, path: str) -> None:
    emu.reset()
    emu.script(["".join(call("add", a=i, b=i) for i in range(MAX_EMULATED_CALLS + 3))])
    out = final(model(emu).bind_tools([ADD], parallel_tool_calls=True), path, "go")
    assert calls(out) == [("add", {"a": i, "b": i}) for i in range(MAX_EMULATED_CALLS)]
    assert out.response_metadata["ended_early"] == "call limit"


@pytest.mark.parametrize("parallel", [False, None])
@pytest.mark.parametrize("path", PATHS)
def test_one_call_wanted_ends_at_the_first_usable_call(emu: Emulator, path: str,
                                                       parallel: bool | None) -> None:
    """One call is wanted with parallel_tool_calls=False, and in emulation by default (the
    calls of one reply are written before any result is seen): only True asks for several."""
    emu.reset()
    # an invalid call first: the reply goes on to the usable one, and ends there
    emu.script([call("add", a="x") + call("add", a=1, b=2) + call("search", q="y")])
    out = final(model(emu).bind_tools([ADD, SEARCH], parallel_tool_calls=parallel), path, "go")
    assert calls(out) == [("add", {"a": 1, "b": 2})]
    assert out.response_metadata["ended_early"] == "one call"
    assert out.response_metadata["dropped_tool_calls"][0]["args"] == '{"a": "x"}'


@pytest.mark.parametrize("path", PATHS)
def test_the_server_is_left_once_the_reply_is_over(emu: Emulator, path: str) -> None:
    """The server goes on writing the same call and then stalls: a client that read the
    reply to its end would wait for the timeout; this one closed the stream long before."""
    emu.reset()
    emu.script([call("add", a=1, b=2) * 40])
    emu.inject(hang(after_chunks=60))  # the repeat is complete well before chunk 60
    out = final(model(emu).bind_tools([ADD], parallel_tool_calls=True), path, "go")
    assert calls(out) == [("add", {"a": 1, "b": 2})]
    assert out.response_metadata["ended_early"] == "repeated call"


@pytest.mark.parametrize("path", PATHS)
def test_a_bare_call_is_over_as_soon_as_the_next_call_starts(emu: Emulator, path: str) -> None:
    """A call without an end marker of its own (bare JSON, what the local model writes) is
    known to be whole once anything follows it: the next call's first character ends the
    reply, not that call's last (on the agent benchmark the 0.5B model went on with a second
    call in about one reply in three, 20 to 40 tokens the server generated for nothing)."""
    emu.reset()
    emu.script([call("add", a=1, b=2) + '{"name": "search", "arguments": {"q": "'
                + " y" * 200])
    emu.inject(hang(after_chunks=12))  # the second call is still open when the server stalls
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="emulated",
                               max_retries=0, timeout=5).bind_tools([ADD, SEARCH])
    out = final(llm, path, "go")
    assert calls(out) == [("add", {"a": 1, "b": 2})]
    assert out.response_metadata["ended_early"] == "one call"


@pytest.mark.parametrize("path", ["invoke", "stream"])
def test_a_reply_without_a_repeat_is_read_to_its_end(emu: Emulator, path: str) -> None:
    emu.reset()
    emu.script([call("add", a=1, b=2) + call("search", q="x")])
    out = final(model(emu).bind_tools([ADD, SEARCH], parallel_tool_calls=True), path, "go")
    assert calls(out) == [("add", {"a": 1, "b": 2}), ("search", {"q": "x"})]
    meta = out.response_metadata
    assert "ended_early" not in meta and "usage_estimated" not in meta  # the server's usage


def test_native_and_answer_only_requests_are_not_streamed_for_invoke(emu: Emulator) -> None:
    emu.reset()
    emu.script([{"content": None, "tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}])
    ChatOpenAICompatible(base_url=emu.base_url, model="m", tool_calling="native",
                         max_retries=0).bind_tools([ADD]).invoke("go")
    assert "stream" not in emu.last_request.body
    emu.script(["Plain."])
    model(emu).invoke("go")  # no tools bound
    assert "stream" not in emu.last_request.body


class _WholeOnly(BaseHTTPRequestHandler):
    """A server that cannot stream: every chat request gets a whole JSON answer."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        body = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
            {"index": 0, "finish_reason": "length",
             "message": {"role": "assistant", "content": LOOP}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 40, "total_tokens": 90}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def whole_only() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WholeOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _WholeOnly.bodies.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["invoke", "ainvoke"])
def test_a_server_that_cannot_stream_still_answers_invoke(whole_only: str, path: str) -> None:
    """Invoke asked for the stream itself: a whole answer is read, and ends where a stream
    would have been closed (the same calls), with the server's own usage."""
    llm = ChatOpenAICompatible(base_url=whole_only, model="m", tool_calling="emulated",
                               max_retries=0, timeout=10).bind_tools([ADD, SEARCH],
                                                             parallel_tool_calls=True)
    out = final(llm, path, "go")
    assert _WholeOnly.bodies[-1]["stream"] is True
    assert calls(out) == [("add", {"a": 1, "b": 2}), ("search", {"q": "x"})]
    assert out.response_metadata["ended_early"] == "repeated call"
    assert out.usage_metadata["output_tokens"] == 40
    with pytest.raises(ResponseParseError, match="cannot stream, call invoke"):
        list(llm.stream("go"))  # a stream the caller asked for is still refused plainly
