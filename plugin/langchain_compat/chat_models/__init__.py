"""LangChain chat models for OpenAI-compatible providers.

One module per chat model (``generic.py`` holds ``ChatOpenAICompatible``); names load on
first use, so a program that uses one model builds one model class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_compat._lazy import lazy_face

#: public name -> the module below ``langchain_compat.chat_models`` that holds it.
MODULES: dict[str, str] = {
    "BaseChatCompat": "base",
    "ChatOpenAICompatible": "generic",
    "ChatEktos": "ektos",
    "ChatAvangenio": "avangenio",
    "ChatCotomi": "cotomi",
    "ChatTelkom": "telkom",
    "ChatLocal": "local",
}

__all__ = sorted(MODULES)

if TYPE_CHECKING:  # pragma: no cover
    from langchain_compat.chat_models.avangenio import ChatAvangenio  # noqa: F401
    from langchain_compat.chat_models.base import BaseChatCompat  # noqa: F401
    from langchain_compat.chat_models.cotomi import ChatCotomi  # noqa: F401
    from langchain_compat.chat_models.ektos import ChatEktos  # noqa: F401
    from langchain_compat.chat_models.generic import ChatOpenAICompatible  # noqa: F401
    from langchain_compat.chat_models.local import ChatLocal  # noqa: F401
    from langchain_compat.chat_models.telkom import ChatTelkom  # noqa: F401

__getattr__, __dir__ = lazy_face(__name__, MODULES, globals(),
                                 prefix="langchain_compat.chat_models.")
