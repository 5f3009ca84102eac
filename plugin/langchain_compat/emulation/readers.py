"""Read calls out of the content of a recognised wrapper or a JSON candidate.

``formats/`` decides *where* a call is; this module decides *what* it says.
"""

from __future__ import annotations

import re

from langchain_compat.emulation.jsonish import (
    RawCall,
    calls_from_value,
    load_lenient,
    parse_python_calls,
    split_values,
    unclosed,
)

__all__ = ["cut_error", "explicit_calls", "implicit_calls", "mark_cut", "meant_for_sole",
           "separated_call", "single_string_param", "xml_params"]

#: Where a call body ended without its own closing marker (the ``cut`` argument of readers).
AT_END = "at the end of the reply"
BEFORE_NEXT = "before the next call"


def cut_error(text: str, cut: str | None, *, markup: bool = False) -> str | None:
    """Why a call body that ended without its closing marker was cut off, or ``None``.

    Repair may fix quotes and commas, never invent an ending: a JSON value still open
    (unterminated string, missing closing brackets) where the body stopped, or markup whose
    last tag is unfinished, means the model did not finish writing the call.

    Args:
        text: The body, or the arguments in it.
        cut: ``None`` when the body was closed by its own marker (then nothing was cut off),
            else where it stopped (``AT_END``, ``BEFORE_NEXT``).
        markup: The body is ``<parameter=..>``/``<arg_key>`` markup rather than JSON.
    """
    if cut is None:
        return None
    if markup:
        why = None if text.rstrip().endswith(">") else "its last tag is not finished"
    else:
        why = unclosed(text)
        why = why and f"its JSON has {why}"
    return f"the tool call was cut off {cut}: {why}" if why else None


def mark_cut(calls: list[RawCall], text: str, cut: str | None) -> list[RawCall]:
    """``calls`` read from ``text``, or one invalid call if ``text`` was cut off (named after
    the call being written when it stopped)."""
    err = cut_error(text, cut)
    if err is None:
        return calls
    return [RawCall(calls[-1].name if calls else None, text.strip(), err, text)]

