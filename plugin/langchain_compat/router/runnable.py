"""A plain Runnable routed over per-deployment runnables (structured output)."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from langchain_compat.router import run
from langchain_compat.router.core import RouterCore

__all__ = ["RoutedRunnable"]


class RoutedRunnable(Runnable[Any, Any]):
    """``invoke``/``ainvoke`` on the deployment the router's core picks, with failover.

    Made by :meth:`Router.with_structured_output`: each deployment's runnable is
    its own ``with_structured_output`` (json schema, tool call or emulation).
    Tokens and cost are counted when the runnables return ``include_raw`` dicts.
    """

    def __init__(self, core: RouterCore, runnables: list[Runnable[Any, Any]]) -> None:
        self.core, self.runnables = core, runnables

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        result, _ = run.call(self.core, lambda i: self.runnables[i].invoke(input, config, **kwargs))
        return result

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        result, _ = await run.acall(
            self.core, lambda i: self.runnables[i].ainvoke(input, config, **kwargs))
        return result
