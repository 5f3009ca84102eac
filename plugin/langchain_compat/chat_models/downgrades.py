"""Optional request fields a backend refuses: detected, dropped, remembered.

Many OpenAI-compatible servers refuse one optional field the rest of the
request does not need: ``stream_options`` (Mistral answers 422, Groq and
older vLLM 400), ``response_format`` ``json_object`` (LM Studio takes only
``json_schema``), ``tool_choice="required"`` (older vLLM). Each row of
:data:`DOWNGRADES` says, for one such field, when a request carries it
(``sent``), how an error answer names it (``names``) and what the call does
without it (``apply``). A refusal re-sends the request without the field,
logs one warning per backend and field, and is learned for the backend (the
call's :class:`~langchain_compat.core.backend_memory.BackendMemory`, the
same memory ``auto`` tool mode learns a refused ``tools`` field in), so later
calls send one request, not two. Every reply of a downgraded call lists the
rows applied in ``response_metadata["downgrades"]``.

Only a refusal of the *field itself* downgrades: the error must name the field
and say the server does not take it (unsupported, not permitted, must be one
of ...). An error about the value the caller sent -- a ``json_schema`` the
server says is invalid -- is the caller's to see, and surfaces as it came.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_compat.chat_models.call_options import (
    CallOptions,
    CallSettings,
    StructuredSpec,
    ToolSetting,
)
from langchain_compat.chat_models.plan import build_payload, grammar_turn
from langchain_compat.chat_models.tool_mode import choose_mode
from langchain_compat.errors import APIError

#: The ``response_format`` schema name of a constrained turn (``emulation/formats/constrained``).
CONSTRAINED_SCHEMA = "tool_call_or_response"
#: How a constrained turn's grammar starts (``emulation/grammar.MARK``): ours, not the caller's.
GRAMMAR_MARK = "# langchain-compat: a tool call or an answer"

__all__ = ["DOWNGRADES", "Downgrade", "apply_remembered", "refused_row", "remember"]

logger = logging.getLogger("langchain_compat.chat_models")

#: How servers say they do not take a field at all (Mistral's pydantic "Extra inputs are
#: not permitted", LM Studio's "must be 'json_schema' or 'text'", vLLM's "must either be",
#: "not supported", "unsupported", "unknown"/"unrecognized" field). "Invalid schema ..." is not.
FIELD_REFUSED = re.compile(
    r"not (?:be )?(?:supported|permitted|allowed|accepted)|unsupported|does not support|"
    r"must (?:either )?be|extra(?:_forbidden| inputs)|unknown (?:field|param)|unrecogni[sz]ed|"
    r"no such (?:field|param)", re.IGNORECASE)

Shape = tuple[CallSettings, CallOptions]


@dataclass(frozen=True, slots=True)
class Downgrade:
    """One refusable field.

    Attributes:
        name: the short name logged and listed in ``response_metadata["downgrades"]``.
        sent: whether a request body carries the field in the refused form.
        names: a pattern an error answer matches when it names the field.
        apply: the call's (settings, options) without the field.
        instead: what the call does instead (for the warning).
    """

    name: str
    sent: Callable[[dict[str, Any]], bool]
    names: re.Pattern[str]
    apply: Callable[[CallSettings, CallOptions], Shape]
    instead: str


def _format_type(body: dict[str, Any]) -> Any:
    fmt = body.get("response_format")
    return fmt.get("type") if isinstance(fmt, dict) else None


def _forcing(body: dict[str, Any]) -> bool:
    choice = body.get("tool_choice")
    return bool(body.get("tools")) and (choice == "required" or isinstance(choice, dict))


def _no_stream_usage(settings: CallSettings, options: CallOptions) -> Shape:
    return dataclasses.replace(settings, stream_usage=False), options


def _prompted_json(settings: CallSettings, options: CallOptions) -> Shape:
    """JSON asked for in the prompt, validated and re-asked (no ``response_format``)."""
    params = {k: v for k, v in options.params.items() if k != "response_format"}
    schema = options.structured.schema if options.structured else None
    return settings, dataclasses.replace(options, params=params,
                                         structured=StructuredSpec(schema, native=False))


def _weaker_json(settings: CallSettings, options: CallOptions) -> Shape:
    """``json_object`` refused: ``json_schema`` where the profile has it, else prompted JSON."""
    schema = options.structured.schema if options.structured else None
    if not (settings.profile.json_schema and schema):
        return _prompted_json(settings, options)
    fmt = {"type": "json_schema",
           "json_schema": {"name": schema.get("title") or "output", "schema": schema}}
    return settings, dataclasses.replace(options, params={**options.params, "response_format": fmt})


def _plain_emulation(settings: CallSettings, options: CallOptions) -> Shape:
    """Constrained emulation refused: plain emulation (the calls asked for in the prompt and
    read out of the text, the judge re-asking what cannot be used)."""
    plain = settings.profile.replace(constrained=False)
    return dataclasses.replace(settings, profile=plain), options


def _schema_constraint(settings: CallSettings, options: CallOptions) -> Shape:
    """A tool grammar refused: constrained emulation under a JSON schema (an answer is then
    ``{"response": ...}``), which the ``constrained`` row still guards."""
    return dataclasses.replace(settings, profile=settings.profile.replace(call_grammar=False)), \
        options


def _our_grammar(body: dict[str, Any]) -> bool:
    grammar = body.get("grammar")
    return isinstance(grammar, str) and grammar.startswith(GRAMMAR_MARK)


def _constrained(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format")
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    return isinstance(spec, dict) and spec.get("name") == CONSTRAINED_SCHEMA


def _emulated_choice(settings: CallSettings, options: CallOptions) -> Shape:
    """A forced ``tool_choice`` refused: this call's tools are emulated (the prompt
    demands the call, the reply policy re-asks without it); the model's other
    calls keep native tools. Under ``tool_calling="native"`` the tools stay
    native and only ``tool_choice`` is left out (the policy still enforces it)."""
    if not options.forcing:
        return settings, options
    if settings.tool_calling is ToolSetting.NATIVE:
        unforced = settings.profile.replace(tool_choice=False)
        return dataclasses.replace(settings, profile=unforced), options
    return dataclasses.replace(settings, tool_calling=ToolSetting.EMULATED), options


#: field -> when a request carries it -> how a 400/422 names it -> the call without it.
DOWNGRADES: tuple[Downgrade, ...] = (
    Downgrade("call_grammar", _our_grammar, re.compile(r"grammar|gbnf", re.IGNORECASE),
              _schema_constraint, "tools are constrained by a JSON schema instead of a "
              "grammar: an answer is decoded as {\"response\": ...}"),
    Downgrade("constrained", _constrained, re.compile(r"response_format|json_schema|grammar"),
              _plain_emulation, "tools are emulated without a schema: calls asked for in the "
              "prompt and read out of the text"),
    Downgrade("stream_options", lambda b: "stream_options" in b, re.compile(r"stream_options"),
              _no_stream_usage, "usage comes from the last chunk when the server sends it, else "
              "it is estimated offline (response_metadata['usage_estimated'])"),
    Downgrade("json_object", lambda b: _format_type(b) == "json_object",
              re.compile(r"response_format|json_object"), _weaker_json,
              "json_schema where the profile allows it, else JSON asked for in the prompt"),
    Downgrade("json_schema", lambda b: _format_type(b) == "json_schema" and not _constrained(b),
              re.compile(r"response_format|json_schema"), _prompted_json,
              "JSON asked for in the prompt, validated and re-asked"),
    Downgrade("tool_choice", _forcing, re.compile(r"tool_choice"), _emulated_choice,
              "the forced call is asked for in the prompt (emulated) for such calls only"),
)

_REFUSAL_STATUS = (400, 422)


def _error_text(error: APIError) -> str:
    """The error's message and, in an OpenAI-style body, the ``param`` it names."""
    inner = error.body.get("error") if isinstance(error.body, dict) else None
    param = inner.get("param") if isinstance(inner, dict) else None
    return f"{error.message or ''} {param or ''}"


