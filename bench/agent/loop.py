"""The agent loop a user would write, with the public LangChain API only.

``bind_tools`` once (with the task's ``tool_choice`` on the first turn only:
forcing a tool on every turn would never let the model answer), then up to
:data:`MAX_TURNS` model turns; every tool call is answered with a
``ToolMessage`` carrying the tool's output (or its error, as an agent
framework would). A model call that raises is a failed request: the run
stops there and the exception is recorded, not raised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from .tasks import Task
from .tools import TOOLS, tools_named

__all__ = ["MAX_TURNS", "SYSTEM", "Run", "run_task"]

MAX_TURNS = 4
SYSTEM = ("You are a helpful assistant. Use the provided tools when they help; "
          "when you have the answer, reply briefly with the final result.")


@dataclass
class Run:
    """What happened in one run of a task.

    Attributes:
        calls: every tool call made, as (name, args).
        answer: the final text (the last model turn's content).
        turns: model turns used.
        error: the exception of a failed request ("" if none).
        seconds: wall time of the whole run.
        prompt_tokens, completion_tokens: summed ``usage_metadata`` (None if never reported).
        evaluated_tokens: prompt tokens the server evaluated, not taken from its prompt
            cache (llama-server's ``timings.prompt_n``; None where it sends no timings).
        invalid_calls: calls the client reported as unusable (``invalid_tool_calls``).
        truncated: turns that ended on the token limit (finish_reason "length").
        finished: the model answered without a call before the turn limit.
    """

    calls: list[tuple[str, Any]] = field(default_factory=list)
    answer: str = ""
    turns: int = 0
    error: str = ""
    seconds: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    evaluated_tokens: int | None = None
    invalid_calls: int = 0
    truncated: int = 0
    finished: bool = False


def _text(msg: AIMessage) -> str:
    content = msg.content
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _count(run: Run, msg: AIMessage) -> None:
    usage = msg.usage_metadata
    if usage:
        run.prompt_tokens = (run.prompt_tokens or 0) + int(usage.get("input_tokens", 0))
        run.completion_tokens = (run.completion_tokens or 0) + int(usage.get("output_tokens", 0))
    meta = msg.response_metadata or {}
    timings = meta.get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("prompt_n"), int):
        run.evaluated_tokens = (run.evaluated_tokens or 0) + timings["prompt_n"]
    run.invalid_calls += len(msg.invalid_tool_calls) + len(meta.get("invalid_tool_calls") or ())
    if meta.get("finish_reason") == "length":
        run.truncated += 1


def _execute(name: str, args: Any) -> str:
    tool = TOOLS.get(name)
    if tool is None:
        return f"error: there is no tool named {name!r}"
    try:
        return str(tool.invoke(args if isinstance(args, dict) else {}))
    except Exception as exc:  # a bad argument is the model's mistake: tell it, as agents do
        return f"error: {type(exc).__name__}: {str(exc)[:200]}"


def run_task(llm: BaseChatModel, task: Task) -> Run:
    """Run ``task`` with ``llm`` and return what happened (see :class:`Run`)."""
    tools = tools_named(task.tools)
    first = (llm.bind_tools(tools, tool_choice=task.tool_choice) if task.tool_choice
             else llm.bind_tools(tools))
    later = llm.bind_tools(tools)
    messages: list[BaseMessage] = [SystemMessage(SYSTEM), HumanMessage(task.prompt)]
    run = Run()
    start = time.perf_counter()
    try:
        for turn in range(MAX_TURNS):
            model = first if turn == 0 else later
            try:
                reply = model.invoke(messages)
            except Exception as exc:  # noqa: BLE001 - a failed request is a result
                run.error = f"{type(exc).__name__}: {str(exc)[:300]}"
                break
            run.turns += 1
            _count(run, reply)
            messages.append(reply)
            run.answer = _text(reply)
            if not reply.tool_calls:
                run.finished = True
                break
            for call in reply.tool_calls:
                run.calls.append((call["name"], call.get("args")))
                messages.append(ToolMessage(_execute(call["name"], call.get("args")),
                                            tool_call_id=call.get("id") or call["name"]))
    finally:
        run.seconds = time.perf_counter() - start
    return run
