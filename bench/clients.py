"""The clients under test, each behind the same four verbs.

A client is built inside its own worker process (see ``worker.py``), so the
imports below happen lazily, per client, and one client's imports never warm
another's. Every verb sends the same request: one user message, model
``bench-model``; streams ask for the 2000-chunk SSE answer.
"""

from __future__ import annotations

import json
from typing import Any

MODEL = "bench-model"
PROMPT = "Say hello."
MESSAGES = [{"role": "user", "content": PROMPT}]
TEXTS = [f"document number {i}" for i in range(1000)]


class Client:
    """Subclasses implement the verbs they support; ``url`` ends with ``/v1``."""

    name = ""
    label = ""
    import_stmt = ""

    def __init__(self, url: str, **opts: Any) -> None:
        self.url = url
        self.opts = opts

    def construct(self) -> Any:  # import metric: build one instance
        raise NotImplementedError

    def setup(self) -> None:
        """Build the objects the verbs use (called once, inside the event loop for async)."""

    def invoke(self) -> Any:
        raise NotImplementedError

    async def ainvoke(self) -> Any:
        raise NotImplementedError

    async def astream(self) -> int:
        raise NotImplementedError

    def embed(self) -> list[list[float]]:
        raise NotImplementedError


# -- floors ----------------------------------------------------------------
class BareHttpx(Client):
    name, label, import_stmt = "httpx", "bare httpx (floor)", "import httpx"

    def construct(self) -> Any:
        import httpx

        return httpx.Client()

    def setup(self) -> None:
        import httpx

        limits = self.opts.get("limits")
        self.client = httpx.Client()
        self.aclient = (httpx.AsyncClient(limits=httpx.Limits(max_connections=limits,
                                                              max_keepalive_connections=limits))
                        if limits else httpx.AsyncClient())
        self.chat_url = self.url + "/chat/completions"

    def invoke(self) -> Any:
        return self.client.post(self.chat_url, json={"model": MODEL, "messages": MESSAGES}).json()

    async def ainvoke(self) -> Any:
        resp = await self.aclient.post(self.chat_url, json={"model": MODEL, "messages": MESSAGES})
        return resp.json()

    async def astream(self) -> int:
        n = 0
        body = {"model": MODEL, "messages": MESSAGES, "stream": True}
        async with self.aclient.stream("POST", self.chat_url, json=body) as resp:
            async for line in resp.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    json.loads(data)
                    n += 1
        return n


class BareHttpxTuned(BareHttpx):
    name, label = "httpx-200", "bare httpx, pool 200"

    def __init__(self, url: str, **opts: Any) -> None:
        super().__init__(url, limits=200, **opts)


class LangChainFloor(Client):
    name, label = "lc-floor", "LangChain floor"
    import_stmt = "import bench.floor"

    def construct(self) -> Any:
        from bench.floor import FloorChat

        return FloorChat(base_url=self.url)

    def setup(self) -> None:
        self.model = self.construct()

    def invoke(self) -> Any:
        return self.model.invoke(PROMPT)

    async def ainvoke(self) -> Any:
        return await self.model.ainvoke(PROMPT)

    async def astream(self) -> int:
        n = 0
        async for _ in self.model.astream(PROMPT):
            n += 1
        return n


# -- the reference integration --------------------------------------------
class ChatOpenAIClient(LangChainFloor):
    name, label = "chatopenai", "ChatOpenAI"
    import_stmt = "from langchain_openai import ChatOpenAI"

    def construct(self) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=MODEL, base_url=self.url, api_key="sk-bench")


class OpenAISDK(Client):
    name, label = "openai-sdk", "openai SDK"
    import_stmt = "import openai"

    def construct(self) -> Any:
        import openai

        return openai.OpenAI(base_url=self.url, api_key="sk-bench")

    def setup(self) -> None:
        import openai

        self.client = openai.OpenAI(base_url=self.url, api_key="sk-bench")
        self.aclient = openai.AsyncOpenAI(base_url=self.url, api_key="sk-bench")

    def invoke(self) -> Any:
        return self.client.chat.completions.create(model=MODEL, messages=MESSAGES)

    async def ainvoke(self) -> Any:
        return await self.aclient.chat.completions.create(model=MODEL, messages=MESSAGES)

    async def astream(self) -> int:
        n = 0
        async for _ in await self.aclient.chat.completions.create(model=MODEL, messages=MESSAGES,
                                                                  stream=True):
            n += 1
        return n


