"""``ChatTelkom``: Telkom AI.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import TELKOM, Provider

__all__ = ["ChatTelkom"]


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
