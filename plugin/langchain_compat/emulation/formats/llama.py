"""Llama 3.x formats: ``<|python_tag|>`` with JSON or ``name.call(k=v)``, Llama 3.1's
``<function=name>{...}</function>`` (also Qwen3-Coder's ``<function=name><parameter=k>``
inside a ``<tool_call>``), and the JSON tool calling of Meta's Llama 3.1/3.2 prompt
format, which is what we write: a bare ``{"name": ..., "parameters": {...}}``.
"""

from __future__ import annotations

import json
import re

from langchain_compat.emulation.formats.scanning import (
    NEED,
    Ctx,
    Match,
    Reject,
    Verdict,
    body_end,
    opener,
    opens,
    partial,
    tag,
)
from langchain_compat.emulation.formats.writer import Writer, escape_json_marks, escape_marks
from langchain_compat.emulation.jsonish import RawCall
from langchain_compat.emulation.readers import cut_error, xml_params

__all__ = ["RECOGNISERS", "WRITER", "function_tag"]

_FUNC_NAME = re.compile(r"<function=([\w.\-]+)>")


@opener("<function=")
def function_tag(buf: str, pos: int, ctx: Ctx) -> Verdict:
    """Llama 3.1 custom format ``<function=name>{json}</function>``."""
    o = opens(buf, pos, "<function=", ctx)
    if o is not True:
        return NEED if o is NEED else Reject()
    m = _FUNC_NAME.match(buf, pos)
    if not m:
        if partial(r"<function=[\w.\-]*", buf, pos, ctx):
            return NEED
        return Reject()
    span = body_end(buf, m.end(), ("</function>",), ("<function=",), ctx)
    if span is None:
        return NEED
    body = buf[m.end():span[0]].strip()
    params = xml_params(body)
    args = params if params is not None else (body or None)
    error = cut_error(body, span[2], markup=params is not None)
    return Match(span[1], [RawCall(m.group(1), args, error, buf[pos:span[1]])],
                 closed=span[2] is None)


RECOGNISERS = {
    "<": (
        tag("<|python_tag|>", "<|eom_id|>", "<|eot_id|>"),  # Llama 3.x
        function_tag,  # Llama 3.1 <function=name>
    ),
}

# Meta's Llama 3.1/3.2 "JSON based tool calling" prompt, with the catalogue in it.
_TEMPLATE = """# Tools

Given the following functions, please respond with a JSON for a function call with its \
proper arguments that best answers the given prompt.

Respond in the format {"name": function name, "parameters": dictionary of argument name and \
its value}. Do not use variables.

$tools

Function results come back as messages that start with "Function result". $choice"""

_CHOICE = {
    "auto": "Call a function only when it helps; otherwise answer normally in plain text. "
            "Never invent a function result.",
    "required": "You MUST call at least one of the functions above now: reply with the JSON "
                "call only, no other text.",
    "named": "You MUST call the function \"{name}\" now: reply with the JSON call of "
             "\"{name}\" only, no other text.",
}


def _call(name: str, arguments: str) -> str:
    return escape_json_marks(f'{{"name": {json.dumps(name, ensure_ascii=False)}, '
                             f'"parameters": {arguments}}}', WRITER)


def _result(name: str, call_id: str | None, text: str, failed: bool) -> str:
    head = f"Function result of {name}" if name else "Function result"
    if failed:
        head += " (ERROR: the call failed)"
    return f"{head}:\n{escape_marks(text, WRITER)}"


WRITER = Writer(name="llama3", template=_TEMPLATE, choice=_CHOICE, block="a JSON call",
                call=_call, result=_result, marks=("<|python_tag|>", "<function="),
                result_mark=r"(?m:^Function result\b)")
