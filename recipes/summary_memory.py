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
import sqlite3
import sys
from contextlib import closing

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.func import entrypoint

from langchain_compat.chat_cli import build_model
from langchain_compat.memory import SummaryMemory, is_summary

SYSTEM = "You are a helpful assistant. Be brief."


def build_chat(llm, memory: SummaryMemory, checkpointer, *, use_async: bool = False):
    """The chat entrypoint: history in, folded when long, reply out, folded history saved."""

    if use_async:

        @entrypoint(checkpointer=checkpointer)
        async def achat(question: str, *, previous: list[BaseMessage] | None = None) -> entrypoint.final[str, list[BaseMessage]]:
            history = await memory.afold([*(previous or []), HumanMessage(question)])
            reply = await llm.ainvoke([SystemMessage(SYSTEM), *history])
            return entrypoint.final(value=reply.text, save=[*history, reply])

        return achat

    @entrypoint(checkpointer=checkpointer)
    def chat(question: str, *, previous: list[BaseMessage] | None = None) -> entrypoint.final[str, list[BaseMessage]]:
        history = memory.fold([*(previous or []), HumanMessage(question)])
        reply = llm.invoke([SystemMessage(SYSTEM), *history])
        return entrypoint.final(value=reply.text, save=[*history, reply])

    return chat


def current_summary(chat, config) -> str | None:
    """The running summary stored for this session, if any."""
    saved = chat.get_state(config).values or []
    return next((m.text for m in saved if is_summary(m)), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="*", help="user turns (default: read lines from stdin)")
    parser.add_argument("--provider", help="provider name (default: local)")
    parser.add_argument("--model", help="model name")
    parser.add_argument("--session", default="summary-memory", help="conversation id")
    parser.add_argument("--db", default="summary_memory.sqlite", help="SQLite file for the history")
    parser.add_argument("--trigger-tokens", type=int, help="summarize above this many tokens (default: 3/4 of the window)")
    parser.add_argument("--keep-tokens", type=int, help="recent tokens kept verbatim (default: 2/5 of the window)")
    parser.add_argument("--max-tokens", type=int, default=128, help="reply length limit")
    parser.add_argument("--show-summary", action="store_true", help="print the running summary at the end")
    parser.add_argument("--async", dest="use_async", action="store_true", help="use the async API")
    args = parser.parse_args(argv)

    llm = build_model(args.provider, args.model, max_tokens=args.max_tokens)
    memory = SummaryMemory(llm, trigger_tokens=args.trigger_tokens, keep_tokens=args.keep_tokens)
    turns = args.messages or [line.strip() for line in sys.stdin if line.strip()]
    with closing(sqlite3.connect(args.db, check_same_thread=False)) as conn:
        chat = build_chat(llm, memory, SqliteSaver(conn), use_async=args.use_async)
        config = {"configurable": {"thread_id": args.session}}
        for text in turns:
            before = current_summary(chat, config)
            print(f"you: {text}")
            reply = asyncio.run(chat.ainvoke(text, config)) if args.use_async else chat.invoke(text, config)
            if current_summary(chat, config) != before:
                print("  [older turns folded into the summary]")
            print(f"assistant: {reply}", flush=True)
        if args.show_summary:
            print(f"summary: {current_summary(chat, config) or '(none yet)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
