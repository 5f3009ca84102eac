"""Judging a reply: accept it, ask again, or finish the call with a changed reply (pure).

:data:`CHECKS` is the table the judge runs, in order, on every reply of every
call (invoke and stream alike). A row names the :class:`~langchain_compat.profiles.Profile`
flag that turns it on (None: always on) and answers, for a reply, nothing (go
on), :data:`ACCEPT` (stop: the reply is used), or a :class:`Problem`: why the
reply cannot be used and whether the answer is asked for (tools withheld).

Re-asks help a weak model finish (measured on Qwen2.5-0.5B in agent loops): a
repeated answered call or a reply that is not an answer gets the answer asked
for, tools withheld: native requests send no ``tools``; prompted tools stay described
(the prompt the same bytes, for the server's prompt cache) and a call is refused here.
Only the latest failed attempt is quoted back; when the budget (``max_tool_reasks``) is
spent the agent gets a plain-text answer, never an empty message or a fragment of a call.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from langchain_compat.chat_models.call_options import CallOptions, CallSettings, ToolMode
from langchain_compat.chat_models.conversation import (
    NUMBER,
    answered_calls,
    canonical_args,
    last_question,
    latest_results,
    numbers_in,
    shown_number,
)
from langchain_compat.chat_models.reader import Reply

__all__ = ["ACCEPT", "CHECKS", "Accept", "Check", "Finish", "Judge", "Problem", "Reask", "Verdict"]


@dataclass(frozen=True, slots=True)
class Accept:
    """Use the reply as it is."""


@dataclass(frozen=True, slots=True)
class Finish:
    """End the call with ``reply`` in place of the one read (re-asks spent)."""

    reply: Reply


@dataclass(frozen=True, slots=True)
class Reask:
    """Ask again: ``messages`` follow the conversation in the next request (in place of an
    earlier re-ask's); ``withhold_tools``: the next request asks for an answer (native: no
    tools sent; prompted: the prompt unchanged, see ``PromptSpec.answer_only``)."""

    messages: tuple[dict[str, Any], ...]
    withhold_tools: bool = False


Verdict = Accept | Finish | Reask
ACCEPT = Accept()


class Problem(NamedTuple):
    """Why a reply cannot be used, and whether to ask for a plain answer without tools."""

    why: str
    answer_now: bool


@dataclass(frozen=True, slots=True)
class Check:
    """One row of :data:`CHECKS`: ``run(judge, reply)`` -> None, ``ACCEPT`` or a Problem."""

    name: str
    flag: str | None
    run: Callable[[Judge, Reply], Problem | Accept | None]


# Measured on Qwen2.5-0.5B (llama-server, our template): this short, positive request
# got the answer from the tool results in 6 of 6 cases; a longer one that also said
# what not to do ("do not call a tool ...") got "I'm sorry, but I can't assist" every time.
_ANSWER_FROM_RESULTS = "Using the tool results above, answer my question in one sentence."
_ANSWER_PLAIN = "Answer my question in plain text, in one sentence."


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a tool result the model wrote itself, a reply that starts like a call: any format's
    opener, or a fenced JSON call), from the format table (loaded on first need)."""
    from langchain_compat.emulation.formats import CALL_OPENERS, FAKE_RESULT

    return FAKE_RESULT, re.compile(r"^\s*(?:" + "|".join(re.escape(o) for o in CALL_OPENERS)
                                   + r"|```json\s*\{\s*\"name)")


