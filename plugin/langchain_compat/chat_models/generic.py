"""``ChatOpenAICompatible``: any OpenAI-compatible server.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import GENERIC, Provider

__all__ = ["ChatOpenAICompatible"]


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
