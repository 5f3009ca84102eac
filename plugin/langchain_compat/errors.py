"""One exception hierarchy for everything langchain-compat raises.

Every error that crosses the public API is converted at one boundary
(``core.error_mapping.error_from_response`` for HTTP answers, ``transport`` for
network failures) into one of these classes::

    CompatError                         base of everything we raise
    ├── ConfigurationError (ValueError) bad settings, found before any request
    │   ├── MissingAPIKeyError          no key given and its env var is unset
    │   ├── MissingBaseURLError         no base URL and its env var is unset
    │   └── InvalidParameterError       out-of-range / wrong-type value
    │       ├── UnsupportedParameterError  the provider does not accept it
    │       │   └── ServerFeatureError  a llama-server feature asked of another server
    │       └── InvalidCredentialError  a key/header/URL unusable on the wire
    ├── APIError                        the provider answered with an error
    │   ├── BadRequestError             400 / 422 (provider's own message kept)
    │   │   ├── ToolsNotSupportedError  the backend refused `tools`/`functions`
    │   │   └── ContextOverflowError    the prompt does not fit the context window
    │   │                               (also LangChain's ContextOverflowError)
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404
    │   ├── ConflictError               409
    │   ├── RateLimitError              429 (``retry_after`` in seconds)
    │   ├── ServerError                 5xx (``retry_after`` when sent)
    │   │   └── ToolCallParseError      the server could not parse the model's tool
    │   │                               call (also a ToolCallError; never retried)
    │   ├── RedirectError               3xx: never followed (credentials stay put)
    │   └── ResponseParseError          2xx with a body we cannot read
    │       └── ResponseTooLargeError   body or stream event over the size cap
    ├── APIConnectionError              could not connect / connection reset
    │   └── APITimeoutError             connect, read or total timeout
    ├── StreamInterruptedError          a stream broke after its first byte;
    │                                   ``partial`` holds what had arrived
    ├── RealRequestBlockedError         a non-loopback host was reached in tests
    │                                   (``testing.block_real_requests``)
    ├── StructuredOutputError           ``with_structured_output`` got no valid
    │                                   object (also LangChain's OutputParserException)
    └── ToolCallError                   emulated tool calling failed for good

Errors carry ``status_code``, the provider's ``message``, ``request_id`` and
the ``provider`` name. They never carry an API key: messages built from
provider bodies go through :func:`redact` with the key in use.
"""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import ContextOverflowError as _LangChainContextOverflow
from langchain_core.exceptions import OutputParserException

from langchain_compat.redaction import redact

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CompatError",
    "ConfigurationError",
    "ConflictError",
    "ContextOverflowError",
    "InvalidCredentialError",
    "InvalidParameterError",
    "MissingAPIKeyError",
    "MissingBaseURLError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealRequestBlockedError",
    "RedirectError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ServerError",
    "ServerFeatureError",
    "StreamInterruptedError",
    "StructuredOutputError",
    "ToolCallError",
    "ToolCallParseError",
    "ToolsNotSupportedError",
    "UnsupportedParameterError",
    "redact",
]


class CompatError(Exception):
    """Base class of every exception raised by langchain-compat."""


class ConfigurationError(CompatError, ValueError):
    """Invalid configuration detected before any request was sent."""


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the provider's key env var is not set."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        hint = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(
            f"No API key for {provider}: {hint}pass api_key=... to the constructor."
        )


class MissingBaseURLError(ConfigurationError):
    """No base URL was given and the provider has no public default."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        hint = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(
            f"No base URL for {provider}: {hint}pass base_url=... "
            "(the provider publishes no default endpoint)."
        )


class InvalidParameterError(ConfigurationError):
    """A parameter value is out of range or of the wrong type."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"Invalid value for {param!r}: {message}")


class UnsupportedParameterError(InvalidParameterError):
    """The provider does not accept this parameter at all."""

    def __init__(self, param: str, provider: str, hint: str = "") -> None:
        self.provider = provider
        msg = f"{provider} does not support this parameter"
        if hint:
            msg += f"; {hint}"
        super().__init__(param, msg)


