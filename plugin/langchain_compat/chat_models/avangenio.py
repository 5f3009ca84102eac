"""``ChatAvangenio``: Avangenio.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import AVANGENIO, Provider

__all__ = ["ChatAvangenio"]


class ChatAvangenio(BaseChatCompat):
    """Avangenio (``AVANGENIO_API_KEY``; models spark, radiance, supernova).

    Example:
        ```python
        from langchain_compat import ChatAvangenio

        ChatAvangenio(model="radiance").invoke("How many days are in a year?")
        ```
    """

    provider: ClassVar[Provider] = AVANGENIO
