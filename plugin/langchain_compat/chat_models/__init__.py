"""LangChain chat models for OpenAI-compatible providers."""

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.chat_models.providers import (
    ChatAvangenio,
    ChatCotomi,
    ChatEktos,
    ChatLocal,
    ChatOpenAICompatible,
    ChatTelkom,
)

__all__ = [
    "BaseChatCompat",
    "ChatAvangenio",
    "ChatCotomi",
    "ChatEktos",
    "ChatLocal",
    "ChatOpenAICompatible",
    "ChatTelkom",
]
