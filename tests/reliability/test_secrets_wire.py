"""The API key on the wire: exactly once per request, in the provider's auth header.

Recorded as raw bytes by a bare socket server (``raw_wire``), not through the
emulator's log, which masks credentials before storing them and so cannot show
a key that also travels in another header, the query string or the body.
Every public chat class (invoke, ainvoke, stream, astream) and both embeddings
classes (embed_documents, embed_query, aembed_documents).
"""

from __future__ import annotations

from typing import Any

import pytest

from langchain_compat import (
    ChatAvangenio,
    ChatCotomi,
    ChatEktos,
    ChatOpenAICompatible,
    ChatTelkom,
    CotomiEmbeddings,
    OpenAICompatibleEmbeddings,
)
from langchain_compat.transport.rate_limit import limiter_for_rpm

from .raw_wire import DIM, RawRequest, RawWireServer

CANARY = "sk-wire-canary-5d1e9b7f3a2c4e6d"

# The documented auth scheme of each class's provider (providers/*.py, docs/providers/):
# Bearer in Authorization everywhere but Telkom, whose gateway takes the bare key in x-api-key.
BEARER = ("authorization", f"Bearer {CANARY}")
X_API_KEY = ("x-api-key", CANARY)
CHAT = [
    (ChatEktos, "phi-3.5-mini-4k-instruct", BEARER),
    (ChatAvangenio, "radiance", BEARER),
    (ChatCotomi, "cotomi-fast-v2.0", BEARER),
    (ChatTelkom, "telkom-ai-instruct", X_API_KEY),
    (ChatOpenAICompatible, "any-model", BEARER),
]
EMBEDDINGS = [
    (CotomiEmbeddings, "multilingual-e5-large", BEARER),
    (OpenAICompatibleEmbeddings, "text-embedder", BEARER),
]


@pytest.fixture(scope="module")
def wire():
    with RawWireServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("EKTOS", "AVANGENIO", "COTOMI", "TELKOM", "OPENAI_COMPATIBLE"):
        monkeypatch.delenv(f"{prefix}_API_KEY", raising=False)
        monkeypatch.delenv(f"{prefix}_BASE_URL", raising=False)


def assert_key_only_in_auth_header(requests: list[RawRequest], auth: tuple[str, str],
                                   count: int) -> None:
    """``count`` requests, each carrying the key once: in ``auth`` and nowhere else."""
    assert len(requests) == count, [r.path for r in requests]
    header, value = auth
    key = CANARY.encode()
    for req in requests:
        where = f"request {req.head.split(b' ', 2)[:2]}"
        assert req.raw.count(key) == 1, f"{where}: the key appears {req.raw.count(key)} times"
        holders = [line for line in req.header_lines() if key in line]
        assert len(holders) == 1, f"{where}: the key is not in a header"
        name, _, sent = holders[0].decode().partition(":")
        assert (name.strip().lower(), sent.strip()) == (header, value), f"{where}: {name!r}"
        assert key not in req.body and key not in req.head.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(("cls", "model", "auth"), CHAT, ids=[c[0].__name__ for c in CHAT])
async def test_chat_sends_the_key_once_in_its_auth_header(wire, cls, model, auth) -> None:
    wire.take()
    extra: dict[str, Any] = {"rate_limiter": limiter_for_rpm(60_000)} if cls is ChatTelkom else {}
    llm = cls(base_url=wire.base_url, api_key=CANARY, model=model, max_retries=0, **extra)
    assert llm.invoke("hi").content == "ok"
    assert (await llm.ainvoke("hi")).content == "ok"
    assert "".join(c.content for c in llm.stream("hi")) == "ok"
    assert "".join([c.content async for c in llm.astream("hi")]) == "ok"
    requests = wire.take()
    assert all(r.path.endswith("/chat/completions") for r in requests)
    assert_key_only_in_auth_header(requests, auth, count=4)


@pytest.mark.parametrize(("cls", "model", "auth"), EMBEDDINGS,
                         ids=[c[0].__name__ for c in EMBEDDINGS])
@pytest.mark.parametrize("encoding", ["base64", "float"])
async def test_embeddings_send_the_key_once_in_its_auth_header(wire, cls, model, auth,
                                                               encoding) -> None:
    wire.take()
    emb = cls(base_url=wire.base_url, api_key=CANARY, model=model, max_retries=0,
              encoding_format=encoding)
    assert [len(v) for v in emb.embed_documents(["a", "b"])] == [DIM, DIM]
    assert len(emb.embed_query("q")) == DIM
    assert [len(v) for v in await emb.aembed_documents(["c"])] == [DIM]
    requests = wire.take()
    assert all(r.path.endswith("/embeddings") for r in requests)
    assert_key_only_in_auth_header(requests, auth, count=3)
