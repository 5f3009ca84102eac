"""``ChatLocal``: the embedded local backend.

Its provider record is all that differs from the base. One module per chat model, so
importing one builds one pydantic class, not six.
"""

from __future__ import annotations

from typing import ClassVar

from langchain_compat.chat_models.base import BaseChatCompat
from langchain_compat.providers import LOCAL, Provider

__all__ = ["ChatLocal"]


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
