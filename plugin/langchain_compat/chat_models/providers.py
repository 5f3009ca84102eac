"""One small class per provider: the provider record is all that differs."""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import AVANGENIO, COTOMI, EKTOS, GENERIC, LOCAL, TELKOM, Provider

__all__ = ["ChatAvangenio", "ChatCotomi", "ChatEktos", "ChatLocal", "ChatOpenAICompatible",
           "ChatTelkom"]


class ChatOpenAICompatible(BaseChatCompat):
    """Any OpenAI-compatible server: vLLM, llama.cpp's llama-server, Ollama, TGI, LiteLLM.

    No authentication unless ``api_key`` (or ``OPENAI_COMPATIBLE_API_KEY``) is
    set; ``auth_header``/``auth_prefix`` adapt the header (e.g. ``api-key``).
    Native tools are probed (``tool_calling="auto"``).

    Example:
        ```python
        from langchain_compat import ChatOpenAICompatible

        llm = ChatOpenAICompatible(base_url="http://127.0.0.1:8089/v1",
                                   model="qwen2.5-coder-0.5b-instruct")
        llm.invoke("Say hi")
        ```
    """

    provider: ClassVar[Provider] = GENERIC


class ChatEktos(BaseChatCompat):
    """Ektos AI (``EKTOS_API_KEY``, Bearer auth, ``https://api.ektos.ai/v1``).

    Example:
        ```python
        from langchain_compat import ChatEktos

        ChatEktos(model="phi-3.5-mini-4k-instruct").invoke("Hello")
        ```
    """

    provider: ClassVar[Provider] = EKTOS


class ChatAvangenio(BaseChatCompat):
    """Avangenio (``AVANGENIO_API_KEY``; models spark, radiance, supernova).

    Example:
        ```python
        from langchain_compat import ChatAvangenio

        ChatAvangenio(model="radiance").invoke("How many days are in a year?")
        ```
    """

    provider: ClassVar[Provider] = AVANGENIO


class ChatCotomi(BaseChatCompat):
    """NEC cotomi Generative AI API (``COTOMI_API_KEY`` and ``COTOMI_BASE_URL``).

    cotomi has no native function calling and refuses ``logit_bias``: tools
    and structured output are emulated; ``logit_bias`` raises before any
    request (or is dropped with a warning with ``drop_unsupported_params=True``).

    Example:
        ```python
        from langchain_compat import ChatCotomi

        ChatCotomi(model="cotomi-fast-v2.0").invoke("こんにちは")
        ```
    """

    provider: ClassVar[Provider] = COTOMI


class ChatTelkom(BaseChatCompat):
    """Telkom AI (``TELKOM_API_KEY`` sent as ``x-api-key``; about 7 requests/minute).

    A client-side rate limiter of 7 requests/minute is installed unless you
    pass ``rate_limiter=``.

    Example:
        ```python
        from langchain_compat import ChatTelkom

        ChatTelkom().invoke("Write a haiku about recursion.")
        ```
    """

    provider: ClassVar[Provider] = TELKOM


class ChatLocal(BaseChatCompat):
    """The embedded local backend: llama-server with Qwen2.5-Coder-0.5B on 127.0.0.1:8089.

    No API key. Tools are native (our chat template makes llama-server parse
    the model's calls); a turn the server cannot parse (HTTP 500 "peg-native",
    whenever the 0.5B model writes JSON-like text that is not a call) is re-sent
    emulated under the default ``tool_calling="auto"``, and emulated turns are
    *constrained*: decoded under a JSON schema that admits only an answer or a
    call of a bound tool (``tool_calling="emulated"`` makes every turn so: faster
    and as accurate on the agent benchmark, but it calls a tool where none is
    wanted more often; docs/agent-benchmark.md). The profile turns on
    ``small_model_guards``. ``max_tokens`` is 512 unless you set it, so a small
    model cannot loop until its context is full. Start the server with
    ``langchain-compat local up``, or get a ready client with
    :func:`langchain_compat.local.chat_model`.

    Example:
        ```python
        from langchain_compat import ChatLocal

        ChatLocal(temperature=0).invoke("Write a Python one-liner that reverses a string.")
        ```
    """

    provider: ClassVar[Provider] = LOCAL
