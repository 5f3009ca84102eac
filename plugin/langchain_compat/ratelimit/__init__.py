"""Rate limiters shared by several processes or machines.

:class:`RedisRateLimiter` is a langchain-core ``BaseRateLimiter`` whose state
lives in Redis (``pip install 'langchain-compat[redis]'``). Imported lazily so
``redis`` is needed only when one is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["RedisRateLimiter", "ThrottleAware", "scope_key"]

if TYPE_CHECKING:  # pragma: no cover
    from langchain_compat.ratelimit.protocol import ThrottleAware, scope_key
    from langchain_compat.ratelimit.redis import RedisRateLimiter


def __getattr__(name: str) -> Any:
    if name == "RedisRateLimiter":
        from langchain_compat.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter
    if name in ("ThrottleAware", "scope_key"):
        from langchain_compat.ratelimit import protocol

        return getattr(protocol, name)
    raise AttributeError(name)
