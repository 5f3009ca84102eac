"""An LCEL chain with conversation memory kept in SQLite or PostgreSQL by a LangGraph checkpointer.

What it shows:

- the chain is plain LCEL: ``prompt | window_trimmer(model=llm) | llm`` — the
  prompt replays the whole stored history, and ``window_trimmer`` cuts it to
  the model's context window (from ``llm.profile``) before each call, keeping
  the system prompt and the newest whole turns;
- the history lives in a LangGraph checkpointer (``SqliteSaver``, or
  ``PostgresSaver`` for a ``--db postgresql://...`` URL), through the
  functional API: ``@entrypoint`` receives the saved history as ``previous``
  and saves the new one with ``entrypoint.final`` (the modern replacement for
  the deprecated ``RunnableWithMessageHistory``);
- run it twice with the same ``--session``: the second run remembers the first.

Usage::

    python recipes/memory_chain.py "My name is Ada." "What is my name?"
    python recipes/memory_chain.py --session work --provider cotomi "Hello"
    echo "What did I tell you?" | python recipes/memory_chain.py
    python recipes/memory_chain.py --db postgresql://user:pass@db/chat "Hi"  # any worker

Defaults to the local llama-server (started if needed); ``--provider`` or
``LANGCHAIN_COMPAT_PROVIDER`` picks another provider, whose key and base URL
come from its usual environment variables.
"""

from __future__ import annotations

import argparse
import sys

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langgraph.func import entrypoint

from langchain_compat.chat_cli import build_model
from langchain_compat.memory import window_trimmer
from langchain_compat.memory.store import open_checkpointer


def build_chat(llm, checkpointer, system: str = "You are a helpful assistant. Be brief."):
    """The chat entrypoint: ``chat.invoke(text, config)`` -> reply text."""
    prompt = ChatPromptTemplate.from_messages(
        [("system", system), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = prompt | window_trimmer(model=llm) | llm

    @entrypoint(checkpointer=checkpointer)
    def chat(
        question: str, *, previous: list[BaseMessage] | None = None,
    ) -> entrypoint.final[str, list[BaseMessage]]:
        history = previous or []
        reply = chain.invoke({"history": history, "question": question})
        return entrypoint.final(value=reply.text, save=[*history, HumanMessage(question), reply])

    return chat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="*", help="user turns (default: read lines from stdin)")
    parser.add_argument("--provider", help="provider name (default: local)")
    parser.add_argument("--model", help="model name")
    parser.add_argument("--session", default="memory-chain", help="conversation id")
    parser.add_argument("--db", default="memory_chain.sqlite",
                        help="SQLite file or postgresql:// URL for the history")
    parser.add_argument("--max-tokens", type=int, default=128, help="reply length limit")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="per-request timeout in seconds")
    args = parser.parse_args(argv)

    llm = build_model(args.provider, args.model, max_tokens=args.max_tokens, timeout=args.timeout)
    turns = args.messages or [line.strip() for line in sys.stdin if line.strip()]
    with open_checkpointer(args.db) as saver:
        chat = build_chat(llm, saver)
        config = {"configurable": {"thread_id": args.session}}
        for text in turns:
            print(f"you: {text}")
            print(f"assistant: {chat.invoke(text, config)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
