"""``Router``: one LangChain chat model over several deployments of a logical model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from langchain_compat.errors import InvalidParameterError
from langchain_compat.router import run
from langchain_compat.router.core import DeploymentState, RouterCore, RouterEvent, Strategy
from langchain_compat.router.runnable import RoutedRunnable

__all__ = ["Deployment", "Router"]


class Deployment(BaseModel):
    """One deployment: a chat model instance (so its base URL, key, model name,
    provider class and tool-calling mode) with its share of the traffic and prices.

    Attributes:
        model: any LangChain chat model (``ChatCotomi(...)``, ``ChatLocal()``, ``ChatOpenAI``...).
        name: shown in usage and metadata (default: its index and model name).
        weight: share of the traffic (``weighted``) or capacity (``least-busy``).
        priority: lower is tried first; a higher one is a fallback (hosted 0, local 1).
        input_cost_per_token, output_cost_per_token: prices for the cost total.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any
    name: str | None = None
    weight: float = Field(default=1.0, gt=0)
    priority: int = 0
    input_cost_per_token: float = Field(default=0.0, ge=0)
    output_cost_per_token: float = Field(default=0.0, ge=0)


def _label(i: int, d: Deployment) -> str:
    model = (getattr(d.model, "model_name", None) or getattr(d.model, "model", None)
             or type(d.model).__name__)
    return d.name or f"{i}:{model}"


def _without_retries(model: Any) -> Any:
    """A copy of ``model`` that fails at once: the router, not the client, retries elsewhere."""
    fields = getattr(type(model), "model_fields", {})
    if "max_retries" in fields and getattr(model, "max_retries", 0):
        return model.model_copy(update={"max_retries": 0})
    return model


