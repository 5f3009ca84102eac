"""The request side of emulation, in one entry: what a request sends when tools or a JSON
schema travel in the prompt instead of in request fields.

The chat model decides (``chat_models/plan.py``) and says what it wants in a
:class:`PromptSpec`; :func:`prompt_request` writes it into the wire messages and the
request's fields:

- prompted JSON output: the schema's instructions in the system message;
- emulated tools: the tool block in the system message in the profile's format, the tool
  history replayed as text, and, where one call is wanted and the format's call has an end
  marker, that marker among the stop sequences (the reply ends with its call);
- constrained tools: the same tool block every turn and a ``response_format`` whose JSON
  schema admits only a call to a bound tool or an answer, narrowed by ``tool_choice``;
  where the backend takes a grammar (``grammar``, llama.cpp), a GBNF grammar instead that
  admits such a call or an answer in plain text (``emulation/grammar.py``); in such a
  conversation the turn right after a tool result is still decoded under the schema (unless
  the question has numbers no call has used: ``plan.grammar_turn``), with the grammar's
  system prompt and the schema's answer shape said after the result;
- a backend without a tool role: tool history replayed as text, no tools described.

Pure: nothing is sent, the inputs are not modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from langchain_compat.emulation.formats import writer
from langchain_compat.emulation.formats.constrained import (
    ANSWER_SHAPE,
    narrowed,
    response_format,
)
from langchain_compat.emulation.grammar import tool_grammar
from langchain_compat.emulation.json_output import render_json_instructions
from langchain_compat.emulation.render import (
    emulate_messages,
    normalize_tool_choice,
    replay_tool_history,
)

__all__ = ["PromptMode", "PromptSpec", "prompt_request"]

#: ``emulated``: tools in the prompt, calls read from the text; ``constrained``: the same, the
#: text decoded under a JSON schema; ``replay``: no tools described, tool history as text
#: (a backend without a tool role).
PromptMode = Literal["emulated", "constrained", "replay"]


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """What the prompt of one request carries.

    Attributes:
        mode: how tools travel (None: no tools in the prompt, only ``json_schema``).
        tools: the OpenAI-format tools to describe (``[]``: none; history is still replayed).
        tool_choice: the call's ``tool_choice`` (narrows a constrained schema, is said in an
            emulated prompt).
        fmt: the tool-call format the model is asked in (``Profile.tool_format``).
        tool_role: the backend takes ``role: "tool"`` messages.
        template: the profile's tool-prompt template (None: the format's own).
        parallel: the prompt may say that several calls can be made in one reply.
        one_call: one call per reply is wanted (``CallOptions.calls_wanted``: in an emulated
            mode unless ``parallel_tool_calls=True``): a constrained schema or grammar admits
            one, an emulated reply stops after one (a small model fills every call slot left
            open with calls nobody asked for: on the agent benchmark one call a reply took a
            grammar's success from 0.52 to 0.55 and wall time down by two thirds).
        failed_ids: ids of tool results whose tool failed (marked in replayed history).
        json_schema: a JSON schema the reply must follow, asked for in words.
        answer_only: the request asks for an answer (the judge's re-ask after a call it
            refused). A constrained turn then admits only an answer (no grammar, or a
            schema without calls); an emulated prompt is unchanged, tool block and all: the
            re-ask's own message asks for the answer and the judge refuses a call. Dropping
            the block changed the system prompt, and llama-server evaluated the whole
            conversation again (on the agent benchmark, plain emulation's wall time went
            from 224.9 s to 199.1 s when the block stayed).
        stop_max: the most stop sequences the backend takes (None: no limit, 0: it takes
            none); the end of a call is added where one call is wanted and there is room.
        grammar: a constrained turn is decoded under a GBNF grammar (``grammar``), not a
            ``response_format`` JSON schema: an answer is then plain text.
        grammar_prompt: the conversation's constrained turns are prompted as grammar turns
            (``Profile.call_grammar``), those under the schema too: the system prompt is the
            same bytes on every turn, so the server's prompt cache keeps the conversation
            when a turn is decoded under the other (a switch re-evaluated all of it: on the
            agent benchmark 139 prompt tokens a switch against 44), and a schema turn says
            its answer shape after its last message.
    """

    mode: PromptMode | None
    tools: list[dict[str, Any]]
    tool_choice: Any = None
    fmt: str = "hermes"
    tool_role: bool = True
    template: str | None = None
    parallel: bool = True
    one_call: bool = False
    failed_ids: frozenset[str] = frozenset()
    json_schema: dict[str, Any] | None = None
    answer_only: bool = False
    stop_max: int | None = 0
    grammar: bool = False
    grammar_prompt: bool = False


def prompt_request(wire: list[dict[str, Any]], params: dict[str, Any],
                   spec: PromptSpec) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages and request fields of a request whose tools (or schema) are prompted.

    Args:
        wire: the conversation as wire messages (not modified).
        params: the request's fields so far (not modified).
        spec: what the prompt carries.

    Returns:
        New messages and new fields.

    Raises:
        ValueError: ``tool_choice`` names a tool that is not among ``tools``.
    """
    if spec.json_schema is not None:
        wire = _with_system(wire, render_json_instructions(spec.json_schema))
    if spec.mode == "constrained":  # the same tool block every turn: the decoder does the rest
        params = {**params, **_constraint(spec)}
        as_grammar = spec.grammar or spec.grammar_prompt
        wire = emulate_messages(wire, spec.tools, None, tool_role=spec.tool_role,
                                template=spec.template, failed_ids=spec.failed_ids,
                                fmt="grammar" if as_grammar else "constrained")
        if as_grammar and not spec.grammar:
            wire = _with_tail(wire, ANSWER_SHAPE)
    elif spec.mode == "emulated":
        if spec.one_call:
            params = _with_call_end(params, spec)
        wire = emulate_messages(wire, spec.tools, spec.tool_choice,
                                tool_role=spec.tool_role, template=spec.template,
                                parallel=spec.parallel, failed_ids=spec.failed_ids, fmt=spec.fmt)
    elif spec.mode == "replay":
        wire = replay_tool_history(wire, tool_role=False, failed_ids=spec.failed_ids,
                                   fmt=spec.fmt)
    return wire, params


def _constraint(spec: PromptSpec) -> dict[str, Any]:
    """The field a constrained turn is decoded under, narrowed by ``tool_choice``: a
    grammar (none when an answer is asked for: plain text needs no constraint), or a
    ``response_format`` schema."""
    mode, name = normalize_tool_choice(spec.tool_choice, spec.tools)
    if spec.grammar:
        if spec.answer_only:
            return {}
        chosen = narrowed(spec.tools, mode, name)
        return {"grammar": tool_grammar(chosen, calls_only=mode in ("required", "named"),
                                        parallel=not spec.one_call)}
    return {"response_format": response_format(spec.tools, mode, name, parallel=not spec.one_call,
                                               answer_only=spec.answer_only)}


def _with_system(wire: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Append ``text`` to the leading system message (or insert one)."""
    if wire and wire[0]["role"] == "system" and isinstance(wire[0].get("content"), str):
        return [{**wire[0], "content": f"{wire[0]['content']}\n\n{text}"}, *wire[1:]]
    return [{"role": "system", "content": text}, *wire]


def _with_tail(wire: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Append ``text`` to the conversation's last message (the tool result; a re-ask's own
    turns are added after it, by the payload): said there, it costs the prompt cache
    nothing, as the system prompt stays the same bytes."""
    if not wire:
        return wire
    last, content = wire[-1], wire[-1].get("content")
    if isinstance(content, list):
        content = [*content, {"type": "text", "text": text}]
    else:
        content = f"{content}\n\n{text}" if content else text
    return [*wire[:-1], {**last, "content": content}]


def _with_call_end(params: dict[str, Any], spec: PromptSpec) -> dict[str, Any]:
    """The stop sequences with the end of the format's call (``</tool_call>``) added, so a
    reply that should hold one call ends with it; unchanged where the format's calls have no
    end marker or the backend takes no more stop sequences."""
    end = writer(spec.fmt).call_end
    stop = params.get("stop")
    have = [stop] if isinstance(stop, str) else list(stop or ())
    if not end or end in have or (spec.stop_max is not None and len(have) >= spec.stop_max):
        return params
    return {**params, "stop": [*have, end]}