def refused_row(error: Exception, body: dict[str, Any]) -> Downgrade | None:
    """The row whose field ``body`` carried and ``error`` (a 400/422) refuses, if any: the
    error names the field and says the server does not take it (:data:`FIELD_REFUSED`)."""
    if not isinstance(error, APIError) or error.status_code not in _REFUSAL_STATUS:
        return None
    text = _error_text(error)
    if not FIELD_REFUSED.search(text):
        return None
    return next((row for row in DOWNGRADES if row.sent(body) and row.names.search(text)), None)


def _probe_body(settings: CallSettings, options: CallOptions) -> dict[str, Any]:
    """The fields a call would send (its messages left out: a first turn)."""
    mode = choose_mode(settings, options)
    return build_payload([], settings, options, mode,
                         grammar=grammar_turn([], settings, mode),
                         one_call=options.calls_wanted(mode, settings.profile) == 1)


def remember(settings: CallSettings, options: CallOptions, row: Downgrade) -> None:
    """Learn that the backend refused ``row``'s field; warn once per backend and field."""
    key = settings.backend(options)
    if settings.memory.learn_refused(key, row.name):
        logger.warning("%s at %s (model %r) refused %r; sending requests without it from now on: "
                       "%s.", settings.provider, key.base_url, key.model, row.name, row.instead)


def apply_remembered(settings: CallSettings, options: CallOptions
                     ) -> tuple[CallSettings, CallOptions, list[str]]:
    """The call without every field its backend is known to refuse, and the rows applied."""
    refused = settings.memory.refused(settings.backend(options))
    applied: list[str] = []
    if not refused:
        return settings, options, applied
    for row in DOWNGRADES:  # in table order: json_object's fallback may be json_schema's field
        if row.name in refused and row.sent(_probe_body(settings, options)):
            settings, options = row.apply(settings, options)
            applied.append(row.name)
    return settings, options, applied