class Judge:
    """Decides on the replies of one call (see the module docstring).

    Args:
        settings: the model's settings (profile flags, the re-ask budget).
        options: the call's options (tools, tool_choice, structured output).
        wire: the conversation as wire messages (answered calls, tool results, the question).
    """

    __slots__ = ("_answered", "_known_numbers", "_latest", "_question", "mode", "options",
                 "reasks", "settings", "withheld")

    def __init__(self, settings: CallSettings, options: CallOptions,
                 wire: list[dict[str, Any]]) -> None:
        self.settings, self.options = settings, options
        self._answered = answered_calls(wire) if options.tools else {}
        self._latest = latest_results(wire)
        self._question = last_question(wire)
        self._known_numbers = numbers_in(wire) if options.tools else set()
        self.mode = ToolMode.PLAIN
        self.withheld = False
        self.reasks = 0

    def judge(self, reply: Reply, *, mode: ToolMode, withheld: bool, reasks: int) -> Verdict:
        """Accept ``reply``, re-ask, or finish with a changed reply.

        Args:
            reply: the attempt's reply, read whole.
            mode: the call's tool mode.
            withheld: the request withheld tools (a plain answer was asked for).
            reasks: re-asks made so far (the budget is ``settings.max_reasks``).
        """
        self.mode, self.withheld, self.reasks = mode, withheld, reasks
        problem = self.problem(reply)
        if problem is None:
            return ACCEPT
        if reasks >= self.settings.max_reasks:
            return Finish(self._exhausted(reply, problem.why, reasks))
        from langchain_compat.emulation.reasks import reask_message

        if problem.answer_now:
            nudge = _ANSWER_FROM_RESULTS if self._latest else _ANSWER_PLAIN
            return Reask(({"role": "user", "content": nudge},), withhold_tools=True)
        return Reask(({"role": "assistant", "content": reply_text(reply)},
                      reask_message(problem.why)))

    def problem(self, reply: Reply) -> Problem | None:
        """The first problem :data:`CHECKS` finds (None: the reply is used)."""
        profile = self.settings.profile
        for check in CHECKS:
            if check.flag is not None and not getattr(profile, check.flag):
                continue
            verdict = check.run(self, reply)
            if verdict is ACCEPT:
                return None
            if verdict is not None:
                return verdict  # type: ignore[return-value]
        return None

    def _exhausted(self, reply: Reply, problem: str, reasks: int) -> Reply:
        """Re-asks spent: a forced choice or JSON keeps the reply, marked with why in
        ``meta["tool_choice_error"]`` / ``["structured_output_error"]`` (the
        structured-output parser raises it); otherwise the agent gets a plain-text
        answer, never a repeated call, an empty message or a fragment of a call.

        Dropped calls are listed in ``meta["dropped_repeated_tool_calls"]``; when the
        model wrote no usable text, the text is the latest tool results and
        ``meta["answer_fallback"]`` says so.
        """
        options = self.options
        meta = dict(reply.meta)
        if options.prompted_json and reply.has_calls and not options.forcing:
            return reply  # JSON with tools beside it: the call stands (the agent runs it)
        if options.forcing:
            meta["tool_choice_error"] = (f"no usable call of the required tool "
                                         f"after {reasks} re-asks")
            return dataclasses.replace(reply, meta=meta)
        if options.prompted_json:
            meta["structured_output_error"] = f"{problem} (still after {reasks} re-asks)"
            return dataclasses.replace(reply, meta=meta)
        text = reply_text(reply) if not reply.tool_calls else reply.text
        if reply.tool_calls:
            meta["dropped_repeated_tool_calls"] = reply.tool_calls
        cut = _patterns()[0].search(text)
        text = (text[:cut.start()] if cut else text).strip()
        if _not_an_answer(text) is not None:
            text = "\n".join(self._latest) or "(the model gave no usable answer)"
            meta["answer_fallback"] = "latest tool results" if self._latest else "none"
        return dataclasses.replace(reply, text=text, tool_calls=[], meta=meta)


# -- the checks, in table order ----------------------------------------------
def _structured_output(judge: Judge, reply: Reply) -> Problem | Accept | None:
    """Prompted JSON (also with tools beside it, when the reply calls none)."""
    if not judge.options.prompted_json or reply.has_calls:
        return None
    error = reply.meta.get("structured_output_error")
    return Problem(error, False) if error else ACCEPT


def _no_tools(judge: Judge, reply: Reply) -> Accept | None:
    return ACCEPT if not judge.options.tools or judge.mode is ToolMode.PLAIN else None


def _forced_choice(judge: Judge, reply: Reply) -> Problem | Accept | None:
    """A forcing ``tool_choice`` (required or a named tool) needs its call."""
    options = judge.options
    if options.tool_choice == "none":
        return ACCEPT
    if not options.forcing:
        return None
    from langchain_compat.emulation.formats import writer
    from langchain_compat.emulation.reasks import tool_choice_violation

    why = tool_choice_violation(reply, options.tool_choice, options.tools or [],
                                writer(judge.settings.profile.tool_format))
    return Problem(why, False) if why else ACCEPT


def _call_when_withheld(judge: Judge, reply: Reply) -> Problem | None:
    if judge.withheld and reply.has_calls:
        return Problem("you were asked for an answer, not a tool call", True)
    return None


def _repeated_call(judge: Judge, reply: Reply) -> Problem | None:
    """Small models often repeat an answered call instead of answering (seen with
    Qwen2.5-0.5B on llama-server): when every call in the reply was already made with
    the same arguments and has a result, the answer is asked for."""
    if not reply.tool_calls or not judge._answered:
        return None
    repeats = [judge._answered.get((c["name"], canonical_args(c["args"])))
               for c in reply.tool_calls]
    if any(r is None for r in repeats):
        return None  # a new call beside the repeated ones is progress
    names = ", ".join(c["name"] for c in reply.tool_calls)
    return Problem(f"You already called {names} with these arguments and got: "
                   f"{'; '.join(repeats)}", True)  # type: ignore[arg-type]


