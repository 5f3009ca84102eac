"""An offline, conservative token estimate.

Exact counts need the model's own tokenizer, which we rarely have (cotomi,
Telkom and Avangenio do not publish theirs; ``tiktoken`` downloads its tables
at run time and fails offline). Memory trimming only needs an *upper bound*:
over-estimating costs a few old turns, under-estimating costs a refused
request. So every rule below rounds up, and the rates were checked against a
real byte-level BPE tokenizer (Qwen2.5's, through the local llama-server's
``/tokenize``; ``tests/memory/test_memory_local.py`` keeps checking it).

The heuristic, per piece of text:

- **ASCII** (English, code, JSON): the largest of ``chars / 3.5``,
  ``words * 1.3`` and a piece count — each word ``ceil(len / 4)`` tokens, each
  digit one token, two with a leading space (Qwen and Llama 3 split numbers
  into single digits or short groups), each punctuation mark one, each run
  of 2+ whitespace characters ``ceil(len / 3)``, one token more per case
  switch inside a word, and ``len / 1.5`` for long random-looking words
  (mixed case with digits: base64, keys, hashes), plus one for a word that
  starts the text (BPE vocabularies hold most words with their leading space).
  The piece count gets a 20% margin (``PIECE_MARGIN``: short words of other
  Latin-script languages split further), and every non-empty text gets
  ``TEXT_SLACK_TOKENS`` (1) on top, for how its edges split.
  Text mixing scripts is cut into ASCII and non-ASCII stretches, each
  estimated on its own, with one more token per space in the ASCII ones
  (next to Ethiopic or Indic letters a space does not merge with a word).
- **Other scripts**: a per-character rate from :data:`SCRIPT_RATES`, a
  table of Unicode ranges: CJK ideographs, kana and Hangul 1.0 (measured:
  0.6-0.7); Latin-1 accents 0.5, other Latin letters 1.0; Cyrillic, Hebrew,
  Arabic 0.6; Thai and Vietnamese 0.7; Greek 1.0; Indic scripts 1.5; any
  other character of the Basic Multilingual Plane 1.5 (Tibetan, Ethiopic:
  ~1.35 measured); characters beyond it (rare CJK extension ideographs,
  emoji) 3.0 — byte-level BPE spends up to one token per UTF-8 byte on
  characters it has rarely seen.

Scope: an upper bound on natural text (prose, chat, code, JSON, numbers, in
the scripts above, mixed freely). A contrived string can beat any heuristic
(one short foreign word repeated, each a two-token word); the reply reserve
is the second line of defence.

Per message: ``PER_MESSAGE_TOKENS`` (6) for the chat template's role header
and end-of-turn markers (ChatML spends 5), the ``name`` field's text, every
tool call's name and JSON arguments plus ``PER_TOOL_CALL_TOKENS`` (10) for
its wrapper (emulated tool calls are rendered as tagged JSON text, which costs
more than the native wire form), a ToolMessage's ``tool_call_id``, and
``IMAGE_TOKENS`` (1024) per image/audio/file content block (a high-detail
OpenAI image tile set or a llama.cpp vision embedding costs up to about
that). Per request: ``REPLY_PRIMING_TOKENS`` (3) for the assistant header
that starts the reply.

Not counted: a default system prompt some chat templates inject when the
request has none (Qwen2.5's adds about 20 tokens); the reply reserve of
:func:`~langchain_compat.memory.trim.input_budget` absorbs it.

:func:`count_tokens` takes a list of messages and fits langchain's
``trim_messages(..., token_counter=count_tokens)``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, convert_to_messages

__all__ = [
    "CJK_TOKENS_PER_CHAR",
    "IMAGE_TOKENS",
    "PER_MESSAGE_TOKENS",
    "PER_TOOL_CALL_TOKENS",
    "REPLY_PRIMING_TOKENS",
    "SCRIPT_RATES",
    "count_message_tokens",
    "count_tokens",
    "estimate_text_tokens",
    "estimate_tools_tokens",
]

CHARS_PER_TOKEN = 3.5
TOKENS_PER_WORD = 1.3
CHARS_PER_WORD_TOKEN = 4
CJK_TOKENS_PER_CHAR = 1.0
PER_MESSAGE_TOKENS = 6
PER_TOOL_CALL_TOKENS = 10
REPLY_PRIMING_TOKENS = 3
IMAGE_TOKENS = 1024
#: Margin on the piece count: short words of other languages split further
#: (Vietnamese "nay" and Indonesian "sangat" are 2-3 tokens for Qwen2.5).
PIECE_MARGIN = 1.2
#: Added to every non-empty text: rounding slack for how a tokenizer splits its edges.
TEXT_SLACK_TOKENS = 1

#: (first code point, last code point, tokens per character), first match wins.
SCRIPT_RATES: tuple[tuple[int, int, float], ...] = (
    (0x00A0, 0x00FF, 0.5),  # Latin-1 supplement (common accents)
    (0x0100, 0x024F, 1.0),  # Latin extended A/B (rarer letters)
    (0x0370, 0x03FF, 1.0),  # Greek
    (0x0400, 0x052F, 0.6),  # Cyrillic
    (0x0590, 0x06FF, 0.6),  # Hebrew, Arabic
    (0x0E00, 0x0E7F, 0.7),  # Thai
    (0x0900, 0x0DFF, 1.5),  # Devanagari, Bengali, Tamil, ... (Indic: vowel signs split words)
    (0x1E00, 0x1EFF, 0.7),  # Latin extended additional (Vietnamese)
    (0x2E80, 0x2FDF, CJK_TOKENS_PER_CHAR),  # CJK radicals
    (0x3000, 0x303F, CJK_TOKENS_PER_CHAR),  # CJK symbols and punctuation
    (0x3040, 0x30FF, CJK_TOKENS_PER_CHAR),  # hiragana, katakana
    (0x3100, 0x31FF, CJK_TOKENS_PER_CHAR),  # bopomofo, kanbun, strokes
    (0x3200, 0x4DBF, CJK_TOKENS_PER_CHAR),  # enclosed, compatibility, extension A
    (0x4E00, 0x9FFF, CJK_TOKENS_PER_CHAR),  # unified ideographs
    (0xAC00, 0xD7FF, CJK_TOKENS_PER_CHAR),  # Hangul syllables
    (0xF900, 0xFAFF, CJK_TOKENS_PER_CHAR),  # compatibility ideographs
    (0xFF00, 0xFFEF, CJK_TOKENS_PER_CHAR),  # half-width and full-width forms
    (0x0080, 0xFFFF, 1.5),  # anything else in the Basic Multilingual Plane
    (0x10000, 0x10FFFF, 3.0),  # beyond it: rare ideographs, emoji, ...
)

_IMAGE_BLOCK_TYPES = frozenset(
    {"image_url", "image", "input_image", "audio", "input_audio", "file", "video"}
)
_ASCII_PIECE = re.compile(r"\s?[A-Za-z0-9_]+|\s{2,}|[^\sA-Za-z0-9_]|\s")
_SUBWORD = re.compile(r"[A-Za-z_]+|[0-9]")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_CASE_SWITCH = re.compile(r"[a-z][A-Z]|[A-Z][a-z]")


def _word_tokens(word: str) -> float:
    if len(word) >= 12 and _CASE_SWITCH.search(word) and not word.isalpha():
        return len(word) / 1.5  # base64, API keys, hashes: ~1.8 characters per token
    total = 0
    for sub in _SUBWORD.findall(word):
        # A digit is a token of its own; mixed case splits a word further.
        if sub.isdigit():
            total += 1
        else:
            total += -(-len(sub) // CHARS_PER_WORD_TOKEN) + len(_CASE_SWITCH.findall(sub))
    return total


def _rate(code: int) -> float:
    for first, last, rate in SCRIPT_RATES:
        if first <= code <= last:
            return rate
    return 3.0


def _ascii_tokens(text: str) -> float:
    pieces = 0.0
    for piece in _ASCII_PIECE.findall(text):
        if piece[-1].isspace():
            pieces += -(-len(piece) // 3)  # a run, or a lone space not before a word
        elif piece[-1].isalnum() or piece[-1] == "_":
            word = piece.lstrip()
            pieces += _word_tokens(word)
            if piece[0] != " " and piece[0].isspace():
                pieces += 2  # a newline or tab is a token, and the word lacks its merged space
            elif piece[0] == " " and word[0].isdigit():
                pieces += 1  # a space before a number is a token of its own (digits are split)
        else:
            pieces += 1
    if text[:1].isalpha():
        pieces += 1  # a word with no space before it lacks the merged " word" token
    words = len(_WORD.findall(text))
    return max(len(text) / CHARS_PER_TOKEN, words * TOKENS_PER_WORD, pieces * PIECE_MARGIN)


def estimate_text_tokens(text: str) -> int:
    """Upper-bound token estimate of ``text`` (see the module docstring)."""
    if not text:
        return 0
    if text.isascii():
        return math.ceil(_ascii_tokens(text)) + TEXT_SLACK_TOKENS
    total = 0.0
    segment: list[str] = []
    for ch in text:
        code = ord(ch)
        if code < 128:
            segment.append(ch)
            continue
        if segment:
            total += _mixed_segment_tokens("".join(segment))
            segment = []
        total += _rate(code)
    if segment:
        total += _mixed_segment_tokens("".join(segment))
    return math.ceil(total) + TEXT_SLACK_TOKENS


def _mixed_segment_tokens(text: str) -> float:
    # Next to non-Latin letters and marks, a space does not merge with a word: one token each.
    return _ascii_tokens(text) + text.count(" ")


TextCounter = Callable[[str], int]


def _content_tokens(content: Any, text_tokens: TextCounter = estimate_text_tokens) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if isinstance(content, dict):
        content = [content]
    total = 0
    for block in content or ():
        if isinstance(block, str):
            total += text_tokens(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in _IMAGE_BLOCK_TYPES:
                total += IMAGE_TOKENS
            elif isinstance(block.get("text"), str):
                total += text_tokens(block["text"])
            elif kind in ("tool_use", "tool_call", "reasoning", "thinking"):
                # Anthropic-style blocks duplicate ``tool_calls``; counted there. Reasoning is
                # not sent as content (a chat model counts what it replays itself).
                continue
            else:
                total += text_tokens(json.dumps(block, default=str))
        else:
            total += text_tokens(str(block))
    return total


def _args_text(args: Any) -> str:
    if isinstance(args, str):
        return args
    return json.dumps(args, ensure_ascii=False, default=str)


def count_message_tokens(message: BaseMessage,
                         text_tokens: TextCounter = estimate_text_tokens) -> int:
    """Upper-bound token estimate of one message, template overhead included.

    Args:
        message: the message.
        text_tokens: counts one piece of text (default: :func:`estimate_text_tokens`;
            a chat model passes its server's tokenizer where it has one).
    """
    total = PER_MESSAGE_TOKENS + _content_tokens(message.content, text_tokens)
    if message.name:
        total += text_tokens(message.name)
    if isinstance(message, AIMessage):
        calls: list[tuple[str, Any, str]] = [
            (c.get("name") or "", c.get("args"), c.get("id") or "") for c in message.tool_calls
        ]
        calls += [
            (c.get("name") or "", c.get("args") or "", c.get("id") or "")
            for c in message.invalid_tool_calls
        ]
        for name, args, call_id in calls:
            total += PER_TOOL_CALL_TOKENS + text_tokens(name)
            total += text_tokens(_args_text(args)) + text_tokens(call_id)
    elif isinstance(message, ToolMessage):
        total += text_tokens(message.tool_call_id or "")
    return total


def count_tokens(messages: Sequence[BaseMessage] | Iterable[Any],
                 text_tokens: TextCounter = estimate_text_tokens) -> int:
    """Upper-bound token estimate of a whole request's messages.

    Usable as ``token_counter`` for ``langchain_core.messages.trim_messages``
    and for :func:`langchain_compat.memory.trim_to_window`. Accepts anything
    ``convert_to_messages`` accepts (tuples, dicts, strings).

    Args:
        messages: the conversation.
        text_tokens: counts one piece of text (see :func:`count_message_tokens`).
    """
    msgs = convert_to_messages(list(messages))
    if not msgs:
        return 0
    return REPLY_PRIMING_TOKENS + sum(count_message_tokens(m, text_tokens) for m in msgs)


def estimate_tools_tokens(tools: Sequence[Any] | None,
                          text_tokens: TextCounter = estimate_text_tokens) -> int:
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
        total += text_tokens(json.dumps(schema, ensure_ascii=False, default=str)) + 10
    return total
