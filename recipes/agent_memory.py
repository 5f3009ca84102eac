"""A ``create_agent`` agent with tools that remembers across turns and process restarts.

What it shows:

- ``langchain.agents.create_agent`` with two tools on the **cotomi profile**:
  cotomi has no native function calling, so langchain-compat emulates it
  (tools rendered into the prompt, calls parsed back out of the text) — the
  agent code is the same as with native tools;
- memory through LangGraph persistence: a ``SqliteSaver`` checkpointer keyed
  by ``--session`` keeps the whole conversation, tool calls and results
  included, in a SQLite file, so a second run of the script continues it
  (``--db postgresql://...``: a ``PostgresSaver``, shared by every worker);
- ``TrimToWindowMiddleware`` trims what the model sees on each call to its
  context window (minus the tools' schemas and the reply reserve), never
  separating a tool call from its result, while the checkpoint keeps everything.

Usage::

    python recipes/agent_memory.py "My favourite city is Lisbon."
    python recipes/agent_memory.py "What's the weather in my favourite city?"   # a new process
    python recipes/agent_memory.py --provider cotomi --profile none "..."      # cotomi itself

Defaults to the local llama-server with cotomi's tool profile applied
(``--profile cotomi``); ``--profile none`` keeps the model's own profile.
"""

from __future__ import annotations

import argparse
import sys

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_compat.chat_cli import build_model
from langchain_compat.memory.middleware import TrimToWindowMiddleware
from langchain_compat.memory.store import open_checkpointer
from langchain_compat.providers import get_provider

#: The profile flags that decide how tools are called.
TOOL_FLAGS = ("native_tools", "tool_choice", "parallel_tool_calls", "tool_role")

WEATHER = {"lisbon": "sunny, 24 °C", "paris": "cloudy, 17 °C", "tokyo": "rain, 19 °C",
           "jakarta": "storms, 31 °C"}


@tool
def get_weather(city: str) -> str:
    """Get today's weather for a city."""
    return WEATHER.get(city.strip().lower(), f"no weather data for {city}")


@tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


#: Examples of when to call a tool and when not to (docs/tool-calling.md, "Prompting a small
#: model"): on the embedded 0.5B model such a prompt got the needed tools called in every run
#: measured, where "Use the tools when they help" got none in one of two runs. Name your own
#: tools in the examples (python -m bench.agent_prompts compares prompts).
SYSTEM = (
    "You are a helpful assistant with tools. Remember what the user tells you about "
    "themselves. Be brief. Call a tool only when the question needs its result. Examples:\n"
    "User: Hi, I'm Sam. -> no tool. You: Nice to meet you, Sam!\n"
    "User: What is the weather in Oslo? -> call get_weather with city Oslo, then answer "
    "with the result.\n"
    "User: What is 2 + 3? -> call add with a 2 and b 3, then answer with the result.\n"
    "User: Thank you! -> no tool. You: You are welcome."
)


def build_agent(llm, checkpointer):
    """The agent: tools, window trimming, and a checkpointer for memory."""
    return create_agent(
        llm,
        [get_weather, add],
        system_prompt=SYSTEM,
        middleware=[TrimToWindowMiddleware()],
        checkpointer=checkpointer,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="*", help="user turns (default: read lines from stdin)")
    parser.add_argument("--provider", help="provider name (default: local)")
    parser.add_argument("--model", help="model name")
    parser.add_argument("--profile", default="cotomi",
                        help="apply this provider's tool flags ('none' to keep the model's)")
    parser.add_argument("--session", default="agent-memory", help="conversation id")
    parser.add_argument("--db", default="agent_memory.sqlite",
                        help="SQLite file or postgresql:// URL for the memory")
    parser.add_argument("--max-tokens", type=int, default=256, help="reply length limit")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="per-request timeout in seconds")
    args = parser.parse_args(argv)

    options = {}
    if args.profile != "none":
        profile = get_provider(args.profile).profile
        options["profile_overrides"] = {flag: getattr(profile, flag) for flag in TOOL_FLAGS}
    llm = build_model(args.provider, args.model, max_tokens=args.max_tokens, timeout=args.timeout,
                      **options)

    turns = args.messages or [line.strip() for line in sys.stdin if line.strip()]
    with open_checkpointer(args.db) as saver:
        agent = build_agent(llm, saver)
        config = {"configurable": {"thread_id": args.session}}
        for text in turns:
            print(f"you: {text}")
            before = len(agent.get_state(config).values.get("messages", []))
            state = agent.invoke({"messages": [HumanMessage(text)]}, config)
            new = state["messages"][before + 1 :]
            for msg in new:
                if isinstance(msg, AIMessage):
                    for call in msg.tool_calls:
                        print(f"  [calls {call['name']}({call['args']})]")
                    for bad in msg.invalid_tool_calls:  # small models get arguments wrong
                        print(f"  [invalid call {bad['name']}: {bad.get('error')}]")
                    if msg.text.strip():
                        print(f"assistant: {msg.text.strip()}")
                elif isinstance(msg, ToolMessage):
                    print(f"  [{msg.name} -> {msg.text}]")
            if not (new and isinstance(new[-1], AIMessage) and new[-1].text.strip()):
                print("assistant: (no answer)")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