def _reworks_results(judge: Judge, reply: Reply) -> Problem | None:
    """A call that only reworks this turn's tool results is not progress.

    After a tool result, a small model keeps "computing" on it instead of answering
    (Qwen2.5-0.5B: ``add(17, 25)`` -> 42, then ``multiply(42, 1)``, ``add(42, 1)`` ...
    until the agent's turn limit). A call counts as that when every argument is a
    number, none of them is in the user's last message, each is copied from this
    turn's tool results or is 0 or 1, and at least one is such a 0 or 1; or it has one
    argument, a result passed back as it is (``calculator("7006652")`` after the
    calculator said 7006652). A number written as a string counts as that number. A next
    step the user asked for keeps a number of their own (``multiply(42, 3)`` for "... then
    multiply by 3"), and one that combines results (``add(545000, 232000)``) has no 0
    or 1: neither is touched.
    """
    if not reply.tool_calls or not judge._latest:
        return None
    results = set(NUMBER.findall(" ".join(judge._latest)))
    asked = set(NUMBER.findall(judge._question))
    for call in reply.tool_calls:
        values = list(call["args"].values()) if isinstance(call["args"], dict) else []
        shown = [shown_number(v) for v in values]
        if not shown or None in shown:
            return None
        if (any(v in asked for v in shown)
                or not all(v in results or v in ("0", "1") for v in shown)):
            return None
        echoed = len(shown) == 1 and shown[0] in results
        if not echoed and not any(v in ("0", "1") and v not in results for v in shown):
            return None
    return Problem("the call only reworks the tool results", True)


def _invents_numbers(judge: Judge, reply: Reply) -> Problem | None:
    """A call whose numbers are in neither the user's message nor the tool results.

    Given tools, a small model calls one even for "Hi! My name is Ada" (Qwen2.5-0.5B:
    ``calculator("10 + 5 * 2 / (3 - 4)")``). A call with numbers in its arguments (also
    inside strings) none of which the user wrote or a tool returned is made up: the
    answer is asked for instead.
    """
    if not reply.tool_calls:
        return None
    for call in reply.tool_calls:
        used = set(NUMBER.findall(json.dumps(call["args"], ensure_ascii=False)))
        if not used or used & judge._known_numbers:
            return None
    return Problem("the call's numbers are not in the question", True)


def _usable_calls(judge: Judge, reply: Reply) -> Accept | None:
    return ACCEPT if reply.tool_calls else None


def _invalid_calls(judge: Judge, reply: Reply) -> Problem | None:
    if not reply.invalid_tool_calls:
        return None
    from langchain_compat.emulation.reasks import describe_invalid_calls

    return Problem("your tool call could not be used: "
                   + describe_invalid_calls(reply.invalid_tool_calls), False)


def _not_an_answer_check(judge: Judge, reply: Reply) -> Problem | Accept:
    why = _not_an_answer(reply_text(reply))
    if why is None:
        return ACCEPT
    # A model that invents a result wanted the tool: let it call it (tools kept) once.
    return Problem(why, judge.reasks > 0 or "tool result" not in why)


#: The judge's table, in order: (name, the profile flag that turns it on, the check).
CHECKS: tuple[Check, ...] = (
    Check("structured_output", None, _structured_output),
    Check("no_tools", None, _no_tools),
    Check("tool_choice", None, _forced_choice),
    Check("answer_was_asked_for", None, _call_when_withheld),
    Check("repeated_call", "repeated_call_guard", _repeated_call),
    Check("reworks_results", "small_model_guards", _reworks_results),
    Check("invents_numbers", "small_model_guards", _invents_numbers),
    Check("usable_calls", None, _usable_calls),
    Check("invalid_calls", None, _invalid_calls),
    Check("not_an_answer", None, _not_an_answer_check),
)


# -- what the checks read --------------------------------------------------------
def reply_text(reply: Reply) -> str:
    """What the model wrote, as the next request quotes it back (calls as JSON if no text)."""
    if reply.tool_calls and not reply.text:
        return json.dumps([{"name": c["name"], "arguments": c["args"]} for c in reply.tool_calls],
                          ensure_ascii=False)
    return reply.text


#: A reply that is only a placeholder of the prompt's (``<your reply>``), copied by a small model.
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,40}>")


def _not_an_answer(text: str) -> str | None:
    """Why a reply's text (with no usable call) cannot be handed on as the answer."""
    body = text.strip()
    if not body or not any(ch.isalnum() for ch in body):
        return "the reply was empty"
    fake_result, call_start = _patterns()
    if fake_result.search(body):
        return "the reply wrote a tool result itself instead of waiting for the tool"
    if call_start.match(body):
        return "the reply is an unfinished or unreadable tool call"
    if _PLACEHOLDER.fullmatch(body):
        return "the reply is a placeholder copied from the instructions, not an answer"
    if body[0] in "{[":
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            return "the reply is a fragment of a tool call"
    return None
