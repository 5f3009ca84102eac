"""The "LangChain floor": the least a ``BaseChatModel`` can do over bare httpx.

It converts messages with a dict lookup, posts with a pooled httpx client,
reads ``choices[0].message.content`` and streams with a bare line loop. No
validation, no retries, no usage, no tools. What it costs above bare httpx is
what LangChain itself imposes on every chat model (callbacks, run managers,
pydantic message and generation objects) - a cost no integration can remove.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

_ROLE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=256)


class FloorChat(BaseChatModel):
    base_url: str
    model_name: str = "bench-model"
    _client: httpx.Client | None = PrivateAttr(default=None)
    _aclient: httpx.AsyncClient | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "bench-floor"

    def _body(self, messages: list[BaseMessage], stream: bool = False) -> dict[str, Any]:
        wire = [{"role": _ROLE[m.type], "content": m.content} for m in messages]
        body: dict[str, Any] = {"model": self.model_name, "messages": wire}
        if stream:
            body["stream"] = True
        return body

    def _sync(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(limits=LIMITS)
        return self._client

    def _async(self) -> httpx.AsyncClient:
        if self._aclient is None:
            self._aclient = httpx.AsyncClient(limits=LIMITS)
        return self._aclient

    @staticmethod
    def _result(data: dict[str, Any]) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(
            message=AIMessage(content=data["choices"][0]["message"]["content"]))])

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        resp = self._sync().post(self.base_url + "/chat/completions", json=self._body(messages))
        return self._result(resp.json())

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None,
                         run_manager: Any = None, **kwargs: Any) -> ChatResult:
        resp = await self._async().post(self.base_url + "/chat/completions",
                                        json=self._body(messages))
        return self._result(resp.json())

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        with self._sync().stream("POST", self.base_url + "/chat/completions",
                                 json=self._body(messages, True)) as resp:
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    obj = json.loads(data)
                    text = obj["choices"][0]["delta"].get("content") or "" if obj["choices"] else ""
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    async def _astream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        async with self._async().stream("POST", self.base_url + "/chat/completions",
                                        json=self._body(messages, True)) as resp:
            async for line in resp.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    obj = json.loads(data)
                    text = obj["choices"][0]["delta"].get("content") or "" if obj["choices"] else ""
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