# -- ours --------------------------------------------------------------------
class Ours(LangChainFloor):
    name, label = "ours", "ChatOpenAICompatible"
    import_stmt = "from langchain_compat import ChatOpenAICompatible"

    def construct(self) -> Any:
        from langchain_compat import ChatOpenAICompatible

        return ChatOpenAICompatible(base_url=self.url, model=MODEL)


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"sunny in {city}"


class OursEmulated(LangChainFloor):
    name, label = "ours-emulated", "ours, emulated tools"
    import_stmt = "from langchain_compat import ChatOpenAICompatible"

    def construct(self) -> Any:
        from langchain_compat import ChatOpenAICompatible

        return ChatOpenAICompatible(base_url=self.url, model=MODEL,
                                    tool_calling="emulated").bind_tools([get_weather])


# -- embeddings ---------------------------------------------------------------
class EmbedFloor(Client):
    name, label, fmt = "emb-floor-b64", "bare httpx + base64 (floor)", "base64"
    import_stmt = "import httpx"

    def setup(self) -> None:
        import httpx

        self.client = httpx.Client()

    def embed(self) -> list[list[float]]:
        import numpy as np

        body = {"model": MODEL, "input": TEXTS, "encoding_format": self.fmt}
        data = self.client.post(self.url + "/embeddings", json=body).json()["data"]
        if self.fmt == "float":
            return [d["embedding"] for d in data]
        import base64

        return [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4").tolist() for d in data]


class EmbedFloorFloat(EmbedFloor):
    name, label, fmt = "emb-floor-float", "bare httpx + JSON floats", "float"


class OpenAIEmbeddingsClient(Client):
    name, label, fmt = "openai-emb", "OpenAIEmbeddings", "base64"
    import_stmt = "from langchain_openai import OpenAIEmbeddings"

    def setup(self) -> None:
        from langchain_openai import OpenAIEmbeddings

        kwargs: dict[str, Any] = ({"model_kwargs": {"encoding_format": "float"}}
                                  if self.fmt == "float" else {})
        self.model = OpenAIEmbeddings(model=MODEL, base_url=self.url, api_key="sk-bench",
                                      check_embedding_ctx_length=False, **kwargs)

    def embed(self) -> list[list[float]]:
        return self.model.embed_documents(TEXTS)


class OpenAIEmbeddingsFloat(OpenAIEmbeddingsClient):
    name, label, fmt = "openai-emb-float", "OpenAIEmbeddings, float", "float"


class OursEmbeddings(Client):
    name, label, fmt = "ours-emb-b64", "OpenAICompatibleEmbeddings", "base64"
    import_stmt = "from langchain_compat import OpenAICompatibleEmbeddings"

    def setup(self) -> None:
        from langchain_compat import OpenAICompatibleEmbeddings  # absent until embeddings/ lands

        self.model = OpenAICompatibleEmbeddings(base_url=self.url, model=MODEL,
                                                encoding_format=self.fmt)

    def embed(self) -> list[list[float]]:
        return self.model.embed_documents(TEXTS)


class OursEmbeddingsFloat(OursEmbeddings):
    name, label, fmt = "ours-emb-float", "OpenAICompatibleEmbeddings, float", "float"


CLIENTS: dict[str, type[Client]] = {c.name: c for c in (
    BareHttpx, BareHttpxTuned, LangChainFloor, ChatOpenAIClient, OpenAISDK, Ours, OursEmulated,
    EmbedFloor, EmbedFloorFloat, OpenAIEmbeddingsClient, OpenAIEmbeddingsFloat, OursEmbeddings,
    OursEmbeddingsFloat,
)}
