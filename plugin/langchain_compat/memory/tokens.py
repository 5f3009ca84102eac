"""An offline, conservative token estimate.

Exact counts need the model's own tokenizer, which we rarely have (cotomi,
Telkom and Avangenio do not publish theirs; ``tiktoken`` downloads its tables
at run time and fails offline). Memory trimming only needs an *upper bound*:
over-estimating costs a few old turns, under-estimating costs a refused
request. So every rule below rounds up.

The heuristic, per piece of text:

- **CJK** (Han ideographs, kana, Hangul, CJK punctuation, full-width forms):
  ``CJK_TOKENS_PER_CHAR`` (1.0) per character. BPE tokenizers trained on
  multilingual data spend 0.6-1.0 tokens on such a character; rare kanji can
  take two bytes-level pieces, which the per-message slack below absorbs.
- **Other non-ASCII** (Cyrillic, Greek, Arabic, Thai, accented Latin):
  ``1 / NON_ASCII_CHARS_PER_TOKEN`` (0.5) per character — these scripts
  tokenize at 2-3 characters per token.
- **Emoji and other symbols** (Unicode category ``So``/``Cs`` and
  variation selectors): ``SYMBOL_TOKENS_PER_CHAR`` (2) each.
- **Everything else** (ASCII text and code): the larger of
  ``chars / 3.5`` and ``words * 1.3`` (English averages ~4 characters per
  token; code and numbers are denser, hence 3.5; short words cost at least a
  token each, hence the word rule).

Per message: ``PER_MESSAGE_TOKENS`` (6) for the chat template's role header
and end-of-turn markers (ChatML spends 5), the ``name`` field's text, every
tool call's name and JSON arguments plus ``PER_TOOL_CALL_TOKENS`` (10) for
its wrapper (emulated tool calls are rendered as tagged JSON text, which costs
more than the native wire form), a ToolMessage's ``tool_call_id``, and
``IMAGE_TOKENS`` (1024) per image/audio/file content block (a high-detail
OpenAI image tile set or a llama.cpp vision embedding costs up to about
that). Per request: ``REPLY_PRIMING_TOKENS`` (3) for the assistant header
that starts the reply.

:func:`count_tokens` takes a list of messages and fits langchain's
``trim_messages(..., token_counter=count_tokens)``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, convert_to_messages

__all__ = [
    "CJK_TOKENS_PER_CHAR",
    "IMAGE_TOKENS",
    "PER_MESSAGE_TOKENS",
    "PER_TOOL_CALL_TOKENS",
    "REPLY_PRIMING_TOKENS",
    "count_message_tokens",
    "count_tokens",
    "estimate_text_tokens",
    "estimate_tools_tokens",
]

CHARS_PER_TOKEN = 3.5
TOKENS_PER_WORD = 1.3
CJK_TOKENS_PER_CHAR = 1.0
NON_ASCII_CHARS_PER_TOKEN = 2.0
SYMBOL_TOKENS_PER_CHAR = 2.0
PER_MESSAGE_TOKENS = 6
PER_TOOL_CALL_TOKENS = 10
REPLY_PRIMING_TOKENS = 3
IMAGE_TOKENS = 1024

# Han (incl. extensions A and compatibility), kana, Hangul, CJK symbols and
# punctuation, full-width / half-width forms, Bopomofo, CJK strokes.
_CJK = re.compile(
    "["
    "\u2e80-\u2fdf"  # radicals
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3100-\u312f\u3190-\u31ff"  # bopomofo, kanbun, strokes, katakana ext.
    "\u3200-\u4dbf"  # enclosed, compatibility, ext. A
    "\u4e00-\u9fff"  # unified ideographs
    "\ua960-\ua97f\uac00-\ud7ff"  # hangul
    "\uf900-\ufaff"  # compatibility ideographs
    "\ufe30-\ufe4f"  # compatibility forms
    "\uff00-\uffef"  # half-width and full-width forms
    "\U00020000-\U0003ffff"  # ext. B and later
    "]"
)
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_IMAGE_BLOCK_TYPES = frozenset(
    {"image_url", "image", "input_image", "audio", "input_audio", "file", "video"}
)


def estimate_text_tokens(text: str) -> int:
    """Upper-bound token estimate of ``text`` (see the module docstring)."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text) if cjk else text
    other = symbols = 0
    if not rest.isascii():
        for ch in rest:
            if ord(ch) < 128:
                continue
            cat = unicodedata.category(ch)
            if cat in ("So", "Cs", "Co") or 0xFE00 <= ord(ch) <= 0xFE0F:
                symbols += 1
            elif not ch.isspace():
                other += 1
        # Drop non-ASCII characters so the ASCII rule does not count them twice.
        rest = "".join(ch if ord(ch) < 128 else " " for ch in rest)
    stripped = rest.strip()
    ascii_chars = len(stripped)
    words = len(_WORD.findall(stripped))
    ascii_tokens = max(ascii_chars / CHARS_PER_TOKEN, words * TOKENS_PER_WORD)
    total = (
        ascii_tokens
        + cjk * CJK_TOKENS_PER_CHAR
        + other / NON_ASCII_CHARS_PER_TOKEN
        + symbols * SYMBOL_TOKENS_PER_CHAR
    )
    return math.ceil(total)


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return estimate_text_tokens(content)
    if isinstance(content, dict):
        content = [content]
    total = 0
    for block in content or ():
        if isinstance(block, str):
            total += estimate_text_tokens(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in _IMAGE_BLOCK_TYPES:
                total += IMAGE_TOKENS
            elif isinstance(block.get("text"), str):
                total += estimate_text_tokens(block["text"])
            elif kind in ("tool_use", "tool_call"):
                # Anthropic-style blocks duplicate ``tool_calls``; counted there.
                continue
            else:
                total += estimate_text_tokens(json.dumps(block, default=str))
        else:
            total += estimate_text_tokens(str(block))
    return total


def _args_text(args: Any) -> str:
    if isinstance(args, str):
        return args
    return json.dumps(args, ensure_ascii=False, default=str)


def count_message_tokens(message: BaseMessage) -> int:
    """Upper-bound token estimate of one message, template overhead included."""
    total = PER_MESSAGE_TOKENS + _content_tokens(message.content)
    if message.name:
        total += estimate_text_tokens(message.name)
    if isinstance(message, AIMessage):
        calls: list[tuple[str, Any, str]] = [
            (c.get("name") or "", c.get("args"), c.get("id") or "") for c in message.tool_calls
        ]
        calls += [
            (c.get("name") or "", c.get("args") or "", c.get("id") or "")
            for c in message.invalid_tool_calls
        ]
        for name, args, call_id in calls:
            total += PER_TOOL_CALL_TOKENS + estimate_text_tokens(name)
            total += estimate_text_tokens(_args_text(args)) + estimate_text_tokens(call_id)
    elif isinstance(message, ToolMessage):
        total += estimate_text_tokens(message.tool_call_id or "")
    return total


def count_tokens(messages: Sequence[BaseMessage] | Iterable[Any]) -> int:
    """Upper-bound token estimate of a whole request's messages.

    Usable as ``token_counter`` for ``langchain_core.messages.trim_messages``
    and for :func:`langchain_compat.memory.trim_to_window`. Accepts anything
    ``convert_to_messages`` accepts (tuples, dicts, strings).
    """
    msgs = convert_to_messages(list(messages))
    if not msgs:
        return 0
    return REPLY_PRIMING_TOKENS + sum(count_message_tokens(m) for m in msgs)


def estimate_tools_tokens(tools: Sequence[Any] | None) -> int:
    """Upper-bound estimate of the prompt space a list of tools takes.

    Native tools travel as JSON schemas that the server renders into the
    prompt; emulated tools are rendered by us into the system prompt with
    instructions. Either way their schemas' text is the bulk of it; we add a
    fixed 150 tokens for the surrounding instructions.
    """
    if not tools:
        return 0
    from langchain_core.utils.function_calling import convert_to_openai_tool

    total = 150
    for tool in tools:
        try:
            schema = convert_to_openai_tool(tool)
        except Exception:  # noqa: BLE001 - an unknown tool shape still costs space
            schema = {"tool": str(tool)}
        total += estimate_text_tokens(json.dumps(schema, ensure_ascii=False, default=str)) + 10
    return total
