"""Code moved from ChatOpenAI / OpenAIEmbeddings: its argument names and forms work.

Aliases map to our fields, ChatOpenAI-only settings are ignored with a reason,
a misspelt argument's warning names the field meant, ``timeout`` takes a
``(connect, read)`` tuple or an ``httpx.Timeout``, ``proxy`` goes through a
real loopback HTTP proxy, ``default_query`` reaches every URL, and
``with_structured_output(tools=..., strict=...)`` works on the prompted path.
"""

from __future__ import annotations

import http.client
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_compat import ChatOpenAICompatible, OpenAICompatibleEmbeddings
from langchain_compat.errors import APITimeoutError, InvalidCredentialError, InvalidParameterError
from langchain_compat.testing import latency


class Person(BaseModel):
    name: str
    age: int


@tool
def search(query: str) -> str:
    """Search the web."""
    return query


class _ForwardProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: absolute-form request lines, forwarded to loopback only."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        target = urlsplit(self.path)
        type(self).seen.append(self.path)
        assert target.hostname == "127.0.0.1"  # never forwards off the machine
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "host")}
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for name in ("content-type",):
            if resp.getheader(name):
                self.send_header(name, resp.getheader(name))
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forward_proxy() -> Iterator[str]:
    _ForwardProxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_chatopenai_style_arguments_work(emulator, forward_proxy):
    emu = emulator("openai-compatible", api_key="emu-key-0123456789")
    kwargs = {"model": "m", "openai_api_key": "emu-key-0123456789", "openai_api_base": emu.base_url,
              "max_completion_tokens": 7, "request_timeout": (5, 30), "openai_proxy": forward_proxy,
              "default_query": {"api-version": "2024-06-01"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every one of them is known: no warning
        llm = ChatOpenAICompatible(**kwargs)
    assert llm.invoke("hi").text == "Echo: hi"
    sent = emu.last_request
    assert sent.body["max_tokens"] == 7 and "max_completion_tokens" not in sent.body
    assert sent.query == "api-version=2024-06-01"
    assert _ForwardProxy.seen == [f"{emu.base_url}/chat/completions?api-version=2024-06-01"]
    assert llm.driver.ep.timeout == httpx.Timeout(30, connect=5)


async def test_proxy_and_query_on_async_and_stream(emulator, forward_proxy):
    emu = emulator("openai-compatible")
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", proxy=forward_proxy,
                               default_query={"k": "v"})
    assert (await llm.ainvoke("a")).text == "Echo: a"
    assert "".join(c.text for c in llm.stream("b")) == "Echo: b"
    assert len(_ForwardProxy.seen) == 2 and all(r.query == "k=v" for r in emu.requests)


def test_proxy_with_a_password_is_refused():
    with pytest.raises(InvalidCredentialError, match="http_client"):
        ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                             proxy="http://u:pw@127.0.0.1:3128")
    with pytest.raises(InvalidParameterError, match="proxy"):
        ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", proxy="ftp://x")


def test_timeout_forms(emulator):
    emu = emulator("openai-compatible")
    emu.inject(latency(1.5), times=2)
    tuple_llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", timeout=(2, 0.3),
                                     max_retries=0)
    with pytest.raises(APITimeoutError):
        tuple_llm.invoke("slow")
    exact = httpx.Timeout(0.3, connect=2)
    httpx_llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", timeout=exact, max_retries=0)
    assert httpx_llm.driver.ep.timeout is exact and httpx_llm.driver.ep.total_timeout is None
    with pytest.raises(APITimeoutError):
        httpx_llm.invoke("slow")
    float_llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", timeout=2.5)
    assert float_llm.invoke("x").text == "Echo: x"
    for bad in [(1, 2, 3), (0, 5), "soon"]:
        with pytest.raises(InvalidParameterError, match="timeout"):
            ChatOpenAICompatible(base_url=emu.base_url, model="m", timeout=bad)


def test_misspelt_argument_warns_naming_the_field():
    with pytest.warns(UserWarning, match=r"'temprature' is not a known argument "
                                         r"\(did you mean 'temperature'\?\)"):
        llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", temprature=0.2)
    assert llm.temperature is None and llm.model_kwargs == {"temprature": 0.2}
    # a server field: no guess
    with pytest.warns(UserWarning, match="known argument: it is sent") as caught:
        ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", repetition_penalty=1.1)
    assert "did you mean" not in str(caught[0].message)
    with warnings.catch_warnings():  # llama-server's top_k is a typed field (docs/llama-server.md)
        warnings.simplefilter("error")
        assert ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m", top_k=5).top_k == 5
    with pytest.warns(UserWarning, match="'openai_organization' is ignored"):
        llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m",
                                   openai_organization="org-1")
    assert llm.model_kwargs == {} and not llm.default_headers


def test_embeddings_aliases():
    emb = OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", chunk_size=16,
                                     check_embedding_ctx_length=False, openai_api_key="k" * 12)
    assert (emb.batch_size, emb.check_limits) == (16, False)
    assert emb.api_key.get_secret_value() == "k" * 12
    with pytest.raises(InvalidParameterError, match="did you mean 'dimensions'"):
        OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1", model="m", dimension=3)


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
def test_structured_output_with_tools_on_the_prompted_path(emulator, streaming):
    emu = emulator("openai-compatible")  # no native json_schema: the JSON is prompted and validated
    llm = ChatOpenAICompatible(base_url=emu.base_url, model="m", streaming=streaming,
                               tool_calling="emulated")
    structured = llm.with_structured_output(Person, tools=[search], strict=True, include_raw=True)
    emu.script(['{"name": "Ada", "age": 36}'])
    out = structured.invoke("Who?")
    assert out["parsed"] == Person(name="Ada", age=36) and out["parsing_error"] is None
    assert "search" in emu.last_request.body["messages"][0]["content"]  # the tool is offered
    emu.script(['<tool_call>{"name": "search", "arguments": {"query": "Ada Lovelace"}}'
                "</tool_call>"])
    out = structured.invoke("Who?")
    assert out["raw"].tool_calls[0]["args"] == {"query": "Ada Lovelace"} and out["parsed"] is None
    emu.script(['{"name": "Ada"}', '{"name": "Ada", "age": 36}'])  # invalid JSON is re-asked
    assert structured.invoke("Who?")["parsed"] == Person(name="Ada", age=36)


def test_structured_output_tools_need_a_json_method():
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(InvalidParameterError, match="bind_tools"):
        llm.with_structured_output(Person, method="function_calling", tools=[search])
