"""The chat models compared, all pointed at one server with the same sampling.

Every client gets ``temperature=0``, the same ``seed`` and ``max_tokens`` and
no client-side retries (a retried request would hide a failure and cost
time twice). Only public classes are used, as a user would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

__all__ = ["CLIENTS", "DEFAULT_CLIENTS", "Sampling", "make_client"]


@dataclass(frozen=True)
class Sampling:
    """What every client sends."""

    model: str
    base_url: str
    max_tokens: int = 256
    seed: int = 42
    timeout: float = 120.0


def _chatopenai(s: Sampling) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=s.base_url, api_key="dummy", model=s.model, temperature=0,
                      max_tokens=s.max_tokens, seed=s.seed, max_retries=0, timeout=s.timeout)


def _ours(tool_calling: str, **profile: Any) -> Callable[[Sampling], BaseChatModel]:
    def build(s: Sampling) -> BaseChatModel:
        from langchain_compat import ChatOpenAICompatible

        return ChatOpenAICompatible(base_url=s.base_url, model=s.model, tool_calling=tool_calling,
                                    temperature=0, max_tokens=s.max_tokens, seed=s.seed,
                                    max_retries=0, timeout=s.timeout,
                                    profile_overrides=profile or None)
    return build


def _local(s: Sampling) -> BaseChatModel:
    from langchain_compat import ChatLocal

    return ChatLocal(base_url=s.base_url, model=s.model, temperature=0, max_tokens=s.max_tokens,
                     seed=s.seed, max_retries=0, timeout=s.timeout)


#: client name -> builder
CLIENTS: dict[str, Callable[[Sampling], BaseChatModel]] = {
    "chatopenai-native": _chatopenai,
    "ours-native": _ours("native"),
    "ours-emulated": _ours("emulated", constrained=False),
    # emulation decoded under a JSON schema of the tools (llama-server takes json_schema)
    "ours-constrained": _ours("emulated", constrained=True, json_schema=True),
    # the same under a GBNF grammar: a call of a bound tool, or an answer in plain text
    "ours-grammar": _ours("emulated", constrained=True, call_grammar=True,
                          server_kind="llama.cpp"),
    "chatlocal": _local,
}
DEFAULT_CLIENTS = ("chatopenai-native", "ours-native", "ours-emulated", "chatlocal")


def make_client(name: str, sampling: Sampling) -> Any:
    """Build the client ``name`` (a key of :data:`CLIENTS`).

    Raises:
        KeyError: unknown name.
    """
    return CLIENTS[name](sampling)
