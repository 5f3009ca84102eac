"""Summary memory: old turns folded into a running summary written by the model itself.

What it shows:

- ``SummaryMemory(llm)``: once the stored history grows past
  ``--trigger-tokens``, the oldest turns are folded into a
  ``SystemMessage("Summary of earlier conversation: ...")`` written by the
  same chat model, and only the newest turns (``--keep-tokens``) stay
  verbatim — the model keeps the gist of a conversation far longer than its
  context window;
- the folded history (summary + recent turns) is what the LangGraph
  checkpointer saves in SQLite, so the summary survives restarts and is
  updated, not rebuilt, on the next fold;
- ``await memory.afold(...)`` is the async twin (see ``--async``).

Usage::

    python recipes/summary_memory.py --trigger-tokens 300 --keep-tokens 120 \\
        "I'm Ada, I live in Lisbon." "I have two cats." "I work on compilers." "Where do I live?"
    python recipes/summary_memory.py --show-summary "What do you know about me?"

Defaults to the local llama-server (started if needed); ``--provider`` or
``LANGCHAIN_COMPAT_PROVIDER`` picks another provider.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.func import entrypoint

from langchain_compat.chat_cli import build_model
from langchain_compat.memory import SummaryMemory, is_summary
from langchain_compat.memory.store import open_async_checkpointer, open_checkpointer

SYSTEM = "You are a helpful assistant. Be brief."


def _result(reply: BaseMessage, history: list[BaseMessage]) -> dict:
    # What the entrypoint returns (and ``get_state`` shows): the reply and the running summary.
    return {"reply": reply.text, "summary": next((m.text for m in history if is_summary(m)), None)}


def build_chat(llm, memory: SummaryMemory, checkpointer, *, use_async: bool = False):
    """The chat entrypoint: question in, ``{"reply", "summary"}`` out; the folded
    history (summary + recent turns + the reply) is what the checkpointer saves."""

    if use_async:

        @entrypoint(checkpointer=checkpointer)
        async def achat(
            question: str, *, previous: list[BaseMessage] | None = None,
        ) -> entrypoint.final[dict, list[BaseMessage]]:
            history = await memory.afold([*(previous or []), HumanMessage(question)])
            reply = await llm.ainvoke([SystemMessage(SYSTEM), *history])
            return entrypoint.final(value=_result(reply, history), save=[*history, reply])

        return achat

    @entrypoint(checkpointer=checkpointer)
    def chat(
        question: str, *, previous: list[BaseMessage] | None = None,
    ) -> entrypoint.final[dict, list[BaseMessage]]:
        history = memory.fold([*(previous or []), HumanMessage(question)])
        reply = llm.invoke([SystemMessage(SYSTEM), *history])
        return entrypoint.final(value=_result(reply, history), save=[*history, reply])

    return chat


def current_summary(chat, config) -> str | None:
    """The running summary of this session (from the last result), if any."""
    last = chat.get_state(config).values
    return last.get("summary") if isinstance(last, dict) else None


def _print_turn(text: str, reply: str, before: str | None, after: str | None) -> None:
    print(f"you: {text}")
    if after != before:
        print("  [older turns folded into the summary]")
    print(f"assistant: {reply}", flush=True)


def run_sync(llm, memory: SummaryMemory, args: argparse.Namespace, turns: list[str]) -> str | None:
    with open_checkpointer(args.db) as saver:
        chat = build_chat(llm, memory, saver)
        config = {"configurable": {"thread_id": args.session}}
        summary = current_summary(chat, config)
        for text in turns:
            result = chat.invoke(text, config)
            _print_turn(text, result["reply"], summary, result["summary"])
            summary = result["summary"]
        return summary


async def run_async(llm, memory: SummaryMemory, args: argparse.Namespace,
                    turns: list[str]) -> str | None:
    async with open_async_checkpointer(args.db) as saver:
        chat = build_chat(llm, memory, saver, use_async=True)
        config = {"configurable": {"thread_id": args.session}}
        last = (await chat.aget_state(config)).values
        summary = last.get("summary") if isinstance(last, dict) else None
        for text in turns:
            result = await chat.ainvoke(text, config)
            _print_turn(text, result["reply"], summary, result["summary"])
            summary = result["summary"]
        return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="*", help="user turns (default: read lines from stdin)")
    parser.add_argument("--provider", help="provider name (default: local)")
    parser.add_argument("--model", help="model name")
    parser.add_argument("--session", default="summary-memory", help="conversation id")
    parser.add_argument("--db", default="summary_memory.sqlite",
                        help="SQLite file or postgresql:// URL for the history")
    parser.add_argument("--trigger-tokens", type=int,
                        help="summarize above this many tokens (default: 3/4 of the window)")
    parser.add_argument("--keep-tokens", type=int,
                        help="recent tokens kept verbatim (default: 2/5 of the window)")
    parser.add_argument("--max-tokens", type=int, default=128, help="reply length limit")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="per-request timeout in seconds")
    parser.add_argument("--show-summary", action="store_true",
                        help="print the running summary at the end")
    parser.add_argument("--async", dest="use_async", action="store_true", help="use the async API")
    args = parser.parse_args(argv)

    llm = build_model(args.provider, args.model, max_tokens=args.max_tokens, timeout=args.timeout)
    memory = SummaryMemory(llm, trigger_tokens=args.trigger_tokens, keep_tokens=args.keep_tokens)
    turns = args.messages or [line.strip() for line in sys.stdin if line.strip()]
    if args.use_async:
        summary = asyncio.run(run_async(llm, memory, args, turns))
    else:
        summary = run_sync(llm, memory, args, turns)
    if args.show_summary:
        print(f"summary: {summary or '(none yet)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
