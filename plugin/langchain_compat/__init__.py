"""langchain-compat: LangChain chat models and embeddings for OpenAI-compatible providers.

Public API (everything else is internal)::

    from langchain_compat import (
        ChatOpenAICompatible, ChatEktos, ChatAvangenio, ChatCotomi, ChatTelkom, ChatLocal,
        OpenAICompatibleEmbeddings, CotomiEmbeddings,
    )

Names are imported lazily so ``import langchain_compat`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_compat._lazy import lazy_face

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "ChatOpenAICompatible": "langchain_compat.chat_models.generic",
    "ChatEktos": "langchain_compat.chat_models.ektos",
    "ChatAvangenio": "langchain_compat.chat_models.avangenio",
    "ChatCotomi": "langchain_compat.chat_models.cotomi",
    "ChatTelkom": "langchain_compat.chat_models.telkom",
    "ChatLocal": "langchain_compat.chat_models.local",
    "OpenAICompatibleEmbeddings": "langchain_compat.embeddings",
    "CotomiEmbeddings": "langchain_compat.embeddings",
    "Profile": "langchain_compat.profiles",
    "Provider": "langchain_compat.providers",
    "get_provider": "langchain_compat.providers",
    "errors": "langchain_compat.errors",
    "Router": "langchain_compat.router",
    "Deployment": "langchain_compat.router",
    "RedisRateLimiter": "langchain_compat.ratelimit",
    "BackendMemory": "langchain_compat.core.backend_memory",
    "DEFAULT_BACKEND_MEMORY": "langchain_compat.core.backend_memory",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    # For type checkers only: __getattr__ imports these on first use (the noqa says so).
    from langchain_compat import errors  # noqa: F401
    from langchain_compat.chat_models import (  # noqa: F401
        ChatAvangenio,
        ChatCotomi,
        ChatEktos,
        ChatLocal,
        ChatOpenAICompatible,
        ChatTelkom,
    )
    from langchain_compat.core.backend_memory import (  # noqa: F401
        DEFAULT_BACKEND_MEMORY,
        BackendMemory,
    )
    from langchain_compat.embeddings import (  # noqa: F401
        CotomiEmbeddings,
        OpenAICompatibleEmbeddings,
    )
    from langchain_compat.profiles import Profile  # noqa: F401
    from langchain_compat.providers import Provider, get_provider  # noqa: F401
    from langchain_compat.ratelimit import RedisRateLimiter  # noqa: F401
    from langchain_compat.router import Deployment, Router  # noqa: F401


__getattr__, __dir__ = lazy_face(__name__, _EXPORTS, globals(), whole=frozenset({"errors"}))
