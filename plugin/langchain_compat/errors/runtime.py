"""Errors of a call under way: connection, store, stream, structured output, tool calls
(see ``errors``)."""

from __future__ import annotations


from langchain_core.exceptions import OutputParserException

from langchain_compat.errors.api import ServerError
from langchain_compat.errors.configuration import CompatError


class APIConnectionError(CompatError):
    """The connection failed (refused, reset, DNS) before a usable answer."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        self.message = message
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class APITimeoutError(APIConnectionError):
    """A connect, read or total timeout fired."""


class RateLimiterTimeoutError(APITimeoutError):
    """A shared rate limiter gave no slot within its ``max_wait`` (no request was sent).

    Attributes:
        scope: the limiter's bucket (provider and key digest).
        waited: seconds waited.
    """

    def __init__(self, message: str, *, scope: str | None = None, waited: float = 0.0) -> None:
        self.scope = scope
        self.waited = waited
        super().__init__(message)


class StoreError(CompatError):
    """A shared store failed: the Redis of a ``RedisRateLimiter`` or the PostgreSQL of
    a conversation memory (down, refused the credentials, broke mid-call, bad answer).

    Attributes:
        store: ``"redis"`` or ``"postgresql"``.
        target: the store's URL without its password.
    """

    def __init__(self, message: str, *, store: str, target: str = "") -> None:
        self.store = store
        self.target = target
        super().__init__(message)


class StoreTimeoutError(StoreError):
    """A store call passed its connect, statement or socket timeout, or the setup-lock wait."""


class StreamInterruptedError(CompatError):
    """A stream broke after data had arrived; it is not retried.

    Attributes:
        partial: the text received before the break (also available as the
            concatenation of the chunks already yielded).
        chunks_received: how many chunks were yielded before the break.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: str = "",
        chunks_received: int = 0,
        provider: str | None = None,
    ) -> None:
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
    catches parser errors keeps working. The message names the path that ran, the
    requests made and the field that failed, and advises only what applies there.

    Attributes:
        reason: why the reply could not be used (as the re-asks quoted it).
        method: the ``with_structured_output`` method.
        llm_output: the text of the model's last reply.
        path: the path that ran: ``"native json_schema"``, ``"json_mode"``,
            ``"prompted JSON"``, ``"function calling"`` or ``"function calling, emulated"``.
        requests: requests the call made (None: unknown).
        field: the field that failed validation (dotted path), if one did.
        advice: what to do about it.
    """

    def __init__(self, reason: str, *, method: str, llm_output: str = "", path: str | None = None,
                 requests: int | None = None, field: str | None = None,
                 problem: str | None = None, advice: str | None = None) -> None:
        self.reason, self.method, self.path = reason, method, path
        self.requests, self.field, self.advice = requests, field, advice
        count = f"{requests} request{'s' if requests != 1 else ''}" if requests is not None else ""
        how = [part for part in (f"method={method!r}", path and f"path: {path}", count) if part]
        message = f"structured output failed ({', '.join(how)}): {problem or reason}."
        if field and llm_output:
            shown = llm_output if len(llm_output) <= 200 else llm_output[:197] + "..."
            message += f" The reply: {shown!r}."
        elif problem and problem != reason:
            message += f" Why: {reason}."
        message += " " + (advice or (
            "The model did not produce a valid object; raise max_tool_reasks for more re-asks, "
            "simplify the schema, or use a model with native structured output."))
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


for _cls in (
        APIConnectionError, APITimeoutError, RateLimiterTimeoutError, StoreError,
        StoreTimeoutError, StreamInterruptedError, StructuredOutputError, ToolCallError,
        ToolCallParseError, RealRequestBlockedError,
):
    _cls.__module__ = "langchain_compat.errors"  # pickles and reprs name the public module
