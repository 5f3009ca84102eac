"""Window trimming as ``create_agent`` middleware (needs the ``memory`` extra).

``TrimToWindowMiddleware`` trims only what the model sees on each call; the
agent's state (and so its checkpointer) keeps the whole history::

    from langchain.agents import create_agent
    from langchain_compat.memory.middleware import TrimToWindowMiddleware

    agent = create_agent(model, tools, middleware=[TrimToWindowMiddleware()],
                         checkpointer=SqliteSaver(conn))

The budget is the request model's window (``model.profile``) minus the reply
reserve and the bound tools' schemas, unless ``max_tokens`` / ``profile`` are
given. For summarizing instead of dropping, LangChain's own
``SummarizationMiddleware`` works with every langchain-compat model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import SystemMessage

from langchain_compat.memory.estimate import count_tokens
from langchain_compat.memory.trim import TokenCounter, trim_to_window

__all__ = ["TrimToWindowMiddleware"]


class TrimToWindowMiddleware(AgentMiddleware):
    """Trim each model request to the context window (see :func:`trim_to_window`)."""

    def __init__(
        self,
        *,
        max_tokens: int | None = None,
        profile: Any = None,
        reserve_for_output: int | None = None,
        token_counter: TokenCounter = count_tokens,
    ) -> None:
        super().__init__()
        self.max_tokens = max_tokens
        self.profile = profile
        self.reserve_for_output = reserve_for_output
        self.token_counter = token_counter

    def _trim(self, request: ModelRequest) -> ModelRequest:
        system = [request.system_message] if request.system_message is not None else []
        trimmed = trim_to_window(
            [*system, *request.messages],
            max_tokens=self.max_tokens,
            profile=self.profile,
            model=request.model,
            reserve_for_output=self.reserve_for_output,
            token_counter=self.token_counter,
            tools=request.tools,
        )
        if system:
            new_system, trimmed = trimmed[0], trimmed[1:]
            assert isinstance(new_system, SystemMessage)
            return request.override(system_message=new_system, messages=trimmed)
        return request.override(messages=trimmed)

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> Any:
        return handler(self._trim(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> Any:
        window = getattr(request.model, "acontext_window", None)
        if self.profile is None and self.max_tokens is None and callable(window):
            await window()  # llama-server's /props read without blocking the loop (then cached)
        return await handler(self._trim(request))
