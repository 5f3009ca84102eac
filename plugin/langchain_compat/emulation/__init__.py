"""Tool calling and structured output for backends without native support.

Pure code (no I/O). The chat model uses it in three steps:

1. ``emulate_messages(messages, tools, tool_choice, tool_role=...)`` renders the tools into
   the system prompt and rewrites tool history as text (``render.py``; ``emulate_request``
   does the same to a whole request body);
2. ``parse_tool_calls(text, tools)`` or ``StreamingToolParser(tools)`` reads the calls back
   out of the reply, in any of the formats models emit (``parser.py``, ``streaming.py``,
   the format table in ``formats.py``);
3. ``tool_choice_violation`` / ``parse_json_reply`` decide whether to re-ask with
   ``reask_message`` (``structured.py``).

Modules: ``render`` (prompt side); the scanner shared by one-shot and streaming parsing:
``engine`` running the format table ``formats`` (with ``scanning``, ``tagged``, ``textual``),
``readers`` (what a found call says), ``calls`` (catalogue and schema applied); ``jsonish``
(lenient JSON), ``schema`` (argument validation).
"""

from langchain_compat.emulation.parser import ParsedReply, parse_tool_calls, unwrap_generic_response
from langchain_compat.emulation.render import (
    DEFAULT_TOOL_TEMPLATE,
    emulate_messages,
    emulate_request,
    normalize_tool_choice,
    render_tool_prompt,
    replay_tool_history,
)
from langchain_compat.emulation.schema import validate as validate_arguments
from langchain_compat.emulation.streaming import (
    Event,
    StreamingToolParser,
    TextDelta,
    ToolCallDelta,
)
from langchain_compat.emulation.structured import (
    parse_json_reply,
    reask_message,
    render_json_instructions,
    tool_choice_violation,
)

__all__ = [
    "DEFAULT_TOOL_TEMPLATE",
    "Event",
    "ParsedReply",
    "StreamingToolParser",
    "TextDelta",
    "ToolCallDelta",
    "emulate_messages",
    "emulate_request",
    "normalize_tool_choice",
    "parse_json_reply",
    "parse_tool_calls",
    "reask_message",
    "render_json_instructions",
    "render_tool_prompt",
    "replay_tool_history",
    "tool_choice_violation",
    "unwrap_generic_response",
    "validate_arguments",
]
