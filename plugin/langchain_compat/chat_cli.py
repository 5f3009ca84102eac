"""``langchain-compat chat``: a terminal chat whose history lives in SQLite or PostgreSQL.

::

    langchain-compat chat                          # the local llama-server (started if needed)
    langchain-compat chat --provider cotomi --session work
    echo "hello" | langchain-compat chat --session demo --db ./chat.sqlite
    langchain-compat chat --session team --db postgresql://user:pass@db:5432/chat

Each line read from stdin is one user turn; the reply is streamed to stdout.
The conversation is a LangGraph graph with a ``SqliteSaver`` (or, for a
``postgresql://`` URL, ``PostgresSaver``: ``pip install 'langchain-compat[postgres]'``)
checkpointer, one thread per ``--session``: quitting and starting again resumes
it, and with PostgreSQL any process on any machine can take the next turn. Before each
model call the stored history is trimmed to the model's context window
(:func:`langchain_compat.memory.trim_to_window`); the database keeps every
message. A turn (question and reply) is stored only once the reply is complete:
Ctrl-C during a reply closes the request at once, stores nothing of the turn and
returns to the prompt; Ctrl-C at the prompt or Ctrl-D (end of input) leaves.
Commands: ``/history`` (print the stored conversation), ``/reset`` (forget this
session), ``/help``, ``/exit``.

The provider is chosen by ``--provider`` (default ``$LANGCHAIN_COMPAT_PROVIDER``
or ``local``); keys and base URLs come from each provider's environment
variables (``COTOMI_API_KEY``, ``COTOMI_BASE_URL``, ...) or ``--base-url``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, TextIO

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    message_chunk_to_message,
)

from langchain_compat.errors import (
    APIConnectionError,
    AuthenticationError,
    CompatError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
)
from langchain_compat.cli_models import PROVIDER_ENV, ScriptedChatModel, build_model
from langchain_compat.memory.store import describe, is_postgres_url
from langchain_compat.providers import LOCAL, get_provider

__all__ = ["add_arguments", "build_chat_graph", "build_model", "default_db_path",
           "open_checkpointer", "run"]

DB_ENV = "LANGCHAIN_COMPAT_CHAT_DB"
HELP = "commands: /history  /reset  /help  /exit"


# ------------------------------------------------------------------- graph


def default_db_path() -> Path | str:
    """``$LANGCHAIN_COMPAT_CHAT_DB`` (a path or a ``postgresql://`` URL), else
    ``$XDG_DATA_HOME/langchain-compat/chat.sqlite``."""
    if os.environ.get(DB_ENV):
        return _target(os.environ[DB_ENV])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "langchain-compat" / "chat.sqlite"


def open_checkpointer(target: str | os.PathLike[str], **bounds: float | None) -> Any:
    """A checkpointer on a SQLite path or a ``postgresql://`` URL (see
    :func:`langchain_compat.memory.store.open_checkpointer`), closed on exit."""
    from langchain_compat.memory.store import open_checkpointer as open_store

    return open_store(target, **bounds)


def _target(value: str) -> Path | str:
    """A ``--db`` value: a PostgreSQL URL as it is, else a path (``~`` expanded)."""
    return value if is_postgres_url(value) else Path(value).expanduser()


def _window(model: BaseChatModel, history: list[BaseMessage],
            trim_options: dict[str, Any]) -> list[BaseMessage]:
    """``history`` trimmed to ``model``'s context window (4k assumed without a profile)."""
    from langchain_compat.memory import trim_to_window

    if ("max_tokens" not in trim_options and "profile" not in trim_options
            and not getattr(model, "profile", None)):
        trim_options = {**trim_options, "max_tokens": 4096}
    return trim_to_window(history, model=model, **trim_options)


def build_chat_graph(model: BaseChatModel, checkpointer: Any, *, system: str | None = None,
                     **trim_options: Any) -> Any:
    """A one-node LangGraph chat: replay the stored history, trimmed, to ``model``.

    Args:
        model: any chat model; its ``profile`` gives the context window.
        checkpointer: where the history persists (thread id = session).
        system: a system prompt prepended on every call (not stored).
        **trim_options: passed to :func:`~langchain_compat.memory.trim_to_window`.

    Returns:
        The compiled graph (``invoke({"messages": [HumanMessage(...)]}, config)``).
    """
    from langgraph.graph import END, START, MessagesState, StateGraph

    def chat(state: MessagesState) -> dict[str, list[BaseMessage]]:
        history = ([SystemMessage(system)] if system else []) + list(state["messages"])
        return {"messages": [model.invoke(_window(model, history, trim_options))]}

    graph = StateGraph(MessagesState)
    graph.add_node("chat", chat)
    graph.add_edge(START, "chat")
    graph.add_edge("chat", END)
    return graph.compile(checkpointer=checkpointer)


