"""Which chat model ``langchain-compat chat`` (and the recipes) build from a provider name.

``build_model`` finds the chat class registered for a provider (by its ``provider``
class attribute: data, not names), starting the embedded llama-server for ``local``
when no base URL is set; :class:`ScriptedChatModel` is the CLI's test hook
(``--fake-replies``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from langchain_compat.providers import LOCAL, Provider, get_provider

__all__ = ["PROVIDER_ENV", "ScriptedChatModel", "build_model"]

PROVIDER_ENV = "LANGCHAIN_COMPAT_PROVIDER"


def _chat_class(provider: Provider) -> type[BaseChatModel]:
    """The chat model class registered for ``provider``.

    Found by its ``provider`` class attribute (data, not names). A provider
    without its own class (e.g. ``local``) gets a subclass of
    ``ChatOpenAICompatible`` carrying its facts and profile.
    """
    from langchain_compat import chat_models
    from langchain_compat.chat_models import BaseChatCompat, ChatOpenAICompatible

    for name in getattr(chat_models, "__all__", ()):
        cls = getattr(chat_models, name, None)
        if (isinstance(cls, type) and issubclass(cls, BaseChatCompat)
                and cls.__dict__.get("provider") is provider):
            return cls
    name = "Chat" + "".join(part.capitalize() for part in provider.name.replace("-", " ").split())
    namespace = {"provider": provider, "__module__": __name__,
                 "__annotations__": {"provider": ClassVar[Provider]}}
    return type(name, (ChatOpenAICompatible,), namespace)


def build_model(
    provider: str | None = None,
    model: str | None = None,
    *,
    base_url: str | None = None,
    start_local: bool = True,
    **kwargs: Any,
) -> BaseChatModel:
    """A chat model for ``provider`` (default ``$LANGCHAIN_COMPAT_PROVIDER`` or ``local``).

    For ``local`` without a base URL (argument or
    ``LANGCHAIN_COMPAT_LOCAL_BASE_URL``), the embedded llama-server is started
    or reused through ``langchain_compat.local.ensure_server()``.

    Args:
        provider: a name from ``langchain_compat.providers.PROVIDERS``.
        model: model name (default: the provider's default).
        base_url: overrides the provider's base URL / env var.
        start_local: start the local server when needed (else just connect).
        **kwargs: passed to the chat model's constructor.

    Raises:
        ConfigurationError: unknown provider, missing key or base URL.
        LocalBackendError: the local server could not be started.
    """
    prov = get_provider(provider or os.environ.get(PROVIDER_ENV) or LOCAL.name)
    local_env = os.environ.get(prov.base_url_env or "") if prov.base_url_env else None
    if prov is LOCAL and base_url is None and not local_env and start_local:
        from langchain_compat.local import ensure_server

        server = ensure_server()
        base_url, model = server.base_url, model or server.model
    return _chat_class(prov)(model=model, base_url=base_url, **kwargs)


class ScriptedChatModel(BaseChatModel):
    """Test hook (``--fake-replies``): replies from a list, formatted with
    ``{n}`` (messages received) and ``{last}`` (the last user text)."""

    replies: list[str]
    index: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kw: Any) -> Any:
        from langchain_core.outputs import ChatGeneration, ChatResult

        text = self.replies[self.index % len(self.replies)] if self.replies else "ok"
        self.index += 1
        last = next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")
        text = text.format(n=len(messages), last=last)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kw: Any) -> Iterator[Any]:
        from langchain_core.outputs import ChatGenerationChunk

        text = self._generate(messages).generations[0].message.text
        for i, word in enumerate(text.split(" ")):
            chunk = ChatGenerationChunk(message=AIMessageChunk((" " if i else "") + word))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