_FENCE_INNER = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_NAME_THEN_JSON = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*[:\n]?\s*([{\[].*)$", re.DOTALL)


_XML_FUNCTION = re.compile(r"<function=([\w.\-]+)>(.*?)(?:</function>|$)", re.DOTALL)
_XML_PARAM = re.compile(r"<parameter=([\w.\-]+)>\n?(.*?)\n?(?:</parameter>|(?=<parameter=)|$)",
                        re.DOTALL)


_ARG_KEY = re.compile(r"<arg_key>(.*?)</arg_key>", re.DOTALL)
_ARG_VALUE = re.compile(r"<arg_value>(.*?)</arg_value>", re.DOTALL)
_SPECIAL_NAME = re.compile(r"^(?:functions\.)?(.+?)(?::\d+)?$")


def separated_call(sep: str):
    """Reader for ``[type sep] name ... sep args`` bodies (DeepSeek, Kimi K2).

    DeepSeek V3/R1: ``function<sep>name\n```json\n{args}\n```````; DeepSeek V3.1:
    ``name<sep>{args}``; Kimi K2: ``functions.name:0<sep>{args}``.
    """

    def read(body: str, cut: str | None = None) -> list[RawCall]:
        head, found, args = body.partition(sep)
        if not found:
            return [RawCall(None, None, f"could not read a tool call from {body[:80]!r}", body)]
        head = head.strip()
        if head in ("function", ""):  # DeepSeek V3: the name is the first line after sep
            head, _, args = args.strip().partition("\n")
        fenced = _FENCE_INNER.match(args)
        args = (fenced.group(1) if fenced else args).strip()
        name = _SPECIAL_NAME.match(head.strip())
        return [RawCall(name.group(1) if name else None, args or None, cut_error(args, cut), body)]

    return read


def xml_params(body: str) -> dict[str, str] | None:
    """Qwen3-Coder ``<parameter=k>v</parameter>`` arguments (values stay strings; the schema
    check coerces them), or ``None`` when ``body`` has none."""
    if "<parameter=" not in body:
        return None
    return {m.group(1): m.group(2) for m in _XML_PARAM.finditer(body)}


def explicit_calls(content: str, cut: str | None = None) -> list[RawCall]:
    """Calls inside an explicit wrapper (``<tool_call>``, ``[TOOL_CALLS]``, ...).

    Tries, in order: Qwen3-Coder XML (``<function=..><parameter=..>``), ``name {json}``,
    python call syntax, then every JSON value in the content.

    Args:
        content: The wrapper's body.
        cut: Where the body stopped if not at its closing marker (see ``cut_error``): a call
            left unfinished there is invalid instead of repaired.

    Returns:
        At least one call; what cannot be read becomes a ``RawCall`` with ``error`` set.
    """
    m = _FENCE_INNER.match(content)
    if m:
        content = m.group(1)
    raw = content.strip()
    if raw.startswith("<function="):  # Qwen3-Coder XML inside <tool_call>
        found = []
        for fm in _XML_FUNCTION.finditer(raw):
            params = xml_params(fm.group(2))
            args = params if params is not None else (fm.group(2).strip() or None)
            found.append(RawCall(fm.group(1), args, None, fm.group(0)))
        if found:
            found[-1].error = cut_error(raw, cut, markup=True)
            return found
    if "<arg_key>" in raw:  # GLM-4.5: name, then <arg_key>k</arg_key><arg_value>v</arg_value>
        name = raw.split("<arg_key>", 1)[0].strip()
        args = dict(zip(_ARG_KEY.findall(raw), _ARG_VALUE.findall(raw), strict=False))
        return [RawCall(name or None, args, cut_error(raw, cut, markup=True), raw)]
    if raw and raw[0] not in "{[":
        named = _NAME_THEN_JSON.match(raw)
        if named:  # "name\n{args}" form
            args = named.group(2).strip()
            return [RawCall(named.group(1), args, cut_error(args, cut), raw)]
        py = parse_python_calls(raw)
        if py:  # name.call(k=v) / name(k=v) form
            return py
    found: list[RawCall] = []
    chunks = split_values(raw)
    for n, chunk in enumerate(chunks, 1):
        value, err = load_lenient(chunk)
        calls = calls_from_value(value, strict=False, raw=chunk) if value is not None else None
        if n == len(chunks) and cut_error(chunk, cut):  # only the last value can be open
            found += mark_cut(calls or [], chunk, cut)
        elif calls is None:
            reason = f"could not read a tool call from {chunk[:80]!r}" + (f": {err}" if err else "")
            found.append(RawCall(None, None, reason, chunk))
        else:
            found += calls
    if all(c.error for c in found):  # nothing read as JSON: maybe [name(k=v), ...]
        found = parse_python_calls(raw) or found
    return found or [RawCall(None, None, f"could not read a tool call from {raw[:80]!r}", raw)]


def _object_args(call: RawCall, text_tools: frozenset[str]) -> bool:
    """Arguments that can be a call's: none, an object, a JSON string of an object, or a
    plain ``tool_input`` string for a tool with one string parameter."""
    args = call.args
    if args is None or isinstance(args, dict):
        return True
    if call.text_input and isinstance(args, str) and call.name in text_tools:
        return True
    return (isinstance(args, str) and isinstance(load_lenient(args)[0], dict)) \
        or args == ""


def single_string_param(schema: dict | None) -> str | None:
    """The parameter of a tool whose only parameter is a string (``tool_input: "..."``
    is then that parameter's value), else ``None``."""
    props = (schema or {}).get("properties")
    if not isinstance(props, dict) or len(props) != 1:
        return None
    [(name, prop)] = props.items()
    kind = prop.get("type") if isinstance(prop, dict) else None
    return name if kind == "string" or kind == ["string"] else None


def implicit_calls(value_text: str, names: frozenset[str] | None,
                   sole: tuple[str, dict] | None = None,
                   text_tools: frozenset[str] = frozenset()) -> list[RawCall] | None:
    """Calls in text that may just be prose or an example (bare JSON, a ```json block).

    Args:
        value_text: One JSON-ish value.
        names: Known tool names, or ``None`` if unknown.
        sole: ``(name, parameters)`` when exactly one tool is offered (see ``meant_for_sole``).
        text_tools: Tools with a single string parameter (a plain ``tool_input`` string is
            accepted for them).

    Returns:
        The calls, or ``None`` when this is not clearly a call: not call-shaped, arguments
        that are not an object, or (tools known) no known tool named.
    """
    value, _ = load_lenient(value_text)
    calls = calls_from_value(value, strict=True, raw=value_text) if value is not None else None
    if not calls or not all(_object_args(c, text_tools) for c in calls):
        return None
    if names is not None and not any(c.name in names or meant_for_sole(c.args, sole)
                                     for c in calls):
        return None  # JSON that names no known tool is an example, not a call
    return calls


def meant_for_sole(args: object, sole: tuple[str, dict] | None) -> bool:
    """Whether a call naming an unknown tool is meant for the only tool offered.

    Small models put an argument's value in the name (Qwen2.5-0.5B, asked to create
    customer '你好啊集团', wrote ``{"name": "你好啊集团", "arguments": {"customer_name": …}}``).
    With one tool offered, arguments using only its parameter names and all of its
    required ones are taken as its call; anything less stays unknown.
    """
    if sole is None:
        return False
    if isinstance(args, str):
        args = load_lenient(args)[0]
    props = sole[1].get("properties")
    if not isinstance(args, dict) or not args or not isinstance(props, dict):
        return False
    return set(args) <= set(props) and set(sole[1].get("required") or ()) <= set(args)