class ServerFeatureError(UnsupportedParameterError):
    """A feature of llama.cpp's llama-server (its own request fields such as ``top_k``,
    ``/props``) asked of a server that is not llama-server.

    Attributes:
        param: the field or method asked for.
        provider: the provider the model talks to.
    """

    def __init__(self, param: str, provider: str, hint: str) -> None:
        self.param = param
        self.provider = provider
        ConfigurationError.__init__(
            self, f"{param}: {provider} is not llama.cpp's llama-server; {hint}")


class InvalidCredentialError(InvalidParameterError):
    """An API key, header or base URL that cannot travel safely (bad characters, userinfo).

    The message names the setting and what is wrong, never the secret itself.
    """


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

    def __init__(self, message: str, *, status_code: int | None = None,
                 request_id: str | None = None, provider: str | None = None, body: Any = None,
                 retry_after: float | None = None) -> None:
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


class APIConnectionError(CompatError):
    """The connection failed (refused, reset, DNS) before a usable answer."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        self.message = message
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class APITimeoutError(APIConnectionError):
    """A connect, read or total timeout fired."""


class StreamInterruptedError(CompatError):
    """A stream broke after data had arrived; it is not retried.

    Attributes:
        partial: the text received before the break (also available as the
            concatenation of the chunks already yielded).
        chunks_received: how many chunks were yielded before the break.
    """

    def __init__(self, message: str, *, partial: str = "", chunks_received: int = 0,
                 provider: str | None = None) -> None:
        self.message = message
        self.partial = partial
        self.chunks_received = chunks_received
        self.provider = provider
        super().__init__(
            f"{provider + ': ' if provider else ''}stream interrupted after "
            f"{chunks_received} chunks: {message}"
        )


class StructuredOutputError(CompatError, OutputParserException):
    """``with_structured_output`` got no object that follows the schema.

    Raised the same way by ``invoke``/``ainvoke`` and ``stream``/``astream`` (at the
    end of the stream), for every method; with ``include_raw=True`` it is returned
    as ``parsing_error`` (``parsed`` is None) instead. Also an
    ``OutputParserException`` (and a ``ValueError``), so LangChain code that
    catches parser errors keeps working.

    Attributes:
        reason: why the reply could not be used (as the re-asks quoted it).
        method: the ``with_structured_output`` method.
        llm_output: the text of the model's last reply.
    """

    def __init__(self, reason: str, *, method: str, llm_output: str = "") -> None:
        self.reason = reason
        self.method = method
        message = (
            f"structured output ({method}) failed: {reason}. The model did not produce a valid "
            "object; raise max_tool_reasks for more re-asks, simplify the schema, or use a "
            "bigger model (or one with native structured output)"
        )
        super().__init__(message, llm_output=llm_output)
        self.args = (message,)  # without LangChain's troubleshooting link appended


class ToolCallError(CompatError):
    """Emulated tool calling could not obtain a valid call after re-asking."""


class ToolCallParseError(ServerError, ToolCallError):
    """The server failed to parse the model's output as a tool call (a 5xx).

    llama-server answers 500 "... does not match the expected peg-native format"
    when the model writes neither text nor a valid call; vLLM and SGLang have
    similar errors. The same request fails the same way again, so it is not
    retried; ``tool_calling="auto"`` re-sends the turn emulated (the package's
    own parser reads what the server could not), ``"native"`` raises this.
    """

    retryable = False



class RealRequestBlockedError(CompatError):
    """A connection to a host that is not loopback, while real requests are blocked.

    Raised by :func:`langchain_compat.testing.block_real_requests` (and the
    pytest plugin's ``--block-real-requests`` / ``block_real_requests`` marker)
    before any DNS lookup or connection, for sync and async clients alike.

    Attributes:
        host: the host (name or address) the code tried to reach.
        port: its port, when known.
    """

    def __init__(self, host: str, port: int | str | None = None) -> None:
        self.host = host
        self.port = port
        where = f"{host}:{port}" if port not in (None, "", 0) else host
        super().__init__(
            f"real request to {where} blocked: only loopback hosts (127.0.0.1, ::1, localhost) "
            "may be reached while block_real_requests() is on; point the client at an emulator "
            "(langchain_compat.testing.emulate) or a local server"
        )
