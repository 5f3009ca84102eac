"""Lenient JSON helpers shared by the tool-call parser and structured output.

Models write JSON the way people do: python literals (``'x'``, ``True``, ``None``),
trailing commas, missing closing braces, prose around it. These helpers find where a
value ends (so streaming knows when a candidate call is complete), decode leniently
(``json`` -> ``ast.literal_eval`` -> ``json_repair``) and turn the many call shapes
models emit into one raw form.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

import json_repair

__all__ = [
    "RawCall",
    "calls_from_value",
    "first_key_is_call_key",
    "load_lenient",
    "parse_python_calls",
    "split_values",
    "unclosed",
    "value_end",
]

# Keys that may open a JSON object that is a tool call (see calls_from_value).
NAME_KEYS = ("name", "tool", "tool_name", "function", "recipient_name")
ARG_KEYS = ("arguments", "parameters", "args", "tool_input", "input", "kwargs")
META_KEYS = ("id", "type", "call_id", "index")
TEXT_ARG_KEYS = ("tool_input", "input")  # may hold a plain string (LangChain agents, ReAct)
CALL_KEYS = frozenset(NAME_KEYS + ARG_KEYS + META_KEYS
                      + ("tool_calls", "tool_call", "function_call"))


@dataclass
class RawCall:
    """A call as found in the text, before the tool catalogue and schema are applied."""

    name: Any
    args: Any = None  # dict, JSON string, None (no arguments) or anything else (invalid)
    error: str | None = None  # set when the text clearly meant a call but is unusable
    raw: str = ""
    text_input: bool = False  # args may be a plain string for a tool with one string parameter


def value_end(text: str, start: int, memo: dict | None = None) -> int | None:
    """Index just past the JSON/python value opening at ``text[start]`` (``{`` or ``[``).

    Args:
        text: The buffer.
        start: Position of the opening bracket.
        memo: Optional dict keeping the scan state between calls on a growing buffer
            (streaming), so a long call is scanned once, not once per chunk.

    Returns:
        The end index, or ``None`` when the value is not closed yet.
    """
    # The memo stores the offset from ``start``: the streaming buffer is compacted, so
    # absolute indices move between calls while offsets within the value do not.
    offset, depth, quote, esc = memo.get("state", (0, 0, "", False)) if memo else (0, 0, "", False)
    i, n = start + offset, len(text)
    while i < n:
        c = text[i]
        i += 1
        if quote:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == quote:
                quote = ""
        elif c == '"' or c == "'":
            quote = c
        elif c == "{" or c == "[" or c == "(":
            depth += 1
        elif c == "}" or c == "]" or c == ")":
            depth -= 1
            if depth <= 0:
                return i
    if memo is not None:
        memo["state"] = (i - start, depth, quote, esc)
    return None


def unclosed(text: str) -> str | None:
    """Why the last ``{...}``/``[...]`` value in ``text`` is not closed, if it is not.

    Returns:
        ``"an unterminated string"``, ``"missing closing brackets"``, or ``None`` when every
        value closes (or there is none). Repair would have to invent the ending.
    """
    i = 0
    while True:
        starts = [j for j in (text.find("{", i), text.find("[", i)) if j >= 0]
        if not starts:
            return None
        memo: dict = {}
        end = value_end(text, min(starts), memo)
        if end is None:
            return "an unterminated string" if memo["state"][2] else "missing closing brackets"
        i = end


def _plain(v: Any) -> Any:
    """Tuples/sets from ``literal_eval`` become lists so the value is JSON-shaped."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [_plain(x) for x in v]
    return v


_MAX_NESTING = 100  # json_repair and literal_eval get slow or recurse out beyond this
#: A quoted string, double or single quotes (what bracket and expression scans skip over).
_QUOTED = r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'"""
_BRACKETS = re.compile(r"[][{}()]|" + _QUOTED)


def _nesting(s: str) -> int:
    """Deepest bracket nesting outside strings (stops counting past the limit)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(s):
        c = m.group()
        if c in "[{(":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > _MAX_NESTING:
                    break
        elif c in "]})":
            depth -= 1
    return deepest


def load_lenient(text: str) -> tuple[Any, str | None]:
    """Decode a JSON-ish object or array.

    Args:
        text: Candidate text (one value, maybe broken).

    Returns:
        ``(value, None)`` with a dict or list, or ``(None, reason)``. Never raises.
    """
    s = text.strip()
    if not s:
        return None, "empty"
    try:
        return json.loads(s), None
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." deeper than the C stack
        pass
    if _nesting(s) > _MAX_NESTING:
        return None, f"nested deeper than {_MAX_NESTING} levels"
    quoted = _quote_expressions(s)
    if quoted is not s:
        try:
            return json.loads(quoted), None
        except (ValueError, RecursionError):
            s = quoted
    try:
        v = ast.literal_eval(s)
        if isinstance(v, dict | list | tuple):
            return _plain(v), None
    except Exception:
        pass
    try:
        v = json_repair.repair_json(s, return_objects=True)
    except Exception as exc:
        return None, f"not valid JSON ({type(exc).__name__})"
    if isinstance(v, dict | list) and v:  # repair turns garbage into "" or an empty value
        return v, None
    return None, "not valid JSON"


_NUMBER = r"\(?-?\d+(?:\.\d+)?\)?"
#: A quoted string (kept as it is), or arithmetic on numbers outside one.
_STRING_OR_EXPRESSION = re.compile(
    rf"({_QUOTED})|{_NUMBER}(?:[ \t]*[-+*/][ \t]*{_NUMBER})+")


def _quote_expressions(s: str) -> str:
    """``s`` with arithmetic written where a value belongs (``"a": 12 + 30``) made a string
    (``"a": "12 + 30"``), so the call's schema refuses it with a reason; the lenient
    decoders would keep ``12`` and drop the rest, calling the tool with a number nobody
    wrote. ``s`` itself when there is none."""
    quoted = _STRING_OR_EXPRESSION.sub(
        lambda m: m.group() if m.group(1) is not None else json.dumps(m.group()), s)
    return s if quoted == s else quoted


def split_values(text: str) -> list[str]:
    """The successive top-level ``{...}``/``[...]`` values in ``text`` (unclosed last one too)."""
    out: list[str] = []
    i = 0
    while True:
        starts = [j for j in (text.find("{", i), text.find("[", i)) if j >= 0]
        if not starts:
            return out
        j = min(starts)
        end = value_end(text, j)
        out.append(text[j:end] if end else text[j:])
        if end is None:
            return out
        i = end


def first_key_is_call_key(text: str, start: int, final: bool) -> bool | None:
    """Whether the object opening at ``text[start] == "{"`` starts with a call-ish key.

    This is how a JSON example in an answer (``{"city": ...}``) is released as text at once
    instead of being held back until it closes.

    Returns:
        ``True``/``False``, or ``None`` when more text is needed to tell.
    """
    i, n = start + 1, len(text)
    while i < n and text[i].isspace():
        i += 1
    if i >= n:
        return None if not final else False
    q = text[i]
    if q in "\"'":
        end = text.find(q, i + 1)
        if end < 0:
            return None if not final else False
        return text[i + 1:end].strip() in CALL_KEYS
    if q.isalpha() or q == "_":  # unquoted key, javascript style
        j = i
        while j < n and (text[j].isalnum() or text[j] == "_"):
            j += 1
        if j >= n and not final:
            return None
        return text[i:j] in CALL_KEYS
    return False


def _one(d: dict, strict: bool, raw: str) -> RawCall | None:
    name_key = next((k for k in NAME_KEYS if isinstance(d.get(k), str)), None)
    arg_key = next((k for k in ARG_KEYS if k in d), None)
    if strict:
        others = set(d) - {name_key, arg_key, *META_KEYS}
        if name_key is None or others:
            return None
    if name_key is None:
        return RawCall(None, d.get(arg_key) if arg_key else None,
                       "tool call has no function name", raw)
    return RawCall(d[name_key].strip(), d[arg_key] if arg_key else None, None, raw,
                   text_input=arg_key in TEXT_ARG_KEYS)


def calls_from_value(value: Any, *, strict: bool, raw: str = "") -> list[RawCall] | None:
    """Turn a decoded value into calls, or ``None`` if it is not call-shaped.

    Shapes: ``{"name", "arguments"|"parameters"|"args"}``, ``{"tool", "tool_input"}``,
    ``{"function": {...}}`` / ``{"type": "function", "function": {...}}``,
    ``{"tool_calls": [...]}``, ``{"function_call": {...}}``, llama-server's generic
    ``{"tool_call": {...}}`` and lists of any of them.

    Args:
        value: Decoded JSON.
        strict: For text that may be prose (bare JSON, json fences): unknown extra keys
            mean "not a call". Explicit formats (``<tool_call>``...) pass ``False``.
        raw: The source text, kept for error messages.
    """
    if isinstance(value, list):
        if not value:
            return None
        out: list[RawCall] = []
        for item in value:
            got = calls_from_value(item, strict=strict, raw=raw)
            if got is None:
                return None
            out += got
        return out
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("tool_calls"), list):
        return calls_from_value(value["tool_calls"], strict=strict, raw=raw)
    inner = value.get("function_call", value.get("function", value.get("tool_call")))
    if isinstance(inner, dict):
        if strict and set(value) - {"function", "function_call", "tool_call", *META_KEYS}:
            return None
        return calls_from_value(inner, strict=strict, raw=raw)
    one = _one(value, strict, raw)
    return None if one is None else [one]


def _literal(node: ast.AST) -> Any:
    return _plain(ast.literal_eval(node))


def parse_python_calls(src: str) -> list[RawCall] | None:
    """Parse ``name(k=v, ...)`` / ``name.call(k=v)`` (Llama 3) forms, ``;``/newline separated.

    Returns:
        The calls, or ``None`` if ``src`` is not a sequence of call expressions.
    """
    try:
        tree = ast.parse(src.strip(), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    exprs = [s.value for s in tree.body if isinstance(s, ast.Expr)]
    if len(exprs) != len(tree.body) or not exprs:
        return None
    if len(exprs) == 1 and isinstance(exprs[0], ast.List | ast.Tuple):
        exprs = list(exprs[0].elts)  # pythonic list form: [a(x=1), b(y=2)]
    out: list[RawCall] = []
    for node in exprs:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "print" and len(node.args) == 1):
            node = node.args[0]  # Gemma's ```tool_code print(get_weather(city="Paris"))
        if not isinstance(node, ast.Call):
            return None
        name = ast.unparse(node.func)
        name = name.removesuffix(".call")
        raw = ast.unparse(node)
        if node.args or any(kw.arg is None for kw in node.keywords):
            out.append(RawCall(name, None, "positional arguments are not supported; "
                               "use keyword arguments", raw))
            continue
        try:
            out.append(RawCall(name, {kw.arg: _literal(kw.value) for kw in node.keywords},
                               None, raw))
        except (ValueError, TypeError, SyntaxError, RecursionError):
            out.append(RawCall(name, None, "arguments must be literal values", raw))
    return out
