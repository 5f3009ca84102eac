"""The reply policy: how tools are sent, and what to do with each reply.

One :class:`ReplyPolicy` per call answers, for invoke and stream alike:

- which :class:`ToolMode` the call uses (``choose_mode``), and what an error
  answer means (``on_error``): a refusal of the ``tools`` field switches a
  probe to emulation (remembered per (base URL, model) for the process); a
  server that could not parse the model's call has the turn re-sent emulated
  under ``auto`` (not remembered: native works, this reply did not);
- whether a parsed reply is accepted, re-asked, or finished with a changed
  message (``judge``), within the call's re-ask budget.

Re-asks help a weak model finish (measured on Qwen2.5-0.5B in agent loops): a
repeated answered call or a reply that is not an answer gets the answer asked for
*with tools withheld*; only the latest failed attempt is quoted back; when the
budget is spent the agent gets a plain-text answer, never an empty message or a
fragment of a call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage

from langchain_compat.chat_models.settings import CallOptions, CallSettings, ToolMode, ToolSetting
from langchain_compat.core.error_mapping import is_tool_parse_failure, looks_like_tools_refusal
from langchain_compat.emulation.structured import (
    describe_invalid_calls,
    reask_message,
    tool_choice_violation,
)
from langchain_compat.errors import APIError, CompatError, ToolsNotSupportedError

__all__ = ["Accept", "Finish", "Reask", "ReplyPolicy", "Verdict", "choose_mode", "memory_key"]

#: (base_url, model) -> whether the backend accepted native tools.
_NATIVE_TOOLS: dict[tuple[str, str], bool] = {}


@dataclass(frozen=True, slots=True)
class Accept:
    """Use the reply as it is."""


@dataclass(frozen=True, slots=True)
class Finish:
    """End the call with ``message`` instead of the reply (re-asks exhausted)."""

    message: AIMessage


@dataclass(frozen=True, slots=True)
class Reask:
    """Ask again: ``messages`` follow the conversation in the next request
    (in place of an earlier re-ask's); ``withhold_tools`` sends no tools."""

    messages: tuple[dict[str, Any], ...] = field(default=())
    withhold_tools: bool = False


Verdict = Accept | Finish | Reask


def choose_mode(settings: CallSettings, options: CallOptions) -> ToolMode:
    """The tool mode of a call: the setting, else the profile, else what ``auto`` learned."""
    if not options.tools:
        return ToolMode.PLAIN
    if settings.tool_calling is ToolSetting.NATIVE:
        return ToolMode.NATIVE
    if settings.tool_calling is ToolSetting.EMULATED:
        return ToolMode.EMULATED
    native = settings.profile.native_tools
    if native is None:
        native = _NATIVE_TOOLS.get(memory_key(settings, options))
    if native is None:
        return ToolMode.PROBE
    return ToolMode.NATIVE if native else ToolMode.EMULATED


def memory_key(settings: CallSettings, options: CallOptions) -> tuple[str, str]:
    """What a backend's answers are remembered under: (base URL, model)."""
    return (settings.base_url, options.model_name or "")


def _canonical(args: Any) -> str:
    """Arguments as canonical JSON (wire strings and parsed dicts compare equal)."""
    if isinstance(args, str):
        try:
            args = json.loads(args) if args else {}
        except ValueError:
            return args
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def _answered_calls(wire: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(name, canonical arguments) -> result, for every call in history that has a result."""
    results = {m.get("tool_call_id"): m.get("content") for m in wire if m["role"] == "tool"}
    answered: dict[tuple[str, str], str] = {}
    for m in wire:
        for tc in m.get("tool_calls") or ():
            fn = tc.get("function") or {}
            if tc.get("id") in results:
                answered[(fn.get("name"), _canonical(fn.get("arguments")))] = str(results[tc.get("id")])
    return answered


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _number_text(value: float) -> str:
    """``42.0`` -> ``"42"``: numbers compared as the text they appear as."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _numbers_in(wire: list[dict[str, Any]]) -> set[str]:
    """Every number the user wrote or a tool returned in the conversation."""
    text = " ".join(m["content"] for m in wire
                    if m["role"] in ("user", "tool") and isinstance(m.get("content"), str))
    return set(_NUMBER.findall(text))


def _last_question(wire: list[dict[str, Any]]) -> str:
    """The text of the last user message."""
    for m in reversed(wire):
        if m["role"] == "user":
            content = m.get("content")
            return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return ""


def _latest_results(wire: list[dict[str, Any]]) -> list[str]:
    """The text of the tool results that follow the last user message."""
    out: list[str] = []
    for m in reversed(wire):
        if m["role"] == "user":
            break
        if m["role"] == "tool" and isinstance(m.get("content"), str) and m["content"].strip():
            out.append(m["content"].strip())
    return out[::-1]


def reply_text(message: AIMessage) -> str:
    """What the model wrote, as the next request quotes it back (calls as JSON if no text)."""
    raw = message.content if isinstance(message.content, str) else message.text
    if message.tool_calls and not raw:
        raw = json.dumps([{"name": c["name"], "arguments": c["args"]} for c in message.tool_calls])
    return raw or ""


# Measured on Qwen2.5-0.5B (llama-server, our template): this short, positive request
# got the answer from the tool results in 6 of 6 cases; a longer one that also said
# what not to do ("do not call a tool ...") got "I'm sorry, but I can't assist" every time.
_ANSWER_FROM_RESULTS = "Using the tool results above, answer my question in one sentence."
_ANSWER_PLAIN = "Answer my question in plain text, in one sentence."
_FAKE_RESULT = re.compile(r"<tool_response\b|<\|?tool_result|<\|im_start\|>\s*tool", re.IGNORECASE)
_CALL_START = re.compile(r"^\s*(?:<tool_call|<function|\[TOOL_CALLS\]|<\|python_tag\|>|```json\s*\{\s*\"name)")


def _not_an_answer(text: str) -> str | None:
    """Why a reply's text (with no usable call) cannot be handed on as the answer."""
    body = text.strip()
    if not body or not any(ch.isalnum() for ch in body):
        return "the reply was empty"
    if _FAKE_RESULT.search(body):
        return "the reply wrote a tool result itself instead of waiting for the tool"
    if _CALL_START.match(body):
        return "the reply is an unfinished or unreadable tool call"
    if body[0] in "{[":
        try:
            json.loads(body)
        except ValueError:
            return "the reply is a fragment of a tool call"
    return None


class ReplyPolicy:
    """Decisions of one call (see the module docstring).

    Attributes:
        mode: the call's tool mode (``PROBE`` turns into ``NATIVE`` or ``EMULATED``).
        downgraded: ``tool_calling="auto"`` went emulated after a refusal (in this call or remembered).
        reasks: re-asks made so far.
        requests: requests the call has sent so far (re-asks and re-sends included).
        withheld: the current request withholds tools (a plain answer was asked for).
    """

    __slots__ = (
        "_answered",
        "_key",
        "_known_numbers",
        "_latest",
        "_options",
        "_question",
        "_settings",
        "downgraded",
        "mode",
        "reasks",
        "requests",
        "withheld",
    )

    def __init__(self, settings: CallSettings, options: CallOptions, wire: list[dict[str, Any]]) -> None:
        self._settings = settings
        self._options = options
        self._key = memory_key(settings, options)
        self._answered = _answered_calls(wire) if options.tools else {}
        self._latest = _latest_results(wire)
        self._question = _last_question(wire)
        self._known_numbers = _numbers_in(wire) if options.tools else set()
        self.mode = choose_mode(settings, options)
        self.downgraded = (self.mode is ToolMode.EMULATED and settings.tool_calling is ToolSetting.AUTO
                           and settings.profile.native_tools is None)  # a refusal was remembered
        self.reasks = 0
        self.requests = 1
        self.withheld = False

    # -- tool mode -------------------------------------------------------
    def on_error(self, error: CompatError, *, received: bool) -> bool:
        """Whether the failed request is sent again in another tool mode.

        Args:
            error: the failed attempt's error.
            received: whether any chunk of a streamed answer was received.

        Raises:
            ToolsNotSupportedError: ``tool_calling="native"`` and the backend refused tools.
        """
        if received or not isinstance(error, APIError) or not self.mode.sends_tools or self.withheld:
            return False
        setting = self._settings.tool_calling
        if looks_like_tools_refusal(error):
            if setting is ToolSetting.NATIVE:
                raise ToolsNotSupportedError(
                    f"{error.message} (the backend refused native tools; use tool_calling='auto' "
                    "or 'emulated' to have tools rendered into the prompt)",
                    status_code=error.status_code, request_id=error.request_id,
                    provider=error.provider, body=error.body) from None
            _NATIVE_TOOLS[self._key] = False
        elif is_tool_parse_failure(error) and setting is ToolSetting.AUTO:
            self.answered()  # the backend takes tools; this reply could not be parsed by it
        else:
            return False
        self.mode = ToolMode.EMULATED
        self.downgraded = True
        self.requests += 1
        return True

    @property
    def native_rescue(self) -> bool:
        """Whether reply text is read as calls only when it is calls and nothing else
        (native tools were sent: a call-shaped text inside an answer is a mention)."""
        return self.mode.sends_tools and not self.withheld

    def answered(self) -> None:
        """A request was answered: a native probe has worked (remembered)."""
        if self.mode is ToolMode.PROBE:
            _NATIVE_TOOLS[self._key] = True
            self.mode = ToolMode.NATIVE

    # -- replies ---------------------------------------------------------
    def judge(self, message: AIMessage) -> Verdict:
        """Accept the parsed reply, re-ask, or finish with a changed message."""
        problem, answer_now = self._problem(message)
        if problem is None:
            return Accept()
        if self.reasks >= self._settings.max_reasks:
            return self._exhausted(message, problem)
        self.reasks += 1
        self.requests += 1
        self.withheld = answer_now
        if answer_now:
            nudge = _ANSWER_FROM_RESULTS if self._latest else _ANSWER_PLAIN
            return Reask(({"role": "user", "content": nudge},), withhold_tools=True)
        return Reask((
            {"role": "assistant", "content": reply_text(message)},
            reask_message(problem),
        ))

    def _problem(self, message: AIMessage) -> tuple[str | None, bool]:
        """(why the reply cannot be used, whether to ask for a plain answer without tools)."""
        options = self._options
        if options.prompted_json and not (message.tool_calls or message.invalid_tool_calls):
            return message.response_metadata.get("structured_output_error"), False  # JSON (tools beside it)
        if not options.tools or self.mode is ToolMode.PLAIN:
            return None, False
        if options.forcing:
            problem = tool_choice_violation(message, options.tool_choice, options.tools)
            return problem, False
        if options.tool_choice == "none":
            return None, False
        if self.withheld and (message.tool_calls or message.invalid_tool_calls):
            return "you were asked for an answer, not a tool call", True
        repeated = (self._repeated_call(message) or self._reworks_results(message)
                    or self._invents_numbers(message))
        if repeated is not None:
            return repeated, True
        if message.tool_calls:
            return None, False
        if message.invalid_tool_calls:
            return "your tool call could not be used: " + describe_invalid_calls(message.invalid_tool_calls), False
        why = _not_an_answer(reply_text(message))
        if why is None:
            return None, False
        # A model that invents a result wanted the tool: let it call it (tools kept) once.
        return why, self.reasks > 0 or "tool result" not in why

    def _exhausted(self, message: AIMessage, problem: str) -> Verdict:
        """Re-asks spent: a forced choice or JSON keeps the reply, marked with why in
        ``response_metadata["tool_choice_error"]`` / ``["structured_output_error"]``
        (the structured-output parser raises it); otherwise the agent gets a
        plain-text answer, never a repeated call, an empty message or a fragment of a call.

        Dropped calls are listed in ``response_metadata["dropped_repeated_tool_calls"]``;
        when the model wrote no usable text, the content is the latest tool results and
        ``response_metadata["answer_fallback"]`` says so.
        """
        options = self._options
        calls = bool(message.tool_calls or message.invalid_tool_calls)
        if options.prompted_json and calls and not options.forcing:
            return Accept()  # JSON with tools beside it: the call stands (the agent runs it)
        meta = dict(message.response_metadata)
        if options.forcing or options.prompted_json:
            if options.forcing:
                meta["tool_choice_error"] = f"no usable call of the required tool after {self.reasks} re-asks"
            else:
                meta["structured_output_error"] = f"{problem} (still after {self.reasks} re-asks)"
            return Finish(message.model_copy(update={"response_metadata": meta}))
        update: dict[str, Any] = {}
        if message.tool_calls:
            meta["dropped_repeated_tool_calls"] = message.tool_calls
            update["tool_calls"] = []
        text = reply_text(message) if not message.tool_calls else _text_of(message)
        cut = _FAKE_RESULT.search(text)
        text = (text[:cut.start()] if cut else text).strip()
        if _not_an_answer(text) is not None:
            text = "\n".join(self._latest) or "(the model gave no usable answer)"
            meta["answer_fallback"] = "latest tool results" if self._latest else "none"
        update.update(content=text, response_metadata=meta)
        return Finish(message.model_copy(update=update))

    def _invents_numbers(self, message: AIMessage) -> str | None:
        """A call whose numbers are in neither the user's message nor the tool results.

        Given tools, a small model calls one even for "Hi! My name is Ada"
        (Qwen2.5-0.5B: ``calculator("10 + 5 * 2 / (3 - 4)")``). A call with
        numbers in its arguments (also inside strings) none of which the user
        wrote or a tool returned is made up: the answer is asked for instead.
        """
        if (not self._settings.profile.small_model_guards or not message.tool_calls
                or self._options.tool_choice not in (None, "auto")):
            return None
        known = self._known_numbers
        for call in message.tool_calls:
            used = set(_NUMBER.findall(json.dumps(call["args"], ensure_ascii=False)))
            if not used or used & known:
                return None
        return "the call's numbers are not in the question"

    def _reworks_results(self, message: AIMessage) -> str | None:
        """A call that only reworks this turn's tool results is not progress.

        After a tool result, a small model keeps "computing" on it instead of
        answering (Qwen2.5-0.5B: ``add(17, 25)`` -> 42, then ``multiply(42, 1)``,
        ``add(42, 1)`` ... until the agent's turn limit). A call counts as that
        when every argument is a number, none of them is in the user's last
        message, each is copied from this turn's tool results or is 0 or 1, and
        at least one is such a 0 or 1. A next step the user asked for keeps a
        number of their own (``multiply(42, 3)`` for "... then multiply by 3"),
        and one that combines results (``add(545000, 232000)``) has no 0 or 1:
        neither is touched.
        """
        if not message.tool_calls or not self._latest or self._options.tool_choice not in (None, "auto"):
            return None
        results = set(_NUMBER.findall(" ".join(self._latest)))
        asked = set(_NUMBER.findall(self._question))
        for call in message.tool_calls:
            values = list(call["args"].values()) if isinstance(call["args"], dict) else []
            if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                return None
            shown = [_number_text(v) for v in values]
            if any(v in asked for v in shown) or not all(v in results or v in ("0", "1") for v in shown):
                return None
            if not any(v in ("0", "1") and v not in results for v in shown):
                return None
        return "the call only reworks the tool results"

    def _repeated_call(self, message: AIMessage) -> str | None:
        """Small models often repeat an answered call instead of answering (seen
        with Qwen2.5-0.5B on llama-server): when every call in the reply was
        already made with the same arguments and has a result, say so."""
        if not message.tool_calls or self._options.tool_choice not in (None, "auto") or not self._answered:
            return None
        repeats = [self._answered.get((c["name"], _canonical(c["args"]))) for c in message.tool_calls]
        if any(r is None for r in repeats):
            return None
        names = ", ".join(c["name"] for c in message.tool_calls)
        return f"You already called {names} with these arguments and got: {'; '.join(repeats)}"


def _text_of(message: AIMessage) -> str:
    return message.content if isinstance(message.content, str) else message.text
