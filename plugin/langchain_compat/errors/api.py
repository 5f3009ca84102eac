"""Errors a provider answered with: HTTP status, redirect, unreadable body (see ``errors``)."""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import ContextOverflowError as _LangChainContextOverflow

from langchain_compat.errors.configuration import CompatError


class APIError(CompatError):
    """The provider answered with an error status.

    Attributes:
        status_code: HTTP status of the answer (None when not HTTP).
        message: the provider's own error message, secrets redacted.
        request_id: the provider's request id header, when it sent one.
        provider: provider name the client was talking to.
        body: the decoded error body (dict or text), secrets redacted.
        retry_after: the server's ``Retry-After`` hint in seconds (429, 503,
            any answer that sent one), else None.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        provider: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.provider = provider
        self.body = body
        parts = []
        if provider:
            parts.append(provider)
        if status_code is not None:
            parts.append(f"HTTP {status_code}")
        prefix = " ".join(parts)
        text = f"{prefix}: {message}" if prefix else message
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class BadRequestError(APIError):
    """400/422: the provider rejected the request; ``message`` says why."""


class ToolsNotSupportedError(BadRequestError):
    """The backend rejected native tool calling (``tools``/``functions``)."""


class ContextOverflowError(BadRequestError, _LangChainContextOverflow):
    """The prompt (or the prompt plus ``max_tokens``) does not fit the model's context window.

    Mapped from llama-server's 400 ``exceed_context_size_error`` (which carries both
    numbers) and from the messages of vLLM and OpenAI ("maximum context length is N
    tokens ... M tokens"); raised by ``invoke`` and ``stream`` alike. It is also
    LangChain's ``ContextOverflowError``, so ``SummarizationMiddleware`` and other
    code catching that one react to it. Never retried: the same prompt fails again.

    Attributes:
        n_prompt_tokens: the prompt's tokens as the server counted them (None if not said).
        n_ctx: the context window (per slot on llama-server; None if not said).
    """

    retryable = False

    def __init__(self, message: str, *, n_prompt_tokens: int | None = None,
                 n_ctx: int | None = None, **kwargs: Any) -> None:
        self.n_prompt_tokens = n_prompt_tokens
        self.n_ctx = n_ctx
        super().__init__(message, **kwargs)
        sizes = f"{n_prompt_tokens} prompt tokens, context {n_ctx}: " if n_prompt_tokens and n_ctx \
            else ""
        self.args = (f"{self.args[0]} ({sizes}trim the history, e.g. with langchain_compat."
                     "memory.trim_to_window, or give the server a larger context)",)


class AuthenticationError(APIError):
    """401: the API key is missing, wrong or sent in the wrong header."""


class PermissionDeniedError(APIError):
    """403: the key is valid but not allowed to do this."""


class NotFoundError(APIError):
    """404: wrong base URL/path or unknown model."""


class ConflictError(APIError):
    """409: conflicting request (retried)."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds."""


class ServerError(APIError):
    """5xx: the provider failed (retried before being raised)."""


class ResponseParseError(APIError):
    """A success status with a body that is not a valid completion."""


class RedirectError(APIError):
    """A 3xx answer: redirects are never followed (not even by a caller's
    ``follow_redirects=True`` client), so the key and auth headers cannot reach
    another host. Point ``base_url`` at the final address.

    Attributes:
        location: where the server pointed, without credentials or query string.
    """

    def __init__(self, status_code: int, location: str, *, provider: str | None = None) -> None:
        self.location = location
        super().__init__(
            f"the server answered a redirect to {location or '(no Location header)'}; redirects "
            "are not followed so that credentials stay with base_url: set base_url to the "
            "final address",
            status_code=status_code, provider=provider)


# -- transport hardening ------------------------------------------------------
class ResponseTooLargeError(ResponseParseError):
    """A response body (or one stream event) is larger than ``max_response_bytes``.

    Attributes:
        limit: the cap in bytes that was exceeded.
    """

    def __init__(self, limit: int, *, status_code: int | None = None, provider: str | None = None,
                 what: str = "response body") -> None:
        self.limit = limit
        super().__init__(
            f"the {what} exceeds max_response_bytes={limit}; the server sent more than any "
            "completion needs (raise the limit only if such answers are expected)",
            status_code=status_code, provider=provider,
        )


for _cls in (
        ContextOverflowError,
        APIError, BadRequestError, ToolsNotSupportedError, AuthenticationError,
        PermissionDeniedError, NotFoundError, ConflictError, RateLimitError, ServerError,
        ResponseParseError, RedirectError, ResponseTooLargeError,
):
    _cls.__module__ = "langchain_compat.errors"  # pickles and reprs name the public module
