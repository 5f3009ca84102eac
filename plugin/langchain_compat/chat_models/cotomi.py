"""``ChatCotomi``: NEC cotomi.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import COTOMI, Provider

__all__ = ["ChatCotomi"]


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
