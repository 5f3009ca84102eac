"""Token counts for LangChain's API (``get_num_tokens*``, ``trim_messages(token_counter=llm)``).

LangChain's default counts with GPT-2's tokenizer through ``transformers``
(an ImportError without it, a download with it). Ours needs neither: where the
profile names the server's tokenizer endpoint (``tokenize_endpoint``:
llama.cpp's and vLLM's ``/tokenize``) each piece of text is counted there,
remembered in a bounded process-wide cache; otherwise, and on any error from
the server, the calibrated offline estimate of
:mod:`langchain_compat.memory.tokens` is used (an upper bound). The chat
template's overhead per message and per tool call is the estimator's either way.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
from langchain_core.messages import AIMessage, BaseMessage

from langchain_compat.core.reasoning import message_reasoning
from langchain_compat.memory.tokens import count_tokens, estimate_text_tokens, estimate_tools_tokens
from langchain_compat.transport.driver import HTTPDriver

__all__ = ["CACHE_SIZE", "RETRY_AFTER_FAILURE", "ServerTokenizer", "request_tokens", "tokenize_url"]

logger = logging.getLogger(__name__)

#: Texts whose server count is remembered (least recently used dropped first).
CACHE_SIZE = 4096
#: Seconds a tokenizer URL that failed is not asked again (the estimate answers meanwhile).
RETRY_AFTER_FAILURE = 60.0
#: Seconds one ``/tokenize`` request may take before the estimate answers instead.
TOKENIZE_TIMEOUT = 5.0

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str | None, bytes], list[int]] = OrderedDict()
_failed: dict[str, float] = {}


def tokenize_url(base_url: str, endpoint: str) -> str:
    """Where the tokenizer is: ``endpoint`` below the server root (``base_url`` without ``/v1``)."""
    root = base_url.rstrip("/").removesuffix("/v1")
    return root + "/" + endpoint.lstrip("/")


def _read_ids(body: Any) -> list[int]:
    tokens = body.get("tokens") if isinstance(body, dict) else None
    if not isinstance(tokens, list):
        raise TypeError("no 'tokens' list in the answer")
    # llama.cpp answers [{"id", "piece"}] when asked for pieces; ids otherwise
    return [t["id"] if isinstance(t, dict) else int(t) for t in tokens]


class ServerTokenizer:
    """Counts text with a server's tokenizer endpoint, cached, estimating on any error.

    Args:
        driver: the chat model's HTTP driver (its client, headers and TLS settings).
        url: the tokenizer's URL (see :func:`tokenize_url`).
        model: sent as ``model`` (vLLM serves several models).
    """

    __slots__ = ("_driver", "_model", "url")

    def __init__(self, driver: HTTPDriver, url: str, model: str | None) -> None:
        self._driver = driver
        self.url = url
        self._model = model

    def token_ids(self, text: str) -> list[int] | None:
        """The server's token ids of ``text`` (None: unavailable now; estimate instead)."""
        key = (self.url, self._model, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
        with _lock:
            ids = _cache.get(key)
            if ids is not None:
                _cache.move_to_end(key)
                return ids
            if time.monotonic() < _failed.get(self.url, 0.0):
                return None
        ids = self._ask(text)
        with _lock:
            if ids is None:
                _failed[self.url] = time.monotonic() + RETRY_AFTER_FAILURE
                return None
            _failed.pop(self.url, None)
            _cache[key] = ids
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return ids

    def _ask(self, text: str) -> list[int] | None:
        # llama.cpp reads "content", vLLM "prompt"; each ignores the other's fields.
        body = {"content": text, "prompt": text, "add_special": False, "add_special_tokens": False}
        if self._model:
            body["model"] = self._model
        ep = self._driver.ep
        if ep.rate_limiter is not None:  # a tokenize request counts against the server's limit too
            ep.rate_limiter.acquire()
        try:
            resp = ep.sync().post(self.url, json=body, headers=ep.headers, params=dict(ep.query),
                                  timeout=TOKENIZE_TIMEOUT)
            resp.raise_for_status()
            return _read_ids(resp.json())
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            # The URL has no credentials (check_base_url refuses them); the key is in no message here.
            logger.info("token count: %s failed (%s); using the offline estimate", self.url,
                        type(exc).__name__)
            return None

    def count(self, text: str) -> int:
        """Tokens in ``text``: the server's count, else the offline estimate."""
        if not text:
            return 0
        ids = self.token_ids(text)
        return len(ids) if ids is not None else estimate_text_tokens(text)


def text_counter(tokenizer: ServerTokenizer | None,
                 custom: Callable[[str], list[int]] | None) -> Callable[[str], int]:
    """How one piece of text is counted: ``custom_get_token_ids``, the server, or the estimate."""
    if custom is not None:
        return lambda text: len(custom(text)) if text else 0
    if tokenizer is not None:
        return tokenizer.count
    return estimate_text_tokens


def clear_cache() -> None:
    """Forget cached counts and remembered failures (tests; a server whose model changed)."""
    with _lock:
        _cache.clear()
        _failed.clear()


def request_tokens(messages: list[BaseMessage], tools: Any, counter: Callable[[str], int], *,
                   replay_reasoning: bool) -> int:
    """Tokens a request with ``messages`` and ``tools`` takes, template overhead included;
    with ``replay_reasoning`` the reasoning sent back on assistant turns with calls too."""
    total = count_tokens(messages, counter) + estimate_tools_tokens(tools, counter)
    if replay_reasoning:
        total += sum(counter(message_reasoning(m) or "") for m in messages
                     if isinstance(m, AIMessage) and m.tool_calls)
    return total
