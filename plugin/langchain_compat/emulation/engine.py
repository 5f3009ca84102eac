"""The one scanner behind both ``parse_tool_calls`` and ``StreamingToolParser``.

Parsing a whole reply is streaming it in one chunk with ``final=True``; so the two modes
share every decision and can only disagree if a recogniser breaks the rule stated in
``formats.py``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call, tool_call

from langchain_compat.emulation.formats import (
    NEED,
    RECOGNISERS,
    TRIGGERS,
    Ctx,
    Match,
    OpenFence,
    Reject,
)
from langchain_compat.emulation.jsonish import RawCall, load_lenient
from langchain_compat.emulation.readers import meant_for_sole
from langchain_compat.emulation.render import is_placeholder
from langchain_compat.emulation.schema import validate

__all__ = ["Engine", "IdFactory", "build_call", "index_tools", "random_call_id"]

IdFactory = Callable[[int], str]


def random_call_id(index: int = 0) -> str:
    """``call_<24 hex>``, the id shape OpenAI uses (``index`` is ignored)."""
    return "call_" + secrets.token_hex(12)


def index_tools(tools: list[dict] | None) -> dict[str, dict] | None:
    """``{name: parameters_schema}`` from OpenAI tools (bare function dicts accepted too).

    Returns:
        ``None`` when ``tools`` is ``None`` (tools unknown: any name is accepted).
    """
    if tools is None:
        return None
    out: dict[str, dict] = {}
    for tool in tools:
        fn = tool.get("function", tool) if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            params = fn.get("parameters")
            out[fn["name"]] = params if isinstance(params, dict) else {}
    return out


def build_call(raw: RawCall, tools: dict[str, dict] | None, call_id: str
               ) -> ToolCall | InvalidToolCall:
    """Apply the catalogue and the schema to a raw call. Never raises.

    Args:
        raw: The call as found in the text.
        tools: From ``index_tools``; ``None`` skips the name and schema checks.
        call_id: The id to give the call.

    Returns:
        A ``ToolCall``, or an ``InvalidToolCall`` whose ``error`` says why.
    """
    name = raw.name.strip() if isinstance(raw.name, str) and raw.name.strip() else None
    if raw.args is None or isinstance(raw.args, str):
        args_text = raw.args
    else:
        args_text = json.dumps(raw.args, ensure_ascii=False, default=str)

    def bad(reason: str) -> InvalidToolCall:
        return invalid_tool_call(name=name, args=args_text, id=call_id, error=reason)

    if raw.error:
        return bad(raw.error)
    if name is None:
        return bad("tool call has no function name")
    if tools is not None and name not in tools:
        bare = name.removeprefix("functions.")  # OpenAI-internal namespace some models copy
        name = bare if bare in tools else name
    if tools is not None and name not in tools and len(tools) == 1:
        sole = next(iter(tools.items()))
        name = sole[0] if meant_for_sole(raw.args, sole) else name
    if tools is not None and name not in tools:
        return bad(f"unknown tool {name!r}; available tools: {', '.join(sorted(tools)) or 'none'}")
    args: Any = raw.args
    if args is None or (isinstance(args, str) and not args.strip()):
        args = {}
    elif isinstance(args, str):
        args, err = load_lenient(args)
        if err:
            return bad(f"arguments are not valid JSON ({err}): {raw.args[:200]!r}")
    if not isinstance(args, dict):
        return bad(f"arguments must be a JSON object, got {type(args).__name__}")
    if tools is not None:
        args = _unecho_schema(args, tools[name])
        args, errors = validate(args, tools[name])
        if errors:
            return bad("arguments do not match the tool's schema: " + "; ".join(errors))
        copied = _copied_placeholders(args)
        if copied:
            return bad(f"placeholder values copied from the example for {', '.join(copied)}: "
                       "write real values")
    return tool_call(name=name, args=args, id=call_id)


def _copied_placeholders(value: Any, path: str = "") -> list[str]:
    """Where ``render.call_skeleton``'s ``"..."`` / ``<type>`` placeholders were copied verbatim."""
    if isinstance(value, str):
        return [path or "arguments"] if is_placeholder(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _copied_placeholders(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _copied_placeholders(v, f"{path}[{i}]")]
    return []


_SCHEMA_KEYS = frozenset({"type", "properties", "required", "title", "description",
                          "additionalProperties", "$schema"})


def _unecho_schema(args: dict, schema: dict | None) -> dict:
    """Arguments that are the tool's own JSON schema echoed back -> no arguments.

    Small models (Qwen2.5-0.5B, seen in the standard no-argument test) answer a
    parameterless tool with ``"arguments": {"type": "object", "properties": {}}``.
    Only keys that are all schema keywords the tool does not itself define are
    read as an echo (for a tool with parameters, also ``type: object`` with a
    ``properties`` object); anything else is left to the validator.
    """
    own = set((schema or {}).get("properties") or {})
    keys = set(args)
    if not keys or not keys <= _SCHEMA_KEYS or keys & own or (schema or {}).get("required"):
        return args
    if not own or (args.get("type") == "object" and isinstance(args.get("properties"), dict)):
        return {}  # a parameterless tool, or a whole schema object echoed back
    return args


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


class Engine:
    """Incremental scanner. ``push`` returns items: ``str`` (text to show) or
    ``(index, ToolCall | InvalidToolCall)``."""

    def __init__(self, tools: list[dict] | None, id_factory: IdFactory | None = None) -> None:
        self.tools = index_tools(tools)
        self.ctx = Ctx(frozenset(self.tools) if self.tools is not None else None,
                       sole=next(iter(self.tools.items())) if self.tools and len(self.tools) == 1 else None)
        self.id_factory = id_factory or random_call_id
        self.buf = ""
        self.in_fence = ""  # closing marker of the opaque block we are in ("" = none)
        self.count = 0
        self.done = False
        self._text = _Text()

    def push(self, delta: str, final: bool = False) -> list[Any]:
        """Add text and return what can be decided now (everything, when ``final``)."""
        if self.done:
            raise RuntimeError("the parser is finished; create a new one")
        self.done = final
        self.ctx.final = final
        buf = self.buf = self.buf + delta
        out: list[Any] = []
        pos = 0
        while pos < len(buf):
            if self.in_fence:  # inside a code block or <think>: only its closing marker matters
                close = self.in_fence
                j = buf.find(close, pos)
                if j < 0:
                    tail = 0 if final else _partial_suffix(buf, close, pos)
                    self._emit(out, buf[pos:len(buf) - tail])
                    pos = len(buf) - tail
                    break
                self._emit(out, buf[pos:j + len(close)])
                pos, self.in_fence = j + len(close), ""
                continue
            m = TRIGGERS.search(buf, pos)
            if m is None:
                self._emit(out, buf[pos:])
                pos = len(buf)
                break
            self._emit(out, buf[pos:m.start()])
            pos = m.start()
            verdict = self._try(buf, pos)
            if verdict is NEED:
                break
            if isinstance(verdict, Match):
                for raw in verdict.calls:
                    out.append(self._call(raw))
                self.ctx.started = True
                self._text.after_call()
                pos = max(verdict.end, pos + 1)
            elif isinstance(verdict, OpenFence):
                self._emit(out, buf[pos:verdict.end])
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
        skip = 1
        for recognise in RECOGNISERS[buf[pos]]:
            verdict = recognise(buf, pos, self.ctx)
            if not isinstance(verdict, Reject):
                return verdict
            skip = max(skip, verdict.skip)
        return Reject(skip)

    def _emit(self, out: list[Any], text: str) -> None:
        if not text:
            return
        if not text.isspace():
            self.ctx.started = True
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
