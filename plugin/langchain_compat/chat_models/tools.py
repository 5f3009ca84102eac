"""Bind-time work for tools and structured output (pure; no I/O).

``bind_tools`` converts tools to the OpenAI form once, at bind time, so each
call only copies dicts. ``with_structured_output`` picks the method from the
profile: a native method only where the profile says the backend accepts it,
otherwise a prompted/emulated one that never sends what the backend rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticToolsParser,
)
from langchain_core.output_parsers.pydantic import PydanticOutputParser
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_compat.chat_models.call_options import StructuredSpec
from langchain_compat.chat_models.structured_parser import StructuredOutput
from langchain_compat.emulation.render import normalize_tool_choice
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import Profile

__all__ = ["structured_output", "tool_kwargs", "wire_tool_choice"]


_WIRE_CHOICE = {"auto": "auto", "none": "none", "required": "required"}


def wire_tool_choice(tool_choice: Any,
                     tools: Sequence[dict[str, Any]]) -> str | dict[str, Any] | None:
    """Every accepted ``tool_choice`` spelling in OpenAI's wire form.

    Accepts "auto", "none", "any"/"required"/True, a tool name, or the OpenAI
    dict ``{"type": "function", "function": {"name": ...}}`` (the spellings of
    :func:`langchain_compat.emulation.render.normalize_tool_choice`, the one
    reading of them in the package).

    Raises:
        InvalidParameterError: an unknown tool name or form.
    """
    if tool_choice is None or tool_choice is False:
        return None
    try:
        mode, name = normalize_tool_choice(tool_choice, list(tools))
    except ValueError:
        names = [(t.get("function") or t).get("name") for t in tools]
        raise InvalidParameterError("tool_choice", f"{tool_choice!r} is not one of the bound tools "
                                    f"{names}; use 'auto', 'none', 'required', a bound tool's name "
                                    "or the OpenAI dict") from None
    return _WIRE_CHOICE.get(mode) or {"type": "function", "function": {"name": name}}


def tool_kwargs(
    tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
    tool_choice: Any,
    parallel_tool_calls: bool | None,
    strict: bool | None,
) -> dict[str, Any]:
    """The bound kwargs for ``bind_tools`` (OpenAI tool dicts + choice)."""
    formatted = []
    for tool in tools:
        try:
            formatted.append(convert_to_openai_tool(tool, strict=strict))
        except Exception as exc:  # langchain raises ValueError/TypeError/... for bad tools
            raise InvalidParameterError(
                "tools", f"cannot convert {tool!r} to a tool schema: {exc}") from None
    out: dict[str, Any] = {"tools": formatted}
    choice = wire_tool_choice(tool_choice, formatted)
    if choice is not None:
        out["tool_choice"] = choice
    if parallel_tool_calls is not None:
        out["parallel_tool_calls"] = parallel_tool_calls
    return out


def _default_method(profile: Profile) -> str:
    if profile.json_schema:
        return "json_schema"
    return "function_calling"


def _output_parser(schema: Any, method: str, tool_name: str | None) -> Runnable:
    pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    if method == "function_calling":
        if pydantic:
            return PydanticToolsParser(tools=[schema], first_tool_only=True)
        return JsonOutputKeyToolsParser(key_name=tool_name or "", first_tool_only=True)
    if pydantic:
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def structured_output(
    model: BaseChatModel,
    profile: Profile,
    schema: Any,
    *,
    method: str | None,
    include_raw: bool,
    strict: bool | None,
    tools: Sequence[Any] | None = None,
) -> Runnable:
    """Build the ``with_structured_output`` runnable (see ``BaseChatCompat``).

    ``model`` is bound (``bind_tools``/``bind``); ``profile`` says what it accepts.
    ``tools`` are bound beside a JSON method (native or prompted): the model
    either calls one (the raw message has the calls, ``parsed`` is None) or
    answers with the JSON.

    The output side (:class:`StructuredOutput`) gives the object or raises
    :class:`~langchain_compat.errors.StructuredOutputError`, alike in invoke and stream.

    Raises:
        InvalidParameterError: an unknown method, no schema where one is
            needed, or ``tools`` with ``method="function_calling"``.
    """
    method = method or ("json_schema" if tools else _default_method(profile))
    if method not in ("function_calling", "json_mode", "json_schema"):
        raise InvalidParameterError("method",
                                    "use 'function_calling', 'json_mode' or 'json_schema'")
    if schema is None and method != "json_mode":
        raise InvalidParameterError("schema", f"a schema is required for method={method!r}")
    if tools and method == "function_calling":
        raise InvalidParameterError(
            "tools", "tools= goes with method='json_schema' or 'json_mode' (as in ChatOpenAI); "
            "with function calling the schema is a tool itself: use bind_tools([Schema, *tools])")
    extra = tool_kwargs(tools, None, None, strict) if tools else {}
    tool_name = None
    ls_format: dict[str, Any] = {"kwargs": {"method": method}}
    if method == "function_calling":
        tool = convert_to_openai_tool(schema, strict=strict)
        tool_name = tool["function"]["name"]
        ls_format["schema"] = tool
        bound = model.bind_tools([schema], tool_choice=tool_name, strict=strict,
                                 ls_structured_output_format=ls_format)
        path = "tools"
    else:
        json_schema = convert_to_json_schema(schema) if schema is not None else None
        ls_format["schema"] = json_schema
        native = profile.json_schema if method == "json_schema" else profile.json_mode
        if native and method == "json_schema":
            name = (json_schema or {}).get("title") or "output"
            rf: dict[str, Any] = {"type": "json_schema",
                                  "json_schema": {"name": name, "schema": json_schema}}
            if strict is not None:
                rf["json_schema"]["strict"] = strict
            bound = model.bind(response_format=rf, ls_structured_output_format=ls_format,
                               structured_output=StructuredSpec(json_schema, native=True), **extra)
            path = "json_schema"
        elif native:
            bound = model.bind(response_format={"type": "json_object"},
                               ls_structured_output_format=ls_format,
                               structured_output=StructuredSpec(json_schema, native=True), **extra)
            path = "json_object"
        else:  # prompted JSON, validated and re-asked (strict or not: it is always validated)
            bound = model.bind(ls_structured_output_format=ls_format,
                               structured_output=StructuredSpec(json_schema, native=False), **extra)
            path = "prompted"
    parser = _output_parser(schema, method, tool_name) if schema is not None else JsonOutputParser()
    return bound | StructuredOutput(parser, method, tool_name=tool_name, include_raw=include_raw,
                                    bound=path, max_reasks=getattr(model, "max_tool_reasks", None))
