"""Hardening #13 item 5 (redirects): auth headers never follow a redirect to another host,
and a 3xx says "redirect" instead of "response is not JSON".

Before: a caller's ``httpx.Client(follow_redirects=True)`` followed a 307 from host A to
host B and B received the ``x-api-key`` header (httpx strips only ``Authorization`` across
origins); with the default client a 302 read "response is not JSON". Now no redirect is
followed: a typed :class:`RedirectError` names the target (without credentials or
query) and says to point ``base_url`` at it. Two loopback servers, a few seconds.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from langchain_compat import ChatOpenAICompatible
from langchain_compat.errors import RedirectError

from .rawhttp import RawServer, ok_json, response

pytestmark = [pytest.mark.timeout(30)]
KEY = "sk-redirect-secret-123"


class _Recorder:
    """Host B: answers OK and keeps every request head it saw."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []

    def __call__(self, conn: socket.socket, n: int, head: bytes, body: bytes) -> bool:
        self.heads.append(head)
        conn.sendall(ok_json())
        return False


def _redirect_to(target: str, status: int = 307):
    def handler(conn: socket.socket, n: int, head: bytes, body: bytes) -> bool:
        conn.sendall(response(status, b"", {"Location": target, "Content-Type": "text/html"},
                              reason="Redirect"))
        return False
    return handler


def _llm(base_url: str, **kw: Any) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=base_url, api_key=KEY, model="m", max_retries=0,
                                auth_header="x-api-key", auth_prefix="",
                                default_headers={"X-Tenant-Token": "tenant-secret"}, **kw)


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "astream"])
def test_callers_follow_redirects_client_never_carries_the_key_to_another_host(call: str) -> None:
    b = _Recorder()
    with RawServer(b) as host_b:
        b_origin = host_b.base_url.split("/v1")[0]
        target = host_b.base_url.replace("://", "://user:pw@") + "/chat/completions?token=q"
        with RawServer(_redirect_to(target)) as host_a:
            kw: dict[str, Any] = (
                {"http_client": httpx.Client(follow_redirects=True)} if call in ("invoke", "stream")
                else {"http_async_client": httpx.AsyncClient(follow_redirects=True)})
            llm = _llm(host_a.base_url, **kw)
            with pytest.raises(RedirectError) as info:
                if call == "invoke":
                    llm.invoke("hi")
                elif call == "stream":
                    list(llm.stream("hi"))
                elif call == "ainvoke":
                    asyncio.run(llm.ainvoke("hi"))
                else:
                    async def drain() -> None:
                        async for _ in llm.astream("hi"):
                            pass
                    asyncio.run(drain())
    assert b.heads == []  # host B never saw a request, so never a header
    err = info.value
    assert err.status_code == 307
    assert "redirect" in str(err) and "base_url" in str(err)
    assert err.location.startswith(b_origin)
    for secret in (KEY, "tenant-secret", "user:pw", "token=q"):
        assert secret not in str(err) and secret not in err.location


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_default_client_names_the_redirect(status: int) -> None:
    with RawServer(_redirect_to("https://api.example.test/v1/chat/completions", status)) as srv, \
            pytest.raises(RedirectError) as info:
        _llm(srv.base_url).invoke("hi")
    assert info.value.status_code == status
    assert "https://api.example.test/v1/chat/completions" in str(info.value)
    assert "not JSON" not in str(info.value)


def test_redirect_is_not_retried() -> None:
    seen: list[int] = []

    def handler(conn: socket.socket, n: int, head: bytes, body: bytes) -> bool:
        seen.append(n)
        conn.sendall(response(302, b"", {"Location": "http://127.0.0.1:9/v1"}, reason="Found"))
        return False

    with RawServer(handler) as srv:
        llm = ChatOpenAICompatible(base_url=srv.base_url, api_key=KEY, model="m", max_retries=3)
        with pytest.raises(RedirectError):
            llm.invoke("hi")
    assert seen == [1]
