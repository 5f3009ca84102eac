"""Tool-call text formats, each one a unit: how it is recognised, read back and written.

A format module holds everything about its format: its recognisers for the scanner
(``RECOGNISERS``: trigger character -> recognisers; each tag recogniser knows its own
opener), and for the formats we prompt in, its :class:`~.writer.Writer` (the prompt, a
call and a tool result as the model should see them). This package assembles the table
the scanner (``emulation/engine.py``) runs, and picks the writer a profile names
(``Profile.tool_format``); nothing else lists a format's tags.

Read: Hermes/Qwen ``<tool_call>`` and kin (``hermes.py``), Llama 3.x ``<|python_tag|>``
and ``<function=name>`` (``llama.py``), Mistral ``[TOOL_CALLS]`` (``mistral.py``), special
tokens of Phi-4, Granite, Nemotron, InternLM, DeepSeek, Kimi and ``<think>`` blocks
(``special.py``), bare JSON, fences, pythonic lists (``json_family.py``), functionary and
ReAct (``textual.py``). Written: ``hermes`` (the default), ``llama3``, ``mistral``.
"""

from __future__ import annotations

import re

from langchain_compat.emulation.formats import (
    constrained,
    hermes,
    json_family,
    llama,
    mistral,
    special,
    textual,
)
from langchain_compat.emulation.formats.scanning import Recogniser
from langchain_compat.emulation.formats.writer import Writer
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import TOOL_FORMATS

__all__ = ["CALL_OPENERS", "FAKE_RESULT", "RECOGNISERS", "TAG_OPENERS", "TRIGGERS", "WRITERS",
           "writer"]

#: The modules in table order: within a trigger character the first verdict that is not
#: Reject wins (``<think>`` first: nothing inside it is a call).
_MODULES = (special, hermes, llama, mistral, json_family, textual)


def _table() -> dict[str, tuple[Recogniser, ...]]:
    think = special.think
    table: dict[str, tuple[Recogniser, ...]] = {"<": (think,)}
    for module in _MODULES:
        for char, recognisers in module.RECOGNISERS.items():
            table[char] = table.get(char, ()) + tuple(r for r in recognisers if r is not think)
    return table


#: trigger character -> recognisers tried in order; if all reject, the longest skip is text.
RECOGNISERS: dict[str, tuple[Recogniser, ...]] = _table()

#: Every literal opener of the table (``<tool_call>``, ``[TOOL_CALLS]``, ...).
_OPENERS: tuple[str, ...] = tuple(
    r.opener for rs in RECOGNISERS.values() for r in rs if hasattr(r, "opener"))
#: Openers of explicit call tags: a code block holding only these is those calls.
TAG_OPENERS: tuple[str, ...] = tuple(o for o in _OPENERS if o.startswith("<") and o != "<think>")
#: Openers a reply that is an unfinished or unreadable call starts with (for the judge).
CALL_OPENERS: tuple[str, ...] = tuple(o for o in _OPENERS if o != "<think>")

# Where a recogniser may start. "<" only counts when the next character can continue one of
# the "<" openers (or is not there yet), so prose full of "<" is not fed to every recogniser.
# ">" only as ">>>" and "A" only as "Action" (or what may still grow into them).
_LT_NEXT = "".join(sorted({o[1] for o in _OPENERS if o.startswith("<")}))
TRIGGERS = re.compile(r"<(?=[" + re.escape(_LT_NEXT) + r"]|\Z)|[\[{`]|>(?=>>|>?\Z)"
                      r"|A(?=ction|(?:c(?:t(?:i(?:o)?)?)?)?\Z)")

#: ``Profile.tool_format`` -> the writer of that format (every one ``profiles.TOOL_FORMATS``
#: names), and the constrained ones (``constrained.py``, chosen by ``Profile.constrained``:
#: under a JSON schema, or under a grammar with ``Profile.call_grammar``).
WRITERS: dict[str, Writer] = {w.name: w for w in (hermes.WRITER, llama.WRITER, mistral.WRITER,
                                                  constrained.WRITER, constrained.GRAMMAR_WRITER)}
assert set(WRITERS) == {*TOOL_FORMATS, "constrained", "grammar"}, (
    "profiles.TOOL_FORMATS and the writers disagree")


#: A tool result written by the model itself: any writer's result marker, or a chat
#: template's tool turn (``<|im_start|>tool``, ``<|tool_result``).
FAKE_RESULT = re.compile("|".join([w.result_mark for w in WRITERS.values()]
                                  + [r"<\|?tool_result", r"<\|im_start\|>\s*tool"]), re.IGNORECASE)


def writer(name: str) -> Writer:
    """The writer of the format ``name`` (``Profile.tool_format``).

    Raises:
        InvalidParameterError: no such format.
    """
    try:
        return WRITERS[name]
    except KeyError:
        raise InvalidParameterError(
            "tool_format", f"got {name!r}; use one of {sorted(WRITERS)}") from None