# --------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``langchain-compat chat``."""
    parser.add_argument("--provider", default=None,
                        help=f"provider name (default ${PROVIDER_ENV} or 'local')")
    parser.add_argument("--model", default=None,
                        help="model name (default: the provider's default)")
    parser.add_argument("--base-url", default=None, help="override the provider's base URL")
    parser.add_argument("--session", default="default",
                        help="conversation name (default: 'default')")
    parser.add_argument("--db", default=None,
                        help=f"SQLite file or postgresql:// URL "
                             f"(default ${DB_ENV} or {default_db_path()})")
    parser.add_argument("--system", default=None, help="system prompt sent with every turn")
    parser.add_argument("--max-tokens", type=int, default=None, help="reply length limit")
    parser.add_argument("--timeout", type=float, default=None,
                        help="per-request timeout in seconds")
    parser.add_argument("--db-timeout", type=float, default=None, metavar="SECONDS",
                        help="PostgreSQL statement timeout (default 30; a server that stops "
                             "answering is given up on 5 s later)")
    parser.add_argument("--no-stream", action="store_true",
                        help="print replies whole instead of streaming")
    # tests: a JSON list of replies
    parser.add_argument("--fake-replies", default=None, help=argparse.SUPPRESS)


def _model_from_args(args: argparse.Namespace) -> BaseChatModel:
    if args.fake_replies:
        replies = json.loads(Path(args.fake_replies).read_text(encoding="utf-8"))
        prov = get_provider(args.provider or os.environ.get(PROVIDER_ENV) or LOCAL.name)
        profile = prov.profile_for(args.model or prov.default_model).to_model_profile()
        return ScriptedChatModel(replies=replies, profile=profile)
    kwargs: dict[str, Any] = {"max_tokens": args.max_tokens} if args.max_tokens else {}
    if getattr(args, "timeout", None):
        kwargs["timeout"] = args.timeout
    return build_model(args.provider, args.model, base_url=args.base_url, **kwargs)


def _print_history(messages: list[BaseMessage], out: TextIO) -> None:
    if not messages:
        out.write("(no messages in this session)\n")
    for msg in messages:
        role = {"human": "you", "ai": "assistant"}.get(msg.type, msg.type)
        out.write(f"{role}: {msg.text}\n")


def _turn(model: BaseChatModel, graph: Any, config: dict[str, Any], text: str, out: TextIO, *,
          stream: bool, system: str | None) -> None:
    """One user turn: the reply is printed as it arrives and stored with the question
    only once it is complete.

    The model is called here, in the main thread (not inside the graph's runner),
    so a Ctrl-C (``KeyboardInterrupt``) stops it at once: closing the stream
    generator closes the HTTP response, and nothing of the turn is stored.
    """
    stored = graph.get_state(config).values.get("messages", [])
    question = HumanMessage(text)
    window = _window(model, [*([SystemMessage(system)] if system else []), *stored, question], {})
    if stream:
        reply: AIMessageChunk | None = None
        with closing(model.stream(window)) as chunks:
            for chunk in chunks:
                out.write(chunk.text)
                out.flush()
                reply = chunk if reply is None else reply + chunk
        answer: BaseMessage = (message_chunk_to_message(reply) if reply is not None
                               else AIMessage(""))
    else:
        answer = model.invoke(window)
    # Stored before the reply's line ends: a line read whole is a turn that is kept.
    graph.update_state(config, {"messages": [question, answer]}, as_node="chat")
    out.write(("" if stream else answer.text) + "\n")
    out.flush()


def _drop_unanswered(graph: Any, config: dict[str, Any]) -> None:
    """After a failed call, remove the stored user turn so the history stays alternating."""
    messages = graph.get_state(config).values.get("messages", [])
    if messages and isinstance(messages[-1], HumanMessage):
        graph.update_state(config, {"messages": [RemoveMessage(id=messages[-1].id)]})


