"""``ChatEktos``: Ektos AI.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import EKTOS, Provider

__all__ = ["ChatEktos"]


class ChatEktos(BaseChatCompat):
    """Ektos AI (``EKTOS_API_KEY``, Bearer auth, ``https://api.ektos.ai/v1``).

    Example:
        ```python
        from langchain_compat import ChatEktos

        ChatEktos(model="phi-3.5-mini-4k-instruct").invoke("Hello")
        ```
    """

    provider: ClassVar[Provider] = EKTOS
