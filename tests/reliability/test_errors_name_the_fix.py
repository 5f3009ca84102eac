"""Every error a newcomer meets first names the fix: the command, the env var, the URL shape.

Real parts: a refused loopback port (nothing listens), the provider emulator (a 404 for a
base URL that is not the API root, ``GET /models`` for the served-model check), and the
``langchain-compat chat`` command in a subprocess for the exit codes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_compat import (
    ChatCotomi,
    ChatEktos,
    ChatLocal,
    ChatOpenAICompatible,
    OpenAICompatibleEmbeddings,
)
from langchain_compat import DEFAULT_BACKEND_MEMORY
from langchain_compat.connection.hints import endpoint_hints
from langchain_compat.errors import (
    APIConnectionError,
    InvalidParameterError,
    ModelNotServedError,
    NotFoundError,
)
from langchain_compat.providers import COTOMI, EKTOS, GENERIC, LOCAL, PROVIDERS
from langchain_compat.testing import emulate


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_model_lists() -> Iterator[None]:
    DEFAULT_BACKEND_MEMORY.reset()  # the model lists read so far (BackendMemory)
    yield
    DEFAULT_BACKEND_MEMORY.reset()


# -- a server that is not running --------------------------------------------------------
def test_local_server_not_running_names_the_command_env_var_and_shape() -> None:
    port = free_port()
    llm = ChatLocal(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        llm.invoke("hi")
    text = str(info.value)
    assert "Connection refused" in text or "ConnectError" in text  # the cause is kept
    assert f"`langchain-compat local up --port {port}`" in text
    assert f"langchain_compat.local.ensure_server(port={port})" in text
    assert "LANGCHAIN_COMPAT_LOCAL_BASE_URL" in text and "http://HOST:PORT/v1" in text
    assert f"http://127.0.0.1:{port}/v1 (from base_url=)" in text


def test_local_default_url_from_the_env_var_names_the_plain_command(monkeypatch) -> None:
    port = free_port()
    monkeypatch.setenv("LANGCHAIN_COMPAT_LOCAL_BASE_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(APIConnectionError) as info:
        list(ChatLocal(max_retries=0).stream("hi"))
    assert "(from $LANGCHAIN_COMPAT_LOCAL_BASE_URL)" in str(info.value)
    assert "langchain-compat local up" in str(info.value)


def test_any_loopback_server_not_running_names_the_usual_shapes() -> None:
    port = free_port()
    llm = ChatOpenAICompatible(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        asyncio.run(llm.ainvoke("hi"))
    text = str(info.value)
    assert f"listening on port {port}" in text
    assert "OPENAI_COMPATIBLE_BASE_URL or base_url=" in text
    assert "http://127.0.0.1:11434/v1 (Ollama)" in text and "`langchain-compat local up`" in text


def test_embeddings_connection_errors_name_the_fix_too() -> None:
    port = free_port()
    emb = OpenAICompatibleEmbeddings(base_url=f"http://127.0.0.1:{port}/v1", model="e",
                                     max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        emb.embed_query("hi")
    assert "is the server running" in str(info.value)


def test_hints_for_the_embedded_address_remote_hosts_and_env_vars(monkeypatch) -> None:
    # a generic client on the embedded server's default address is told how to start it
    hints = endpoint_hints(GENERIC, LOCAL.base_url or "", servers=tuple(PROVIDERS.values()))
    assert "start it with `langchain-compat local up`" in hints.connect
    assert "--port" not in hints.connect
    # a hosted provider: the host, the network, the variable and the expected shape
    hints = endpoint_hints(EKTOS, "https://api.ektos.ai/v1")
    assert "Could not reach https://api.ektos.ai/v1 (from Ektos AI's default)" in hints.connect
    assert "EKTOS_BASE_URL or base_url= should be https://api.ektos.ai/v1" in hints.connect
    monkeypatch.setenv("COTOMI_BASE_URL", "https://tenant.example/v1?key=secret")
    hints = endpoint_hints(COTOMI, "https://tenant.example/v1?key=secret")
    assert "secret" not in hints.connect + hints.not_found  # a query string is never shown
    assert "COTOMI_BASE_URL or base_url= should be https://HOST/v1" in hints.connect


# -- a base URL that is not the API root -------------------------------------------------
@pytest.mark.parametrize(("given", "root"), [
    ("http://127.0.0.1:8089/v1/chat/completions", "http://127.0.0.1:8089/v1"),
    ("http://127.0.0.1:8089/v1/chat/completions/", "http://127.0.0.1:8089/v1"),
    ("https://api.example.com/v1/completions", "https://api.example.com/v1"),
    ("https://api.example.com/openai/v1/embeddings", "https://api.example.com/openai/v1"),
])
def test_a_base_url_ending_in_an_endpoint_is_refused_with_the_root(given: str, root: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        ChatOpenAICompatible(base_url=given, model="m")
    assert f"base_url={root!r}" in str(info.value)
    with pytest.raises(InvalidParameterError, match="appends itself"):
        OpenAICompatibleEmbeddings(base_url=given, model="e")


def test_endpoint_url_refused_from_the_env_var_and_on_assignment(monkeypatch) -> None:
    monkeypatch.setenv("COTOMI_BASE_URL", "https://tenant.example/v1/chat/completions")
    with pytest.raises(InvalidParameterError, match="base_url='https://tenant.example/v1'"):
        ChatCotomi(api_key="k")
    llm = ChatOpenAICompatible(base_url="http://127.0.0.1:1/v1", model="m")
    with pytest.raises(InvalidParameterError, match="base_url='http://127.0.0.1:1/v1'"):
        llm.base_url = "http://127.0.0.1:1/v1/chat/completions"


def test_a_404_for_a_wrong_base_url_path_names_the_shape() -> None:
    with emulate("openai-compatible") as emu:
        root = emu.base_url + "/openai"  # no such path: /v1/openai/chat/completions is a 404
        llm = ChatOpenAICompatible(base_url=root, model="m", max_retries=0)
        with pytest.raises(NotFoundError) as info:
            llm.invoke("hi")
    text = str(info.value)
    assert "HTTP 404" in text and "base_url must be the API root" in text
    assert "/chat/completions" in text and "(from base_url=)" in text


def test_a_404_for_an_unknown_model_says_where_to_list_the_models() -> None:
    with emulate("ektos", strict_models=True) as emu:
        llm = ChatEktos(base_url=emu.base_url, api_key=emu.api_key, model="nope", max_retries=0)
        with pytest.raises(NotFoundError) as info:
            llm.invoke("hi")
    text = str(info.value)
    assert "does not serve that model" in text and f"GET {emu.base_url}/models" in text
    assert "API root" not in text


# -- a model the local server does not serve ------------------------------------------------
def _model_list_requests(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.method == "GET" and r.path.endswith("/models"))


def test_local_model_not_served_is_refused_naming_what_is_served() -> None:
    with emulate("local") as emu:
        llm = ChatLocal(base_url=emu.base_url, model="gpt-4o-mini", max_retries=0)
        with pytest.raises(ModelNotServedError) as info:
            llm.invoke("hi")
        assert "serves 'qwen2.5-coder-0.5b-instruct'" in str(info.value)
        assert "model='qwen2.5-coder-0.5b-instruct'" in str(info.value)
        assert info.value.served == ("qwen2.5-coder-0.5b-instruct",)
        with pytest.raises(ModelNotServedError):
            list(llm.stream("hi"))
        with pytest.raises(ModelNotServedError):
            asyncio.run(llm.ainvoke("hi"))
        assert not any(r.path.endswith("/chat/completions") for r in emu.requests)
        assert _model_list_requests(emu) == 1  # asked once per base URL, then cached
        good = ChatLocal(base_url=emu.base_url, max_retries=0)
        assert good.invoke("hi").content == "Echo: hi"
        assert _model_list_requests(emu) == 1


def test_the_per_call_model_is_checked_too() -> None:
    with emulate("local") as emu:
        llm = ChatLocal(base_url=emu.base_url, max_retries=0)
        with pytest.raises(ModelNotServedError, match="not 'typo'"):
            llm.invoke("hi", model="typo")


def test_a_server_without_a_model_list_is_not_judged() -> None:
    with emulate("local", strict_models=False) as emu:
        llm = ChatLocal(base_url=emu.base_url, model="anything", max_retries=0)
        emu.script(["fine"])
        # the emulator lists its models; make the list unreadable: a 500 for GET /models
        from langchain_compat.testing import server_error

        emu.inject(server_error(500).only("models"), times=1)
        assert llm.invoke("hi").content == "fine"  # the list failed: the call goes on
        assert [(r.method, r.status) for r in emu.requests] == [("GET", 500), ("POST", 200)]


def test_generic_servers_are_not_checked() -> None:
    with emulate("openai-compatible") as emu:
        llm = ChatOpenAICompatible(base_url=emu.base_url, model="whatever", max_retries=0)
        llm.invoke("hi")
        assert _model_list_requests(emu) == 0


@pytest.mark.local_llm
def test_real_local_server_refuses_a_model_it_does_not_serve(local_llm: Any) -> None:
    with pytest.raises(ModelNotServedError) as info:
        ChatLocal(base_url=local_llm.base_url, model="llama3", max_tokens=4).invoke("hi")
    assert local_llm.model in str(info.value)


# -- the CLI exits non-zero on every error --------------------------------------------------
def _chat(args: list[str], stdin: str,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "langchain_compat.cli", "chat", *args],
                          input=stdin, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def test_cli_chat_with_a_refused_connection_exits_1_and_names_the_fix(tmp_path) -> None:
    port = free_port()
    out = _chat(["--db", str(tmp_path / "c.sqlite"), "--base-url", f"http://127.0.0.1:{port}/v1",
                 "--no-stream"], "hello\nsecond\n")
    assert out.returncode == 1, out.stderr
    assert "langchain-compat local up" in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("error:") == 1  # the chat ended: the second line was not sent


def test_cli_chat_exit_codes(tmp_path) -> None:
    db = str(tmp_path / "c.sqlite")
    bad = _chat(["--db", db, "--base-url", "http://127.0.0.1:1/v1/chat/completions"], "hi\n")
    assert bad.returncode == 2 and "base_url='http://127.0.0.1:1/v1'" in bad.stderr
    with emulate("local") as emu:
        wrong = _chat(["--db", db, "--base-url", emu.base_url, "--model", "llama3"], "hi\n")
        assert wrong.returncode == 1 and "serves 'qwen2.5-coder-0.5b-instruct'" in wrong.stderr
        ok = _chat(["--db", db, "--base-url", emu.base_url], "hi\n")
        assert ok.returncode == 0, ok.stderr
