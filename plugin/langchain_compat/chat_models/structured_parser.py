"""The output side of ``with_structured_output``: the object, or a typed error (never None).

LangChain's parsers return None when a reply holds no tool call, and their
streaming mode parses partial values only, so a reply that never becomes
valid ends a stream with no value and no error. :class:`StructuredOutput`
wraps them: a stream is added up and the whole reply checked once at its end
exactly as ``invoke`` checks it, so the same reply gives the same object or the
same :class:`~langchain_compat.errors.StructuredOutputError` in ``invoke``,
``ainvoke``, ``stream`` and ``astream``. With ``include_raw=True`` the error
is returned as ``parsing_error`` next to the raw message instead (a stream
yields that one dict at its end, equal to ``invoke``'s).

The streaming contract, for every method and schema kind: one value, at the end
of the reply. No partial values: a native call is only emitted once it is whole
and valid, a prompted reply may be re-asked, and a partial object that validates
("email=''") is a value the model never gave. docs/structured-output.md,
"Streaming", compares this with what ChatOpenAI yields per method.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    BaseMessageChunk,
    message_chunk_to_message,
)
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.outputs import ChatGeneration
from langchain_core.runnables import Runnable, RunnableConfig

from langchain_compat.chat_models.structured_errors import diagnose
from langchain_compat.emulation.reasks import describe_invalid_calls
from langchain_compat.errors import StructuredOutputError

__all__ = ["StructuredOutput"]



class StructuredOutput(Runnable[BaseMessage, Any]):
    """Parse a chat reply into the schema's object, or raise :class:`StructuredOutputError`.

    Args:
        parser: LangChain's parser for the method (tools or JSON).
        method: the ``with_structured_output`` method (for the error message).
        tool_name: the schema's tool name (``function_calling``).
        include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
        bound: what was bound (``structured_errors.BOUND_PATHS``): the error names the path.
        max_reasks: the chat model's ``max_tool_reasks`` (named in the advice where it applies).
    """

    def __init__(self, parser: BaseOutputParser, method: str, *, tool_name: str | None = None,
                 include_raw: bool = False, bound: str = "prompted",
                 max_reasks: int | None = None) -> None:
        self.parser = parser
        self.method = method
        self.tool_name = tool_name
        self.include_raw = include_raw
        self.bound = bound
        self.max_reasks = max_reasks

    @property
    def InputType(self) -> Any:
        return BaseMessage

    # -- one reply -------------------------------------------------------
    def parse(self, message: BaseMessage) -> tuple[Any, StructuredOutputError | None]:
        """``(object, None)``, or ``(None, error)`` saying why the reply is unusable."""
        meta = message.response_metadata or {}
        reason = meta.get("structured_output_error")
        if meta.get("tool_choice_error"):
            reason = f"{self._missing(message)} ({meta['tool_choice_error']})"
        value, cause = None, None
        if reason is None:
            try:
                value = self.parser.parse_result([ChatGeneration(message=message)])
            except ValueError as exc:  # OutputParserException, pydantic's ValidationError
                reason, cause = str(exc).split("\nFor troubleshooting", 1)[0], exc
        if reason is None and value is None:
            reason = self._missing(message)
        if reason is not None:
            found = diagnose(str(reason), bound=self.bound, meta=meta, exc=cause,
                             max_reasks=self.max_reasks)
            return None, StructuredOutputError(
                str(reason), method=self.method, llm_output=message.text, path=found.path,
                requests=found.requests, field=found.field, problem=found.problem,
                advice=found.advice)
        return value, None

    def _missing(self, message: BaseMessage) -> str:
        invalid = (getattr(message, "invalid_tool_calls", None)
                   or message.response_metadata.get("invalid_tool_calls"))
        if invalid:
            return "the tool call could not be used: " + describe_invalid_calls(invalid)
        if self.tool_name:
            return f"the reply did not call the tool {self.tool_name!r}"
        return "the reply held no JSON value"

    def _result(self, message: BaseMessage) -> Any:
        value, error = self.parse(message)
        if self.include_raw:
            return {"raw": message, "parsed": value, "parsing_error": error}
        if error is not None:
            raise error
        return value

    # -- Runnable --------------------------------------------------------
    def invoke(self, input: BaseMessage, config: RunnableConfig | None = None,
               **kwargs: Any) -> Any:
        return self._call_with_config(self._result, input, config, run_type="parser")

    async def ainvoke(self, input: BaseMessage, config: RunnableConfig | None = None,
                      **kwargs: Any) -> Any:
        return self.invoke(input, config, **kwargs)  # pure CPU: no need for an executor

    def transform(self, input: Iterator[BaseMessage], config: RunnableConfig | None = None,
                  **kwargs: Any) -> Iterator[Any]:
        yield from self._transform_stream_with_config(input, self._transform, config,
                                                      run_type="parser")

    async def atransform(self, input: AsyncIterator[BaseMessage],
                         config: RunnableConfig | None = None,
                         **kwargs: Any) -> AsyncIterator[Any]:
        async for out in self._atransform_stream_with_config(input, self._atransform, config,
                                                             run_type="parser"):
            yield out

    def _transform(self, chunks: Iterator[BaseMessage]) -> Iterator[Any]:
        message: BaseMessage | None = None
        for chunk in chunks:
            message = chunk if message is None else message + chunk  # type: ignore[operator]
        yield self._result(_whole(message))

    async def _atransform(self, chunks: AsyncIterator[BaseMessage]) -> AsyncIterator[Any]:
        message: BaseMessage | None = None
        async for chunk in chunks:
            message = chunk if message is None else message + chunk  # type: ignore[operator]
        yield self._result(_whole(message))


def _whole(message: BaseMessage | None) -> BaseMessage:
    """A streamed reply's added-up chunks as the message ``invoke`` would have checked."""
    if isinstance(message, BaseMessageChunk):
        return message_chunk_to_message(message)
    return message if message is not None else AIMessage("")
