"""One exception hierarchy for everything langchain-compat raises.

Every error that crosses the public API is converted at one boundary
(``core.error_mapping.error_from_response`` for HTTP answers, ``transport`` for
network failures) into one of these classes::

    CompatError                         base of everything we raise
    ├── ConfigurationError (ValueError) bad settings, found before any request
    │   ├── MissingAPIKeyError          no key given and its env var is unset
    │   ├── MissingBaseURLError         no base URL and its env var is unset
    │   ├── ModelNotServedError         the server lists its models: not this one
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
    │       └── RateLimiterTimeoutError a shared rate limit gave no slot within ``max_wait``
    ├── StoreError                      Redis (shared rate limit) or PostgreSQL (memory)
    │   │                               failed: down, refused, broke mid-call
    │   └── StoreTimeoutError           a connect, statement or socket timeout, or the
    │                                   setup-lock wait, passed its bound
    ├── StreamInterruptedError          a stream broke after its first byte;
    │                                   ``partial`` holds what had arrived
    ├── RealRequestBlockedError         a non-loopback host was reached in tests
    │                                   (``testing.block_real_requests``)
    ├── StructuredOutputError           ``with_structured_output`` got no valid
    │                                   object (also LangChain's OutputParserException)
    └── ToolCallError                   emulated tool calling failed for good

Errors carry ``status_code``, the provider's ``message``, ``request_id`` and
the ``provider`` name. They never carry an API key or password: provider bodies
go through :func:`redact`; store errors keep the driver's error, redacted, as ``__cause__``.
"""

from __future__ import annotations

from langchain_compat.errors.api import (
    ContextOverflowError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseParseError,
    ResponseTooLargeError,
    ServerError,
    ToolsNotSupportedError,
)
from langchain_compat.errors.configuration import (
    ServerFeatureError,
    CompatError,
    ConfigurationError,
    InvalidCredentialError,
    InvalidParameterError,
    MissingAPIKeyError,
    MissingBaseURLError,
    ModelNotServedError,
    UnsupportedParameterError,
)
from langchain_compat.errors.runtime import (
    APIConnectionError,
    APITimeoutError,
    RateLimiterTimeoutError,
    RealRequestBlockedError,
    StoreError,
    StoreTimeoutError,
    StreamInterruptedError,
    StructuredOutputError,
    ToolCallError,
    ToolCallParseError,
)
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
    "ModelNotServedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealRequestBlockedError",
    "RedirectError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RateLimiterTimeoutError",
    "ServerError",
    "ServerFeatureError",
    "StoreError",
    "StoreTimeoutError",
    "StreamInterruptedError",
    "StructuredOutputError",
    "ToolCallError",
    "ToolCallParseError",
    "ToolsNotSupportedError",
    "UnsupportedParameterError",
    "redact",
]
