"""``python -m bench.agent_prompts``: which system prompt lets the embedded model use its tools.

A newcomer's agent (``create_agent``, three tools, SQLite memory, temperature 0) on the
embedded Qwen2.5-Coder-0.5B answered a greeting with tool calls and skipped the tools its
questions needed. This script replays one four-turn conversation -- a greeting, a weather
question, a distance to convert, thanks -- with each system prompt below and prints, per
turn, the calls made and the answer, and per prompt how many turns made exactly the calls
needed (none for the greeting and the thanks). ``docs/tool-calling.md`` quotes the result.

Example::

    langchain-compat local up
    python -m bench.agent_prompts --prompts plain,rules,examples
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool


@tool
def get_weather(city: str) -> str:
    """Get today's weather for a city (temperature in °C)."""
    return {"porto": "cloudy, 14 °C", "lisbon": "sunny, 24 °C"}.get(city.strip().lower(),
                                                                   f"no weather data for {city}")


@tool
def km_to_miles(km: float) -> float:
    """Convert a distance in kilometres to miles."""
    return round(km * 0.621371, 2)


@tool
def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature in degrees Celsius to Fahrenheit."""
    return round(celsius * 9 / 5 + 32, 1)


TOOLS = [get_weather, km_to_miles, celsius_to_fahrenheit]
PROMPTS = {
    "plain": "You are a helpful assistant.",
    "rules": ("You are a helpful assistant with tools. Call a tool only when the user's latest "
              "message asks for something that tool returns. For greetings, thanks or small "
              "talk, answer in one short sentence without calling any tool. After a tool result, "
              "answer the question in one sentence using that result; do not call another tool "
              "unless the user asked for that too."),
    "examples": ("You are a helpful assistant with tools.\n"
                 "Call a tool only when the user's question needs its result. Examples:\n"
                 "User: Hi, I'm Sam. -> no tool. You: Nice to meet you, Sam!\n"
                 "User: What is the weather in Oslo? -> call get_weather with city Oslo, then "
                 "answer with the result.\n"
                 "User: How many miles is 5 km? -> call km_to_miles with km 5, then answer with "
                 "the result.\n"
                 "User: Thank you! -> no tool. You: You are welcome."),
}
TURNS = [("Hi! I'm Lee.", []), ("What's the weather in Porto?", ["get_weather"]),
         ("How many miles is 14 km?", ["km_to_miles"]), ("Thanks!", [])]


def run(prompt: str, base_url: str, tool_calling: str, db: Path) -> int:
    """One conversation; returns the turns that made exactly the calls needed."""
    from langchain.agents import create_agent

    from langchain_compat import ChatLocal
    from langchain_compat.memory.store import open_checkpointer

    llm = ChatLocal(base_url=base_url, temperature=0, max_tokens=128, tool_calling=tool_calling,
                    timeout=120)
    good = 0
    with open_checkpointer(db) as saver:
        agent = create_agent(llm, TOOLS, system_prompt=PROMPTS[prompt], checkpointer=saver)
        config = {"configurable": {"thread_id": prompt}}
        for text, needed in TURNS:
            before = len(agent.get_state(config).values.get("messages", []))
            new = agent.invoke({"messages": [HumanMessage(text)]}, config)["messages"][before + 1:]
            calls = [c["name"] for m in new if isinstance(m, AIMessage) for c in m.tool_calls]
            ok = sorted(calls) == sorted(needed)
            good += ok
            answer = new[-1].text.strip() if new else ""
            print(f"  {prompt}/{tool_calling} {text!r}: calls={calls} {'ok' if ok else 'WRONG'} "
                  f"answer={answer[:90]!r}", flush=True)
    print(f"{prompt}/{tool_calling}: {good}/{len(TURNS)} turns with exactly the calls needed",
          flush=True)
    return good


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.agent_prompts",
                                description=__doc__.split("\n")[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8089/v1")
    p.add_argument("--prompts", default=",".join(PROMPTS), help=f"from: {', '.join(PROMPTS)}")
    p.add_argument("--tool-calling", default="auto",
                   help="auto, native or emulated (comma-separated)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for prompt in args.prompts.split(","):
            for mode in args.tool_calling.split(","):
                run(prompt, args.base_url, mode, Path(tmp) / f"{prompt}-{mode}.sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
