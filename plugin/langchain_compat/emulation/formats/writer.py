"""The writing side of a tool-call format: how the prompt asks for calls, and how a call
and a tool result are written into the conversation (pure).

A :class:`Writer` belongs to the format module that also reads that format back
(``hermes.py``, ``llama.py``, ``mistral.py``), so nothing else lists its tags.
Which writer a backend is prompted with is a profile fact (``Profile.tool_format``):
a model is best asked in the format it was trained on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Writer", "arguments_json", "escape_json_marks", "escape_marks"]

#: ``tool_choice`` instruction keys: "auto", "required", "named" (``{name}`` is the tool).
ChoiceText = dict[str, str]


@dataclass(frozen=True)
class Writer:
    """How one format is written.

    Attributes:
        name: the profile's ``tool_format`` value.
        template: the system-prompt block: ``$tools`` (the catalogue, one JSON object a
            line) and ``$choice`` (the ``tool_choice`` instruction) are filled in.
        choice: the instruction per ``tool_choice`` mode ("auto", "required", "named").
        block: how an instruction names one call ("a <tool_call> block").
        call: ``(name, arguments as JSON text) -> the call as the model writes it``.
        result: ``(name, call id, text, failed) -> a tool result as the prompt shows it``.
        marks: the format's own markers; data written into the prompt (results, ids,
            names) must not contain them as markup (see :func:`escape_marks`).
        result_mark: a pattern found where a reply writes a tool result itself (the
            model inventing one instead of waiting for the tool).
        call_end: what ends one call (a stop sequence where one call is wanted;
            None: the format's calls have no end marker of their own).
        enforced: ``tool_choice`` and one call per reply are enforced by the decoder
            (constrained emulation), not asked for in the prompt.
    """

    name: str
    template: str
    choice: ChoiceText
    block: str
    call: Callable[[str, str], str]
    result: Callable[[str, str | None, str, bool], str]
    marks: tuple[str, ...]
    result_mark: str
    call_end: str | None = None
    enforced: bool = False

    def calls(self, calls: list[tuple[Any, Any]]) -> str:
        """Several calls ``[(name, arguments)]`` as the model writes them, one after another."""
        return "\n".join(self.call(name, arguments_json(args)) for name, args in calls)

    @property
    def own_marks(self) -> re.Pattern[str]:
        """A ``<`` or ``[`` that would start one of the format's markers."""
        return _marks_pattern(self.marks)


def arguments_json(args: Any) -> str:
    """Arguments as JSON text (a string that is not JSON is kept as a JSON string)."""
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            pass
    return json.dumps(args if args is not None else {}, ensure_ascii=False)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _marks_pattern(marks: tuple[str, ...]) -> re.Pattern[str]:
    pattern = _PATTERNS.get(marks)
    if pattern is None:
        parts = []
        for first in sorted({m[0] for m in marks}):
            heads = "|".join(re.escape(m[1:]) for m in marks if m[0] == first)
            parts.append(rf"{re.escape(first)}(?=\s*/?\s*(?:{heads}))")
        pattern = _PATTERNS[marks] = re.compile("|".join(parts), re.IGNORECASE)
    return pattern


_HTML = {"<": "&lt;", "[": "&#91;"}
_JSON = {"<": "\\u003c", "[": "\\u005b"}


def escape_marks(text: str, writer: Writer) -> str:
    """``text`` with the opening character of the format's own markers escaped (``<`` as
    ``&lt;``, ``[`` as ``&#91;``): a tool result must not close a result block or open a
    call the model would take as real. Nothing else changes, so it stays readable."""
    return writer.own_marks.sub(lambda m: _HTML.get(m.group(), m.group()), text)


def escape_json_marks(json_text: str, writer: Writer) -> str:
    """JSON text with the format's markers' opening character written as a JSON escape
    (``\\u003c``): in JSON every such character is inside a string, where it means the same."""
    return writer.own_marks.sub(lambda m: _JSON.get(m.group(), m.group()), json_text)