CANCELLED = "[cancelled: nothing of this turn was stored]"


def _command(text: str, graph: Any, saver: Any, config: dict[str, Any], session: str,
             out: TextIO) -> bool:
    """Run a ``/command``; False for ``/exit``."""
    if text in ("/exit", "/quit"):
        return False
    if text == "/help":
        out.write(HELP + "\n")
    elif text == "/reset":
        saver.delete_thread(session)
        out.write(f"[session {session!r} reset]\n")
    elif text == "/history":
        _print_history(graph.get_state(config).values.get("messages", []), out)
    else:
        out.write(f"unknown command {text.split()[0]!r}; {HELP}\n")
    return True


#: Errors every later turn would meet again (no server, wrong URL, key or model): the chat ends.
FATAL = (APIConnectionError, AuthenticationError, PermissionDeniedError, NotFoundError,
         ConfigurationError)


def _ask(model: BaseChatModel, graph: Any, config: dict[str, Any], text: str, out: TextIO,
         args: argparse.Namespace) -> CompatError | OSError | None:
    """One turn, its error reported (and returned); a Ctrl-C cancels it and stores nothing of it."""
    try:
        # A question left without its reply (a history written before turns were stored
        # whole) is dropped just before our own turn, not at start-up: with a shared
        # PostgreSQL another process may be answering it right now.
        _drop_unanswered(graph, config)
        _turn(model, graph, config, text, out, stream=not args.no_stream, system=args.system)
    except KeyboardInterrupt:
        out.write("\n")
        sys.stderr.write(CANCELLED + "\n")
    except (CompatError, OSError) as exc:
        out.write("\n")
        sys.stderr.write(f"error: {exc}\n")
        return exc
    return None


def run(args: argparse.Namespace, *, stdin: TextIO | None = None,
        stdout: TextIO | None = None) -> int:
    """Run the chat loop until ``/exit``, end of input (Ctrl-D) or Ctrl-C at the prompt.

    Ctrl-C during a reply cancels that turn (nothing of it is stored) and returns
    to the prompt. A turn (or a command) that fails is reported on stderr and the loop
    goes on, except for an error every later turn would meet again (:data:`FATAL`: no
    server, wrong URL, key or model), which ends the chat.

    Returns:
        The exit code: 0 when every turn was answered, 1 when one failed (or the
        database cannot be opened or read at start), 2 when the model cannot be built.
    """
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = sys.stderr
    try:
        model = _model_from_args(args)
    except (CompatError, OSError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    db = _target(args.db) if args.db else default_db_path()
    bounds = {"statement_timeout": args.db_timeout} if getattr(args, "db_timeout", None) else {}
    try:
        with open_checkpointer(db, **bounds) as saver:
            failed = _session(model, saver, db, args, stdin, out)
    except CompatError as exc:  # the database could not be opened or read at start
        out.flush()
        err.write(f"error: {exc}\n")
        return 1
    return 1 if failed else 0


def _session(model: BaseChatModel, saver: Any, db: Path | str, args: argparse.Namespace,
             stdin: TextIO, out: TextIO) -> bool:
    """The chat loop on an open checkpointer; True when a turn or command failed."""
    err = sys.stderr
    interactive = stdin.isatty()
    failed = False
    graph = build_chat_graph(model, saver, system=args.system)
    config = {"configurable": {"thread_id": args.session}}
    stored = graph.get_state(config).values.get("messages", [])
    if stored:
        err.write(f"[resumed session {args.session!r}: {len(stored)} messages]\n")
    if interactive:
        err.write(f"[session {args.session!r} in {describe(db)}; {HELP}; Ctrl-C cancels a reply]\n")
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:  # Ctrl-C at the prompt: leave quietly
            line = ""
        if not line:  # end of input (Ctrl-D): the shell's prompt starts on a new line
            if interactive:
                out.write("\n")
            break
        text = line.strip()
        if text.startswith("/"):
            try:
                if not _command(text, graph, saver, config, args.session, out):
                    break
            except CompatError as exc:
                err.write(f"error: {exc}\n")
                failed = True
        elif text:
            error = _ask(model, graph, config, text, out, args)
            failed = failed or error is not None
            if isinstance(error, FATAL):
                break
        out.flush()
    out.flush()
    return failed
