"""Tool calling and structured output for backends without native support.

Pure code (no I/O). The chat model uses it in three steps:

1. ``emulate_messages(messages, tools, tool_choice, tool_role=...)`` renders the tools into
   the system prompt and rewrites tool history as text (``render.py``; ``emulate_request``
   does the same to a whole request body);
2. ``parse_tool_calls(text, tools)`` or ``StreamingToolParser(tools)`` reads the calls back
   out of the reply, in any of the formats models emit (``parser.py``, ``streaming.py``,
   the format table in ``formats.py``);
3. ``tool_choice_violation`` / ``parse_json_reply`` decide whether to re-ask with
   ``reask_message`` (``reasks.py``, ``json_output.py``).

Modules: ``render`` (prompt side); ``formats/`` (one module per tool-call format: how it is
recognised and, for those we prompt in, written); the scanner shared by one-shot and
streaming parsing: ``engine`` running the format table, ``readers`` (what a found call
says), ``calls`` (catalogue and schema applied); ``jsonish`` (lenient JSON), ``schema``
(argument validation). Names are imported on first use: a plain chat loads none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_compat._lazy import lazy_face

#: public name -> the module that defines it (imported on first use: a plain chat call
#: never loads the format table).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("ParsedReply", "parse_tool_calls", "unwrap_generic_response"), "parser"),
    **dict.fromkeys(("DEFAULT_TOOL_TEMPLATE", "emulate_messages", "emulate_request",
                     "normalize_tool_choice", "render_tool_prompt", "replay_tool_history"),
                    "render"),
    "validate_arguments": "schema",
    **dict.fromkeys(("Event", "StreamingToolParser", "TextDelta", "ToolCallDelta"), "streaming"),
    **dict.fromkeys(("parse_json_reply", "render_json_instructions"), "json_output"),
    **dict.fromkeys(("reask_message", "tool_choice_violation"), "reasks"),
}

if TYPE_CHECKING:  # pragma: no cover
    # For type checkers only: __getattr__ imports these on first use (the noqa says so).
    from langchain_compat.emulation.json_output import (  # noqa: F401
        parse_json_reply,
        render_json_instructions,
    )
    from langchain_compat.emulation.parser import (  # noqa: F401
        ParsedReply,
        parse_tool_calls,
        unwrap_generic_response,
    )
    from langchain_compat.emulation.reasks import reask_message, tool_choice_violation  # noqa: F401
    from langchain_compat.emulation.render import (  # noqa: F401
        DEFAULT_TOOL_TEMPLATE,
        emulate_messages,
        emulate_request,
        normalize_tool_choice,
        render_tool_prompt,
        replay_tool_history,
    )
    from langchain_compat.emulation.schema import validate as validate_arguments  # noqa: F401
    from langchain_compat.emulation.streaming import (  # noqa: F401
        Event,
        StreamingToolParser,
        TextDelta,
        ToolCallDelta,
    )

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_face(__name__, _EXPORTS, globals(), prefix=f"{__name__}.",
                                 renames={"validate_arguments": "validate"})
