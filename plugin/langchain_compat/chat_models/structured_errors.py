"""Why structured output failed, on which path, and the advice that applies (pure).

A :class:`~langchain_compat.errors.StructuredOutputError` used to end with the same
advice whatever happened ("raise max_tool_reasks ... or use a bigger model (or one
with native structured output)"), also when the path was already native, one
request was made and the JSON parsed. :func:`diagnose` reads what the reply says
about its own call -- ``response_metadata`` ``tool_calling`` (native or emulated),
``downgrades``, ``requests`` and ``finish_reason`` -- and the parser's error, and
names:

- the **path** that ran: ``native json_schema`` (``response_format`` with the schema),
  ``json_mode`` (``response_format`` ``json_object``: no schema sent), ``prompted JSON``
  (the schema in the prompt, validated and re-asked), ``function calling`` (native
  ``tools``) or ``function calling, emulated`` (the tool in the prompt);
- how many **requests** the call made;
- the **field** that failed validation, when one did;
- advice for that case only: ``max_tokens`` for a cut reply, ``max_tool_reasks`` only
  when the reply policy re-asked until its budget was spent, ``method="json_schema"`` for
  json_mode's schema-less JSON, and the schema's own rule when the JSON parsed and a rule
  that neither the server nor the re-asks check (a pattern, range, format or validator)
  failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["BOUND_PATHS", "Diagnosis", "diagnose", "failed_field"]

#: What ``with_structured_output`` bound: ``response_format`` json_schema / json_object,
#: JSON in the prompt, or a forced tool call.
BOUND_PATHS = ("json_schema", "json_object", "prompted", "tools")

_FIELD = re.compile(r"^(?P<path>[\w.\[\]-]+): (?P<msg>.+)$")
_CALL_NAME = re.compile(r"^(?:'[^']*'|None): ")
_PREFIXES = re.compile(r"^(?:the JSON does not match the schema|arguments do not match the tool's "
                       r"schema): ")
_MISSING = re.compile(r"missing required argument '(?P<name>[^']+)'")
_NO_JSON = ("no JSON value", "the reply was empty", "not JSON", "held no JSON")


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What went wrong with one structured-output reply.

    Attributes:
        path: the path that ran (see the module docstring).
        requests: requests the call made (None: not reported by the chat model).
        field: the field that failed validation (dotted path), if one did.
        problem: the failure in one sentence (the field's own message when there is one).
        advice: what to do, for this path and failure only.
    """

    path: str
    requests: int | None
    field: str | None
    problem: str
    advice: str


def _pydantic_errors(exc: BaseException | None) -> list[dict[str, Any]]:
    """The errors of the pydantic ``ValidationError`` in ``exc``'s cause chain, if any."""
    seen = 0
    while exc is not None and seen < 5:
        errors = getattr(exc, "errors", None)
        if callable(errors) and type(exc).__name__ == "ValidationError":
            try:
                return list(errors())
            except TypeError:  # pydantic v1 signature differences
                return []
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return []


def failed_field(reason: str, exc: BaseException | None = None) -> tuple[str | None, str | None]:
    """``(field, message)`` of the first validation failure, from pydantic or our validator.

    Args:
        reason: the failure as text (the parser's message or ``structured_output_error``).
        exc: the parser's exception, whose cause may be a pydantic ``ValidationError``.
    """
    errors = _pydantic_errors(exc)
    if errors:
        first = errors[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return loc, f"{first.get('msg', '')}{more}"
    text = reason.split("could not be used: ", 1)[-1].split(" (still after")[0]
    for part in text.split("; "):  # one invalid call (or schema error) per part
        part = _CALL_NAME.sub("", part)
        part = _PREFIXES.sub("", part)
        m = _FIELD.match(part)
        if not m:
            continue
        path, msg = m["path"], m["msg"].split(" (no usable call")[0]
        missing = _MISSING.search(msg)
        if missing:
            name = missing["name"]
            return (name if path == "arguments" else f"{path}.{name}"), "field required"
        return (None if path == "arguments" else path), msg
    return None, None


def path_name(bound: str, meta: dict[str, Any]) -> str:
    """The path that ran, from what was bound and the reply's ``response_metadata``."""
    how = meta.get("tool_calling")
    if bound == "tools":
        return "function calling, emulated" if how == "emulated" else "function calling"
    if how == "emulated" or bound == "prompted":
        return "prompted JSON"
    if bound == "json_object" and "json_object" in (meta.get("downgrades") or ()):
        return "native json_schema"  # json_object refused: the schema went native instead
    return "native json_schema" if bound == "json_schema" else "json_mode"


def _advice(path: str, *, truncated: bool, field: str | None, no_json: bool, reasked: bool,
            max_reasks: int | None) -> str:
    if truncated:
        return ("The reply was cut at max_tokens (finish_reason 'length'): raise max_tokens "
                "(per call: invoke(..., max_tokens=N)).")
    if reasked:  # the reply policy re-asked until its budget was spent
        now = f" (now {max_reasks})" if max_reasks is not None else ""
        return (f"The model kept getting it wrong: raise max_tool_reasks{now} for more re-asks, "
                "simplify the schema, or use a model with native structured output "
                "(method='json_schema' on a server that takes response_format).")
    if path == "json_mode":
        return ("json_mode sends no schema to the server, only a request for some JSON: use "
                "method='json_schema' (the schema goes to the server, or into the prompt where "
                "the server has no json_schema), or name every field in your prompt.")
    if no_json and path == "native json_schema":
        return ("The server was sent the schema as response_format but answered no JSON: it "
                "may ignore response_format; set profile_overrides={'json_schema': False} to "
                "have the schema put into the prompt, validated and re-asked instead.")
    rule = f" on field {field!r}" if field else ""
    if path == "native json_schema":
        return ("The server's reply followed the schema's JSON shape but broke a rule" + rule +
                " that its grammar does not enforce (a pattern, range, format or validator); "
                "this path makes one request and no re-asks: relax that rule, or catch "
                "StructuredOutputError and repair exc.llm_output yourself.")
    return ("The reply passed the checks that trigger re-asks (JSON types, required fields, "
            "enums) but broke a rule" + rule + " they do not cover (a pattern, range, format or "
            "validator), so it was not re-asked: relax that rule, or catch "
            "StructuredOutputError and repair exc.llm_output yourself.")


def diagnose(reason: str, *, bound: str, meta: dict[str, Any], exc: BaseException | None = None,
             max_reasks: int | None = None) -> Diagnosis:
    """The :class:`Diagnosis` of one failed structured-output reply.

    Args:
        reason: why the reply is unusable (parser message or ``structured_output_error``).
        bound: what ``with_structured_output`` bound (one of :data:`BOUND_PATHS`).
        meta: the reply's ``response_metadata``.
        exc: the parser's exception, if the parser raised.
        max_reasks: the chat model's ``max_tool_reasks``, when known.
    """
    path = path_name(bound, meta)
    requests = meta.get("requests")
    field, message = failed_field(reason, exc)
    truncated = meta.get("finish_reason") == "length"
    no_json = field is None and any(s in reason for s in _NO_JSON)
    reasked = bool(meta.get("structured_output_error") or meta.get("tool_choice_error"))
    problem = f"field {field!r}: {message}" if field else reason
    advice = _advice(path, truncated=truncated, field=field, no_json=no_json, reasked=reasked,
                     max_reasks=max_reasks)
    return Diagnosis(path=path, requests=requests if isinstance(requests, int) else None,
                     field=field, problem=problem, advice=advice)
