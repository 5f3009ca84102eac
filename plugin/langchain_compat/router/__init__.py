"""A small router: one chat model over several deployments, with cooldowns and failover.

``Router`` (a LangChain chat model) and ``Deployment``; the decisions live in the
sans-IO :mod:`~langchain_compat.router.core`. See docs/scaling.md.
"""

from __future__ import annotations

from langchain_compat.router.model import Deployment, Router

__all__ = ["Deployment", "Router"]
