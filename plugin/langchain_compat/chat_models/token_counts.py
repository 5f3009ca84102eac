"""Token counts for LangChain's API (``get_num_tokens*``, ``trim_messages(token_counter=llm)``).

LangChain's default counts with GPT-2's tokenizer through ``transformers``
(an ImportError without it, a download with it). Ours needs neither: where the
profile names the server's tokenizer endpoint (``tokenize_endpoint``:
llama.cpp's and vLLM's ``/tokenize``) each piece of text is counted there,
remembered in a bounded process-wide cache of counts (per backend: URL, model and
key digest, so one tenant's counts are not another's); otherwise, and on any error
from the server, the calibrated offline estimate of
:mod:`langchain_compat.memory.estimate` is used (an upper bound). A failed tokenizer
is a fact about the backend: the model's ``backend_memory`` keeps it, and the
estimate answers until it is asked again. The chat template's overhead per
message and per tool call is the estimator's either way.

One server count takes at most ``tokenize_timeout`` seconds in total, the rate
limiter's wait included (memory trimming counts before every model call, so a
slow or dripping ``/tokenize`` must not hold a turn). An answer larger than
:func:`body_limit`, nested too deep, with ids that are not token ids, or with
more tokens than the text has bytes is not believed: the estimate answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from langchain_core.messages import AIMessage, BaseMessage

from langchain_compat.core.reasoning import message_reasoning
from langchain_compat.errors import ConfigurationError, RateLimiterTimeoutError, StoreError
from langchain_compat.profiles import Profile, ReasoningReplay
from langchain_compat.memory.estimate import (
    count_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
)
from langchain_compat.transport.driver import HTTPDriver
from langchain_compat.transport.wire import Attempt, Budget

if TYPE_CHECKING:
    from langchain_compat.core.backend_memory import BackendKey, BackendMemory
    from langchain_compat.providers.base import Provider

__all__ = ["CACHE_SIZE", "ServerTokenizer", "TokenCountMethods", "request_tokens",
           "tokenize_url"]

logger = logging.getLogger(__name__)

#: Texts whose server count is remembered (least recently used dropped first).
CACHE_SIZE = 4096
#: Seconds one server count may take in total (the chat model's ``tokenize_timeout``).
TOKENIZE_TIMEOUT = 5.0
#: Largest ids a token id may be (vocabularies are far smaller).
MAX_TOKEN_ID = 2**32
#: Token ids beyond one per byte of text allowed (a prefix space, a stray special token).
EXTRA_TOKENS = 8
#: Seconds between non-blocking tries of a rate limiter while a count waits for it.
LIMITER_POLL = 0.05

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, BackendKey, bytes], list[int]] = OrderedDict()


def tokenize_url(base_url: str, endpoint: str) -> str:
    """Where the tokenizer is: ``endpoint`` below the server root (``base_url`` without ``/v1``)."""
    root = base_url.rstrip("/").removesuffix("/v1")
    return root + "/" + endpoint.lstrip("/")


def body_limit(text: str) -> int:
    """Largest ``/tokenize`` answer read for ``text``, in bytes (after decompression)."""
    return 64 * 1024 + 32 * len(text.encode("utf-8", "surrogatepass"))


def _read_ids(body: Any, text: str) -> list[int]:
    """The token ids of a ``/tokenize`` answer.

    Raises:
        TypeError: no ``tokens`` list, an id that is not a token id, or more
            tokens than ``text`` has bytes (a server answering garbage).
    """
    tokens = body.get("tokens") if isinstance(body, dict) else None
    if not isinstance(tokens, list):
        raise TypeError("no 'tokens' list in the answer")
    if len(tokens) > len(text.encode("utf-8", "surrogatepass")) + EXTRA_TOKENS:
        raise TypeError(f"{len(tokens)} tokens for {len(text)} characters")
    # llama.cpp answers [{"id", "piece"}] when asked for pieces; ids otherwise
    ids = [t.get("id") if isinstance(t, dict) else t for t in tokens]
    if not all(type(i) is int and 0 <= i < MAX_TOKEN_ID for i in ids):
        raise TypeError("an answer's token id is not an integer id")
    return ids


def _read_capped(resp: httpx.Response, limit: int, deadline: float) -> bytes:
    """The body of ``resp``, decompressed at most ``limit`` bytes at a time (a gzip bomb
    stops at the limit: httpx would inflate a whole network read at once).

    Raises:
        ValueError: larger than ``limit``, or an encoding that cannot be bounded.
        httpx.ReadTimeout: ``deadline`` passed (a caller-owned client is checked here).
    """
    encoding = resp.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise ValueError(f"unexpected content-encoding {encoding!r}")
    inflate = zlib.decompressobj(47) if encoding not in ("", "identity") else None  # gzip/zlib
    data = bytearray()
    for raw in resp.iter_raw():
        data += inflate.decompress(raw, limit + 1 - len(data)) if inflate else raw
        if len(data) > limit:
            raise ValueError(f"answer larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("total tokenize timeout exceeded")
    return bytes(data)


def _admit(limiter: Any, deadline: float) -> bool:
    """Book a request with ``limiter`` by ``deadline`` (polling, never blocking past it)."""
    while not limiter.acquire(blocking=False):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(LIMITER_POLL, left))
    return True


class ServerTokenizer:
    """Counts text with a server's tokenizer endpoint, cached, estimating on any error.

    Args:
        driver: the chat model's HTTP driver (its client, headers and TLS settings).
        url: the tokenizer's URL (see :func:`tokenize_url`).
        model: sent as ``model`` (vLLM serves several models).
        timeout: seconds one count may take in total, limiter wait included.
        memory, backend: where a failure is remembered, and for which backend (the
            chat model's ``backend_memory`` and its base URL, model and key digest).
    """

    __slots__ = ("_backend", "_driver", "_memory", "_model", "_timeout", "url")

    def __init__(self, driver: HTTPDriver, url: str, model: str | None,
                 timeout: float = TOKENIZE_TIMEOUT, *, memory: BackendMemory,
                 backend: BackendKey) -> None:
        self._driver = driver
        self.url = url
        self._model = model
        self._timeout = timeout
        self._memory, self._backend = memory, backend

    @classmethod
    def of(cls, model: Any) -> ServerTokenizer | None:
        """The tokenizer of a chat model whose profile names one (``tokenize_endpoint``)."""
        endpoint = model.compat_profile.tokenize_endpoint
        if not endpoint:
            return None
        return cls(model.driver, tokenize_url(model.base_url or "", endpoint), model.model_name,
                   model.tokenize_timeout, memory=model.backend_memory, backend=model._backend())

    def token_ids(self, text: str) -> list[int] | None:
        """The server's token ids of ``text`` (None: unavailable now; estimate instead)."""
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        key = (self.url, self._backend, digest)
        with _lock:
            ids = _cache.get(key)
            if ids is not None:
                _cache.move_to_end(key)
                return ids
        if not self._memory.tokenize_due(self._backend):
            return None
        ids = self._ask(text)
        if ids is None:
            self._memory.learn_tokenize_unreadable(self._backend)
            return None
        with _lock:
            _cache[key] = ids
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return ids

    def _ask(self, text: str) -> list[int] | None:
        # llama.cpp reads "content", vLLM "prompt"; each ignores the other's fields.
        body = {"content": text, "prompt": text, "add_special": False, "add_special_tokens": False}
        if self._model:
            body["model"] = self._model
        deadline = time.monotonic() + self._timeout
        try:
            return _read_ids(json.loads(self._post(body, deadline, body_limit(text))), text)
        except (httpx.HTTPError, ValueError, TypeError, RecursionError, zlib.error, StoreError,
                RateLimiterTimeoutError) as exc:
            # The URL has no credentials (check_base_url refuses them); the key is in no
            # message here.
            logger.info("token count: %s failed (%s); using the offline estimate", self.url,
                        type(exc).__name__)
            return None

    def _post(self, body: dict[str, Any], deadline: float, limit: int) -> bytes:
        """The answer's body, read by ``deadline`` and at most ``limit`` bytes.

        Raises:
            httpx.TimeoutException: the deadline passed (the limiter's wait included).
            ValueError: the answer is larger than ``limit``.
        """
        ep = self._driver.ep
        # A tokenize request counts against the server's limit too, within the deadline.
        if ep.rate_limiter is not None and not _admit(ep.rate_limiter, deadline):
            raise httpx.PoolTimeout("the rate limiter gave no slot in time")
        attempt = Attempt(deadline)  # our clients cut every socket call to it (wire.py)
        left = max(deadline - time.monotonic(), 0.001)
        timeouts = {"connect": Budget(left, attempt), "read": Budget(left, attempt),
                    "write": Budget(left, attempt), "pool": left}
        client = ep.sync()
        headers = {**ep.headers, "accept-encoding": "identity"}
        request = client.build_request("POST", self.url, json=body, headers=headers,
                                       params=dict(ep.query), extensions={"timeout": timeouts})
        resp = client.send(request, stream=True, follow_redirects=False)
        try:
            resp.raise_for_status()
            return _read_capped(resp, limit, deadline)
        finally:
            resp.close()

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
    """Forget the cached counts (tests; a server whose model changed). A failed tokenizer
    is the backend memory's to forget (``BackendMemory.reset``)."""
    with _lock:
        _cache.clear()


def request_tokens(messages: list[BaseMessage], tools: Any, counter: Callable[[str], int], *,
                   replay_reasoning: bool) -> int:
    """Tokens a request with ``messages`` and ``tools`` takes, template overhead included;
    with ``replay_reasoning`` the reasoning sent back on assistant turns with calls too."""
    total = count_tokens(messages, counter) + estimate_tools_tokens(tools, counter)
    if replay_reasoning:
        total += sum(counter(message_reasoning(m) or "") for m in messages
                     if isinstance(m, AIMessage) and m.tool_calls)
    return total


class TokenCountMethods:
    """``get_num_tokens``, ``get_num_tokens_from_messages`` and ``get_token_ids`` of every chat
    model: the server's tokenizer where the profile names one, else the offline estimate."""

    if TYPE_CHECKING:  # what BaseChatCompat provides
        provider: Provider
        custom_get_token_ids: Callable[[str], list[int]] | None
        backend_memory: BackendMemory

        def _backend(self) -> BackendKey: ...

        @property
        def compat_profile(self) -> Profile: ...

    def _server_tokenizer(self) -> ServerTokenizer | None:
        return ServerTokenizer.of(self)

    def _text_counter(self) -> Callable[[str], int]:
        custom = self.custom_get_token_ids
        return text_counter(None if custom else self._server_tokenizer(), custom)

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text``: the server's tokenizer where the profile names one, else an estimate.

        Never needs ``transformers`` or ``tiktoken``; any error from the server
        falls back to the offline estimate (an upper bound, see
        :mod:`langchain_compat.memory.estimate`).
        """
        return self._text_counter()(text)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage],
                                     tools: Sequence[Any] | None = None) -> int:
        """Tokens a request with ``messages`` (and ``tools``) takes, template overhead included.

        Works as ``trim_messages(..., token_counter=llm)`` with no extra install.

        Args:
            messages: the conversation.
            tools: tools bound to the request (their schemas take prompt space).
        """
        return request_tokens(messages, tools, self._text_counter(), replay_reasoning=(
            self.compat_profile.reasoning_replay is ReasoningReplay.REQUIRED))

    def get_token_ids(self, text: str) -> list[int]:
        """The server tokenizer's ids of ``text`` (or ``custom_get_token_ids``'s).

        Raises:
            ConfigurationError: neither is available (or the server failed):
                ids need the model's own tokenizer; counts do not (``get_num_tokens``).
        """
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        tokenizer = self._server_tokenizer()
        ids = tokenizer.token_ids(text) if tokenizer is not None else None
        if ids is None:
            raise ConfigurationError(
                f"{self.provider.display_name}: no tokenizer for token ids (set "
                "profile_overrides={'tokenize_endpoint': '/tokenize'} for a server that has one, "
                "or custom_get_token_ids=...); get_num_tokens() counts without one")
        return ids
