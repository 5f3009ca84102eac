"""The one scanner behind both ``parse_tool_calls`` and ``StreamingToolParser``.

Parsing a whole reply is streaming it in one chunk with ``final=True``; so the two modes
share every decision and can only disagree if a recogniser breaks the rule stated in
``scanning.py``.

Besides running the format table, the scanner decides where a call counts (see
``_placement``): a call-shaped span on a Markdown quote line (``> ...``), or inside a sentence
(prose right before it on its line and right after it), is a *mention* and stays text.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call

from langchain_compat.emulation.calls import (
    IdFactory,
    build_call,
    cut_at_limit,
    index_tools,
    random_call_id,
)
from langchain_compat.emulation.formats import RECOGNISERS, TRIGGERS
from langchain_compat.emulation.formats.scanning import NEED, Ctx, Match, OpenFence, Reject
from langchain_compat.emulation.jsonish import RawCall
from langchain_compat.emulation.readers import single_string_param

__all__ = ["Engine", "IdFactory", "build_call", "index_tools", "random_call_id"]

# A call right after one of these (on its line) is introduced, not part of a sentence.
_INTRODUCERS = frozenset(".!?:;\u3002\uff01\uff1f\uff1a\uff1b")
# After a call, these may start another call: not prose that continues a sentence.
_CALL_STARTS = frozenset("<{[`>")
_BLANKS = re.compile(r"[ \t]*")


def _partial_suffix(buf: str, marker: str, start: int) -> int:
    """Length of the longest proper prefix of ``marker`` that ``buf[start:]`` ends with."""
    for k in range(min(len(marker) - 1, len(buf) - start), 0, -1):
        if buf.endswith(marker[:k]):
            return k
    return 0


class _Text:
    """Trims like ``"".join(parts).strip()`` but streams: whitespace is held until
    non-space text follows, and whitespace right after a call is dropped."""

    def __init__(self) -> None:
        self.pending = ""
        self.drop_leading = True

    def add(self, s: str) -> str:
        if self.drop_leading:
            s = s.lstrip()
            if not s:
                return ""
            self.drop_leading = False
        body = s.rstrip()
        if not body:
            self.pending += s
            return ""
        out, self.pending = self.pending + body, s[len(body):]
        return out

    def after_call(self) -> None:
        self.drop_leading = True


class _Line:
    """The text of the current line so far (calls excluded), as far as mentions care."""

    def __init__(self) -> None:
        self.first = ""  # its first non-space character ("" = none yet)
        self.last = ""  # its last non-space character since the line or the last call began

    def add(self, text: str) -> None:
        _, newline, tail = text.rpartition("\n")
        if newline:
            self.first = self.last = ""
            text = tail
        body = text.strip()
        if body:
            self.first = self.first or body[0]
            self.last = body[-1]


class Engine:
    """Incremental scanner. ``push`` returns items: ``str`` (text to show) or
    ``(index, ToolCall | InvalidToolCall)``.

    Args:
        tools: OpenAI-format tools, or ``None`` if unknown.
        id_factory: ``index -> id`` for the calls.
        calls_only: Accept calls only if the reply is nothing but calls (whitespace and
            ``<think>`` blocks aside); otherwise the whole reply is text. Holds everything
            back until that is known.
    """

    def __init__(self, tools: list[dict] | None, id_factory: IdFactory | None = None, *,
                 calls_only: bool = False) -> None:
        self.tools = index_tools(tools)
        known = self.tools or {}
        self.ctx = Ctx(frozenset(known) if self.tools is not None else None,
                       sole=next(iter(known.items())) if len(known) == 1 else None,
                       text_tools=frozenset(n for n, s in known.items() if single_string_param(s)))
        self.id_factory = id_factory or random_call_id
        self.buf = ""
        self.in_fence = ""  # closing marker of the opaque block we are in ("" = none)
        self.count = 0
        self.done = False
        self._text = _Text()
        self._line = _Line()
        self._pending: list[Any] = []  # calls without a closing marker: is the reply over?
        self._waiting: tuple[int, Match] | None = None  # (absolute start, call awaiting context)
        #                                                  with the end relative to its start
        self._looked = 0  # absolute position up to which blanks after that call were seen
        self.calls_only = calls_only
        self._source: list[str] = []  # calls_only: the reply so far, in case it is all text
        self._held: list[Any] = []  # calls_only: items not released yet
        self._prose = False  # text outside <think> blocks was seen
        self._voided = False  # calls_only and prose seen: the rest is plain text

    def push(self, delta: str, final: bool = False, *, truncated: bool = False) -> list[Any]:
        """Add text and return what can be decided now (everything, when ``final``).

        Args:
            delta: The new text.
            final: No more text will come.
            truncated: (with ``final``) the reply stopped at the token limit: a call it ends
                with, not closed by a marker of its own, is invalid.
        """
        if self.done:
            raise RuntimeError("the parser is finished; create a new one")
        self.done = final
        if self._voided:
            return self._plain(delta)
        if self.calls_only:
            self._source.append(delta)
        out = self._scan(delta, final)
        if final and self._pending:
            pending, self._pending = self._pending, []
            out += [(i, cut_at_limit(c)) for i, c in pending] if truncated else pending
        if not self.calls_only:
            return out
        if self._prose:  # not calls only: the whole reply is text
            self._voided, self._held, self._text = True, [], _Text()
            return self._plain("".join(self._source))
        self._held += out
        return self._held if final else []

    def _plain(self, text: str) -> list[Any]:
        shown = self._text.add(text)
        return [shown] if shown else []

    def _scan(self, delta: str, final: bool) -> list[Any]:
        self.ctx.final = final
        buf = self.buf = self.buf + delta
        out: list[Any] = []
        pos = 0
        while pos < len(buf):
            if self.in_fence:  # inside a code block or <think>: only its closing marker matters
                close, think = self.in_fence, self.in_fence == "</think>"
                j = buf.find(close, pos)
                if j < 0:
                    tail = 0 if final else _partial_suffix(buf, close, pos)
                    self._emit(out, buf[pos:len(buf) - tail], prose=not think)
                    pos = len(buf) - tail
                    break
                self._emit(out, buf[pos:j + len(close)], prose=not think)
                pos, self.in_fence, self._line.last = j + len(close), "", ""
                continue
            m = TRIGGERS.search(buf, pos)
            if m is None:
                self._emit(out, buf[pos:])
                pos = len(buf)
                break
            self._emit(out, buf[pos:m.start()])
            pos = m.start()
            self._flush(out)  # (a call may be starting: the reply did not end with the last)
            verdict = self._try(buf, pos)
            if verdict is NEED:
                break
            if isinstance(verdict, Match):
                where = self._placement(buf, pos, verdict) if verdict.calls else "call"
                if where is NEED:
                    self._waiting = (self.ctx.base + pos, Match(verdict.end - pos, verdict.calls,
                                                                verdict.closed))
                    break
                if where == "mention":
                    self._emit(out, buf[pos:verdict.end])
                else:
                    self._take(out, verdict)
                pos = max(verdict.end, pos + 1)
            elif isinstance(verdict, OpenFence):
                self._emit(out, buf[pos:verdict.end], prose=verdict.close != "</think>")
                pos, self.in_fence = verdict.end, verdict.close
            else:
                self._emit(out, buf[pos:pos + verdict.skip])
                pos += verdict.skip
        self.buf = buf[pos:]
        if pos:
            self.ctx.base += pos
            self.ctx.memo = {k: v for k, v in self.ctx.memo.items() if k >= self.ctx.base}
        return out

    def _try(self, buf: str, pos: int) -> Any:
        if self._waiting is not None:
            at, verdict = self._waiting
            self._waiting = None
            if at == self.ctx.base + pos:  # decided before: verdicts do not change
                return Match(pos + verdict.end, verdict.calls, verdict.closed)
        self.ctx.line_start = not self._line.first
        skip = 1
        for recognise in RECOGNISERS[buf[pos]]:
            verdict = recognise(buf, pos, self.ctx)
            if not isinstance(verdict, Reject):
                return verdict
            skip = max(skip, verdict.skip)
        return Reject(skip)

    def _placement(self, buf: str, pos: int, match: Match) -> Any:
        """``"call"``, ``"mention"`` (stays text) or NEED for a call-shaped span.

        A mention is a span on a Markdown quote line (its first character is ``>``), or one
        inside a sentence: prose right before it on its line that does not end with
        ``. ! ? : ;`` (so "Sure! <tool_call>..." and "Calling it: {...}" are calls), and prose
        right after it on the same line (not a newline, not another call).
        """
        if self._line.first == ">":
            return "mention"
        if not self._line.last or self._line.last in _INTRODUCERS:
            return "call"
        j = _BLANKS.match(buf, max(match.end, self._looked - self.ctx.base)).end()
        if j == len(buf) and not self.ctx.final:
            self._looked = self.ctx.base + j
            return NEED
        self._looked = 0
        return "call" if j == len(buf) or buf[j] in "\r\n" or buf[j] in _CALL_STARTS else "mention"

    def _take(self, out: list[Any], match: Match) -> None:
        self._flush(out)
        calls = [self._call(raw) for raw in match.calls]
        if match.closed:
            out += calls
        else:
            self._pending = calls
        self.ctx.started = True
        self._text.after_call()
        self._line.last = ""

    def _flush(self, out: list[Any]) -> None:
        """Something follows the pending calls: the reply did not end with them."""
        if self._pending:
            out += self._pending
            self._pending = []

    def _emit(self, out: list[Any], text: str, *, prose: bool = True) -> None:
        if not text:
            return
        if not text.isspace():
            self.ctx.started = True
            self._prose = self._prose or prose
            self._flush(out)
        self._line.add(text)
        shown = self._text.add(text)
        if shown and out and isinstance(out[-1], str):
            out[-1] += shown  # one TextDelta per push and run of text
        elif shown:
            out.append(shown)

    def _call(self, raw: RawCall) -> tuple[int, ToolCall | InvalidToolCall]:
        index = self.count
        self.count += 1
        call_id = self.id_factory(index)
        try:
            return index, build_call(raw, self.tools, call_id)
        except (RecursionError, ValueError, TypeError) as exc:  # absurdly nested arguments
            name = raw.name if isinstance(raw.name, str) else None
            return index, invalid_tool_call(name=name, args=None, id=call_id,
                                            error=f"arguments could not be processed ({exc!r:.80})")
