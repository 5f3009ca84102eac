"""Constrained emulation: every reply is one JSON object the server's decoder must follow.

Where a backend constrains decoding to a JSON schema (llama.cpp, vLLM, Ollama, LM Studio
take ``response_format: {"type": "json_schema"}``), emulated tool calling does not have to
hope the model writes a call we can read: each turn is decoded under one schema that admits
exactly an answer, ``{"response": "..."}``, or a call of a bound tool whose arguments
follow that tool's own schema, ``{"name": ..., "arguments": {...}}`` (a list of such calls
where several are allowed). The schema is narrowed by ``tool_choice``: required -> calls
only, a named tool -> that tool only. A call is the bare object Qwen-style models write
by themselves (measured on Qwen2.5-0.5B: asked for ``{"tool_call": {...}}`` it answered
"17 + 25" with ``{"response": "32"}``; asked for the bare call it called ``add``), and the
reply parser reads it already.

The model still sees the tools, with their descriptions, in the prompt (a schema alone
hides what a field means): the block below renders the same bytes on every turn whatever
``tool_choice`` is, so a server's prompt cache reuses it. :class:`AnswerReader` pulls the
answer out of ``{"response": "...`` as its characters arrive, so an answer streams as
plain text, never as JSON.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from langchain_compat.emulation.formats.hermes import TOOLS_BLOCK
from langchain_compat.emulation.formats.hermes import WRITER as HERMES
from langchain_compat.emulation.formats.writer import Writer, escape_json_marks

__all__ = ["ANSWER_SHAPE", "GRAMMAR_WRITER", "MAX_CALLS", "WRITER", "AnswerReader", "narrowed",
           "response_format"]

#: Most calls a constrained reply may hold (several only where parallel calls are allowed).
MAX_CALLS = 4

#: How an answer is written under the schema (the system prompt's line, or, in a conversation
#: whose prompt is the grammar's, said after the last message of the conversation in a schema turn).
ANSWER_SHAPE = ("To reply to the user without a function call, return: "
                '{"response": <your reply as a string>}')

_TEMPLATE = TOOLS_BLOCK + """
For each function call, return a json object with function name and arguments:
{"name": <function-name>, "arguments": <args-json-object>}
""" + ANSWER_SHAPE + """
Results of the calls come back inside <tool_response></tool_response> tags."""

# Under constraint the schema enforces tool_choice: the instruction stays the same bytes.
_CHOICE = {"auto": "", "required": "", "named": ""}


def _call(name: str, arguments: str) -> str:
    return escape_json_marks(f'{{"name": {json.dumps(name, ensure_ascii=False)}, '
                             f'"arguments": {arguments}}}', WRITER)


WRITER = Writer(name="constrained", template=_TEMPLATE, choice=_CHOICE,
                block="a JSON call object", call=_call, result=HERMES.result,
                marks=HERMES.marks, result_mark=HERMES.result_mark, enforced=True)

# Under a grammar (``emulation/grammar.py``) an answer is plain text: only its last line
# differs, so the catalogue before it is the same bytes as under a schema.
_GRAMMAR_TEMPLATE = _TEMPLATE.replace(
    ANSWER_SHAPE, "To reply to the user without a function call, write your reply as plain text.")

#: The prompt of a turn decoded under a grammar: calls as above, an answer in plain text.
GRAMMAR_WRITER = replace(WRITER, name="grammar", template=_GRAMMAR_TEMPLATE)


def narrowed(tools: list[dict[str, Any]], mode: str, name: str | None) -> list[dict[str, Any]]:
    """The tools a constrained call may name: all of them, or the one a named choice names."""
    return [t for t in tools if mode != "named" or t.get("function", t).get("name") == name]


def _call_schema(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function", tool)
    params = fn.get("parameters")
    if not isinstance(params, dict) or not params:
        params = {"type": "object", "properties": {}}
    return {"type": "object", "additionalProperties": False, "required": ["name", "arguments"],
            "properties": {"name": {"const": fn["name"]}, "arguments": params}}


def response_format(tools: list[dict[str, Any]], mode: str, name: str | None, *,
                    parallel: bool, answer_only: bool = False) -> dict[str, Any]:
    """The ``response_format`` of one constrained turn.

    Args:
        tools: the bound OpenAI-format tools.
        mode: ``normalize_tool_choice``'s mode: "auto", "required" or "named".
        name: the tool a named choice names.
        parallel: several calls may be made in one reply (at most :data:`MAX_CALLS`).
        answer_only: the answer is asked for (tools withheld): no call is admitted.
    """
    answer = {"type": "object", "additionalProperties": False, "required": ["response"],
              "properties": {"response": {"type": "string"}}}
    calls = [_call_schema(t) for t in narrowed(tools, mode, name)]
    if answer_only or not calls:
        options = [answer]
    else:
        options = list(calls)  # one call: the bare object
        if parallel and mode != "named":  # or several, as a list
            item = calls[0] if len(calls) == 1 else {"anyOf": calls}
            options.append({"type": "array", "items": item, "minItems": 2,
                            "maxItems": MAX_CALLS})
        if mode not in ("required", "named"):
            options.append(answer)
    schema = options[0] if len(options) == 1 else {"anyOf": options}
    return {"type": "json_schema", "json_schema": {"name": "tool_call_or_response",
                                                   "strict": True, "schema": schema}}


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_OPEN = '{"response":"'  # what an answer starts with, white space aside
_GAPS = (0, 1, 11, 12)  # where in _OPEN white space may come: around {, : and the key


class AnswerReader:
    """Reads ``{"response": "..."}`` as it arrives: the answer's characters, decoded.

    ``feed(piece)`` returns the answer text that piece completes; ``answer`` is None until
    the reply is known to be an answer, False once it is known not to be one (a call).
    Escapes split anywhere (``\\`` at the end of a piece, half of ``\\u00e9``) are held
    until whole.
    """

    __slots__ = ("_held", "_matched", "answer", "closed")

    def __init__(self) -> None:
        self._matched = 0  # characters of _OPEN seen (white space between tokens skipped)
        self._held = ""  # an escape not yet complete
        self.answer: bool | None = None
        self.closed = False  # the closing quote arrived

    def feed(self, piece: str) -> str:
        if self.answer is False or self.closed:
            return ""
        i = 0
        if self.answer is None:
            while i < len(piece) and self._matched < len(_OPEN):
                ch = piece[i]
                i += 1
                if ch in " \t\r\n" and self._matched in _GAPS:
                    continue  # white space between tokens (never inside "response")
                if ch != _OPEN[self._matched]:
                    self.answer = False
                    return ""
                self._matched += 1
            if self._matched < len(_OPEN):
                return ""
            self.answer = True
        return self._string(self._held + piece[i:])

    def _string(self, text: str) -> str:
        out: list[str] = []
        self._held = ""
        i, n = 0, len(text)
        while i < n:
            j = i
            while j < n and text[j] not in '"\\':
                j += 1
            out.append(text[i:j])
            if j == n:
                break
            if text[j] == '"':
                self.closed = True
                break
            if j + 1 >= n:  # a lone backslash: wait for what it escapes
                self._held = text[j:]
                break
            kind = text[j + 1]
            if kind == "u":
                if j + 6 > n:
                    self._held = text[j:]
                    break
                code = int(text[j + 2:j + 6], 16) if _hex(text[j + 2:j + 6]) else 0xFFFD
                if 0xD800 <= code < 0xDC00:  # a surrogate pair: \ud83d\ude00
                    if j + 12 > n:
                        self._held = text[j:]
                        break
                    low = text[j + 8:j + 12]
                    if text[j + 6:j + 8] == "\\u" and _hex(low):
                        code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                        out.append(chr(code))
                        i = j + 12
                        continue
                out.append(chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd")
                i = j + 6
                continue
            out.append(_ESCAPES.get(kind, kind))
            i = j + 2
        return "".join(out)


def _hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)
