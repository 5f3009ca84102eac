"""The main job: a streamed chat with tools and memory on the embedded local model.

What it shows, end to end, with nothing but this machine:

- the embedded default backend (llama.cpp's ``llama-server`` with
  Qwen2.5-Coder-0.5B and our Qwen/Hermes chat template, started on 127.0.0.1
  by ``langchain_compat.local``);
- ``ChatLocal`` driving a ``create_agent`` agent with a calculator tool;
  ``--tools auto`` (default) follows the local profile (native tool calls,
  parsed by the server), ``--tools emulated`` renders the tool into the
  prompt and parses the calls back out of the text;
- memory: a LangGraph ``SqliteSaver`` keeps the conversation per
  ``--session`` in a SQLite file, and ``TrimToWindowMiddleware`` replays it
  each turn trimmed to the model's 4k context window — run the script twice
  and the second run remembers the first;
- streaming: tokens are printed as they arrive;
- the server's lifetime: a llama-server the demo started is stopped when it exits (the
  next run starts it again in a few seconds); one that was already running (``langchain-compat
  local up``, a test session, another demo) is reused and left running, and the demo says so.
  ``LANGCHAIN_COMPAT_LOCAL_BASE_URL`` points it at a server it neither starts nor stops.

Usage::

    python recipes/demo_chat.py                 # scripted three-turn demo
    python recipes/demo_chat.py -i              # type your own turns (/exit to stop)
    python recipes/demo_chat.py --provider cotomi --model cotomi-fast-v2.0   # any provider
    langchain-compat local up                   # keep a server warm between runs ...
    langchain-compat local down                 # ... and stop it
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Annotated

from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import GraphRecursionError
from pydantic import Field

from langchain_compat.memory.middleware import TrimToWindowMiddleware

SCRIPT = (
    "Hi! My name is Ada and I live in Lisbon.",
    "Please use the calculator: what is 1234 * 5678?",
    "What is my name, and which city do I live in?",
)

SYSTEM = (
    "You are a concise assistant. Call a tool when the user asks for one or for arithmetic; "
    "otherwise answer from the conversation. After a tool result, answer the user in one "
    "sentence."
)


@tool
def calculator(expression: Annotated[str, Field(
        pattern=r"^[0-9+*/(). -]+$", description="only digits, + - * / ( ) and spaces")]) -> str:
    """Evaluate an arithmetic expression such as "12 * (3 + 4)": numbers, + - * / and \
parentheses only."""
    allowed = set("0123456789+-*/(). ")
    if not expression or set(expression) - allowed:
        return "error: only numbers and + - * / ( ) are allowed"
    try:
        return str(eval(expression, {"__builtins__": {}}, {}))
    except Exception as exc:  # a tool reports errors to the model, it does not crash the agent
        return f"error: {exc}"


@tool
def today() -> str:
    """Return today's date (UTC) in ISO format."""
    return _dt.datetime.now(_dt.timezone.utc).date().isoformat()


LOCAL_URL_ENV = "LANGCHAIN_COMPAT_LOCAL_BASE_URL"


@contextlib.contextmanager
def local_server(port: int) -> Iterator[dict[str, str]]:
    """``ChatLocal`` arguments for a local llama-server, held for the demo's lifetime.

    A server this demo starts is stopped on exit (unless another program leased it
    meanwhile); one already running is reused and left running. What happened is printed.
    With ``LANGCHAIN_COMPAT_LOCAL_BASE_URL`` set, that server is used and nothing is started.
    """
    if os.environ.get(LOCAL_URL_ENV):
        yield {}  # the user's own server: neither started nor stopped here
        return
    from langchain_compat.local import server_lease
    from langchain_compat.local.process import is_our_server

    with server_lease(port=port) as server:
        yield {"base_url": server.base_url, "model": server.model}
    where = f"llama-server (pid {server.pid}, port {port})"
    if is_our_server(server.pid):
        who = "was already running" if server.reused else "is in use by another program"
        print(f"\n({where} {who}: left running; "
              f"`langchain-compat local down --port {port} --any` stops it)")
    else:
        print(f"\n(stopped the {where} this demo started; "
              "`langchain-compat local up` keeps one warm between runs)")


def build_model(args: argparse.Namespace, server: dict[str, str]):
    """The chat model: the local server by default, any provider by flag."""
    if args.provider == "local":
        from langchain_compat import ChatLocal

        return ChatLocal(temperature=0, max_tokens=args.max_tokens, tool_calling=args.tools,
                         **server)
    from langchain_compat.chat_cli import build_model as build_provider_model

    return build_provider_model(provider=args.provider, model=args.model)


def _print_stream(events: Iterable, out) -> str:
    """Print streamed agent tokens and tool activity; return the final answer text."""
    answer = []
    for message, _meta in events:
        if isinstance(message, AIMessageChunk):
            if message.content:
                out.write(message.content if isinstance(message.content, str) else message.text)
                out.flush()
                answer.append(message.text)
            for call in message.tool_calls:
                out.write(f"\n  [calls {call['name']}({call['args']})]\n")
        elif isinstance(message, ToolMessage):
            out.write(f"  [{message.name} -> {message.content}]\n")
            answer.clear()
    out.write("\n")
    return "".join(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--interactive", action="store_true", help="type your own turns")
    parser.add_argument("--provider", default="local", help="local (default) or a provider name")
    parser.add_argument("--model", default=None)
    parser.add_argument("--tools", default="auto", choices=["auto", "native", "emulated"])
    parser.add_argument("--session", default="demo")
    parser.add_argument("--db", default=str(Path.home() / ".cache" / "langchain-compat"
                                            / "demo.sqlite"))
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--fresh", action="store_true", help="forget this session first")
    parser.add_argument("--port", type=int, default=8089,
                        help="port of the local llama-server (started there if not running)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        server = stack.enter_context(local_server(args.port)) if args.provider == "local" else {}
        return _chat(args, build_model(args, server))


def _chat(args: argparse.Namespace, model) -> int:
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(args.db, check_same_thread=False)) as conn:
        saver = SqliteSaver(conn)
        if args.fresh:
            saver.delete_thread(args.session)
        agent = create_agent(model, [calculator], system_prompt=SYSTEM,
                             middleware=[TrimToWindowMiddleware()], checkpointer=saver)
        config = {"configurable": {"thread_id": args.session}, "recursion_limit": 12}
        turns = _read_turns() if args.interactive else SCRIPT
        for turn in turns:
            print(f"\nyou> {turn}\nassistant> ", end="", flush=True)
            events = agent.stream({"messages": [HumanMessage(turn)]}, config,
                                  stream_mode="messages")
            try:
                _print_stream(events, sys.stdout)
            except GraphRecursionError:
                # A 0.5B model sometimes keeps calling the tool; the turn ends, the session goes on.
                print("\n  [stopped: the model kept calling tools without answering]")
        state = agent.get_state(config)
        kept = len(state.values.get("messages", []))
        print(f"\n(session {args.session!r}: {kept} messages kept in {args.db})")
    return 0


def _read_turns() -> Iterable[str]:
    while True:
        try:
            line = input("\nyou (/exit)> ").strip()
        except EOFError:
            return
        if line in ("/exit", "/quit"):
            return
        if line:
            yield line


if __name__ == "__main__":
    raise SystemExit(main())