class Router(BaseChatModel):
    """A chat model that spreads calls over deployments and fails over between them.

    A 429 cools a deployment for its ``Retry-After`` (``cooldown`` when it sends 0 or
    a past date); a 5xx, a timeout, a refused connection or an unreadable success
    answer (an HTML page) for ``cooldown`` seconds; a 401/403/404, a 400 naming an
    unknown model or a redirect for ``config_cooldown``; never longer than
    ``max_cooldown``. A cooling deployment gets no call. Other errors (a bad
    request) are raised; when every deployment cools longer than ``max_wait``,
    the last error (or an ``APITimeoutError``). Tools
    and structured output are bound per deployment, so each keeps its own tool
    calling mode (native on one, emulated on another) and an agent can fail over
    mid-run. A stream fails over only before its first chunk. Each answer's
    ``response_metadata["router"]`` has the deployment, the call's cost, the
    per-deployment usage and the summed ``total_cost``.

    Args:
        deployments: :class:`Deployment` objects, or bare chat models (weight 1).
        strategy: ``least-busy``, ``weighted`` or ``ordered`` (within a priority).
        cooldown, config_cooldown, max_attempts, max_wait, max_cooldown (300 s):
            see :class:`RouterCore`.
        disable_inner_retries: copy each model with ``max_retries=0`` so a failing
            deployment is left at once (default True).
        on_event: called with each dispatch and cooldown (:class:`RouterEvent`).

    Raises:
        InvalidParameterError: no deployment, or two with the same name.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    deployments: list[Deployment]
    strategy: Strategy = "least-busy"
    cooldown: float = Field(default=5.0, ge=0)
    config_cooldown: float = Field(default=60.0, ge=0)
    max_attempts: int | None = Field(default=None, ge=1)
    max_wait: float = Field(default=30.0, ge=0)
    max_cooldown: float = Field(default=300.0, gt=0)
    disable_inner_retries: bool = True
    on_event: Callable[[RouterEvent], None] | None = Field(default=None, exclude=True)

    _core: RouterCore = PrivateAttr()
    _runnables: list[Any] = PrivateAttr()
    _names: list[str] = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("deployments"), Sequence):
            data = {**data, "deployments": [d if isinstance(d, Deployment) else
                                            Deployment(**d) if isinstance(d, dict) else
                                            Deployment(model=d) for d in data["deployments"]]}
        return data

    def model_post_init(self, context: Any) -> None:
        if not self.deployments:
            raise InvalidParameterError("deployments", "give at least one chat model")
        self._names = [_label(i, d) for i, d in enumerate(self.deployments)]
        if len(set(self._names)) != len(self._names):
            raise InvalidParameterError("deployments", f"names must differ, got {self._names}")
        if self.disable_inner_retries:
            for d in self.deployments:
                d.model = _without_retries(d.model)
        self._runnables = [d.model for d in self.deployments]
        self._core = self._new_core()

    def _new_core(self) -> RouterCore:
        return RouterCore(
            [DeploymentState(n, d.weight, d.priority, d.input_cost_per_token,
                             d.output_cost_per_token)
             for n, d in zip(self._names, self.deployments)],
            strategy=self.strategy, cooldown=self.cooldown, config_cooldown=self.config_cooldown,
            max_attempts=self.max_attempts, max_wait=self.max_wait,
            max_cooldown=self.max_cooldown, on_event=self.on_event)

    # -- pickling --------------------------------------------------------------------
    def __getstate__(self) -> dict[Any, Any]:
        """Deployments and settings; the live state (calls in flight, cooldowns, totals)
        belongs to this process: a loaded copy starts with its own."""
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.pop("_core", None)
        return {**state, "__pydantic_private__": private}

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._core = self._new_core()

    @property
    def _llm_type(self) -> str:
        return "langchain-compat-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"deployments": self._names, "strategy": self.strategy}

    # -- accounting ------------------------------------------------------------------
    def usage(self) -> dict[str, dict[str, Any]]:
        """Per-deployment totals since creation: calls, failures, tokens, cost."""
        return self._core.usage()

    @property
    def total_cost(self) -> float:
        """Sum of every deployment's tokens x its prices so far."""
        return self._core.total_cost()

    def _meta(self, outcome: run.Outcome) -> dict[str, Any]:
        return {"router": {"deployment": self._names[outcome.index],
                           "failed_over": [self._names[i] for i in outcome.failed],
                           "cost": outcome.cost, "usage": self.usage(),
                           "total_cost": self.total_cost}}

    # -- binding: per deployment, sharing the live state -------------------------------
    def _derive(self, runnables: list[Any]) -> Router:
        twin = self.model_copy()
        twin._runnables, twin._core, twin._names = runnables, self._core, self._names
        return twin

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Router:  # type: ignore[override]
        """Each deployment binds the tools its own way (native or emulated)."""
        return self._derive([r.bind_tools(tools, **kwargs) for r in self._runnables])

    def with_structured_output(  # type: ignore[override]
        self, schema: Any, **kwargs: Any,
    ) -> Runnable:
        """Each deployment's own structured output, routed (usage counted with ``include_raw``)."""
        return RoutedRunnable(core=self._core, runnables=[
            r.with_structured_output(schema, **kwargs) for r in self._runnables])

    # -- calls -------------------------------------------------------------------------
    @staticmethod
    def _options(stop: list[str] | None, manager: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Call options passed on to the deployment (its own run is traced on its own)."""
        opts = dict(kwargs)
        if stop is not None:
            opts["stop"] = stop
        return opts

    def _result(self, message: Any, outcome: run.Outcome) -> ChatResult:
        if not isinstance(message, BaseMessage):
            message = AIMessage(content=str(message))
        message.response_metadata = {**message.response_metadata, **self._meta(outcome)}
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        opts = self._options(stop, run_manager, kwargs)
        message, outcome = run.call(self._core,
                                    lambda i: self._runnables[i].invoke(messages, **opts))
        return self._result(message, outcome)

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        opts = self._options(stop, run_manager, kwargs)
        message, outcome = await run.acall(
            self._core, lambda i: self._runnables[i].ainvoke(messages, **opts))
        return self._result(message, outcome)

    def _chunk(self, item: Any) -> ChatGenerationChunk:
        if isinstance(item, run.Outcome):
            return ChatGenerationChunk(
                message=AIMessageChunk(content="", response_metadata=self._meta(item)))
        return ChatGenerationChunk(message=item if isinstance(item, AIMessageChunk) else
                                   AIMessageChunk(content=str(getattr(item, "content", item))))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        opts = self._options(stop, run_manager, kwargs)
        for item in run.stream(self._core, lambda i: self._runnables[i].stream(messages, **opts)):
            chunk = self._chunk(item)
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        opts = self._options(stop, run_manager, kwargs)
        async for item in run.astream(self._core,
                                      lambda i: self._runnables[i].astream(messages, **opts)):
            chunk = self._chunk(item)
            if run_manager is not None and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
