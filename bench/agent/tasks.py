"""The tool tasks: prompt, tools offered, the calls expected and what the answer must contain.

Kinds (``KINDS``): ``single`` (one call), ``two_step`` (the second call needs
the first result), ``same_tool_twice`` (two calls of one tool),
``pick_tool`` (one right tool among 4-5), ``no_tool`` (tools are offered but
none is wanted) and ``forced`` (``tool_choice`` names a tool or requires one).
Expected values are computed with the tools' own code, never typed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .tools import WEATHER, convert

__all__ = ["KINDS", "TASKS", "Call", "Contains", "Task", "quick_tasks"]

KINDS = ("single", "two_step", "same_tool_twice", "pick_tool", "no_tool", "forced")
ALL = ("add", "multiply", "convert_units", "get_weather", "search")
MATH = ("add", "multiply")


@dataclass(frozen=True)
class Contains:
    """An expected string argument that only has to contain one of ``texts`` (search queries)."""

    texts: tuple[str, ...]

    def __init__(self, *texts: str) -> None:
        object.__setattr__(self, "texts", texts)


@dataclass(frozen=True)
class Call:
    """A tool call the task needs: tool name and the argument values that matter."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    Attributes:
        id: short unique name.
        kind: one of :data:`KINDS`.
        prompt: the user message.
        tools: names of the tools bound (see ``bench.agent.tools``).
        calls: the calls a correct run makes (order-free; repeats are tolerated).
        answer: numbers (matched with a tolerance) and words (case-insensitive)
            that the final answer must all contain.
        tool_choice: passed to ``bind_tools`` on the first turn only.
        quick: part of the ``--quick`` subset.
    """

    id: str
    kind: str
    prompt: str
    tools: tuple[str, ...]
    calls: tuple[Call, ...]
    answer: tuple[Any, ...]
    tool_choice: str | None = None
    quick: bool = False


def _w(city: str) -> int:
    return WEATHER[city][0]


def _conv(v: float, a: str, b: str) -> Call:
    return Call("convert_units", {"value": v, "from_unit": a, "to_unit": b})


TASKS: tuple[Task, ...] = (
    # -- single: one call, answer from its result
    Task("add-small", "single", "What is 17 + 25? Use the add tool.", MATH,
         (Call("add", {"a": 17, "b": 25}),), (42,), quick=True),
    Task("add-decimals", "single", "Use a tool to add 123.5 and 76.25.", MATH,
         (Call("add", {"a": 123.5, "b": 76.25}),), (199.75,)),
    Task("multiply-big", "single", "Compute 347 times 29 with the multiply tool.", MATH,
         (Call("multiply", {"a": 347, "b": 29}),), (347 * 29,)),
    Task("convert-km-mi", "single", "How many miles is 10 km? Use the conversion tool.",
         ("convert_units",), (_conv(10, "km", "mi"),), (convert(10, "km", "mi"),)),
    Task("convert-f-c", "single", "Convert 100 degrees Fahrenheit to Celsius.", ("convert_units",),
         (_conv(100, "F", "C"),), (convert(100, "F", "C"),)),
    Task("convert-kg-lb", "single", "How many pounds are 5 kg?", ("convert_units",),
         (_conv(5, "kg", "lb"),), (convert(5, "kg", "lb"),)),
    Task("weather-paris", "single", "What's the weather in Paris right now?", ("get_weather",),
         (Call("get_weather", {"city": "paris"}),), (_w("paris"), "sunny")),
    Task("weather-tokyo", "single", "Is it cloudy in Tokyo? Check the weather.", ("get_weather",),
         (Call("get_weather", {"city": "tokyo"}),), (_w("tokyo"),)),
    Task("search-dune", "single", "Who wrote the novel Dune? Search for it.", ("search",),
         (Call("search", {"query": Contains("dune")}),), ("herbert",)),
    Task("search-eiffel", "single", "Search: in which year was the Eiffel Tower completed?",
         ("search",), (Call("search", {"query": Contains("eiffel")}),), (1889,)),
    # -- two steps: the second call uses the first result
    Task("add-then-multiply", "two_step",
         "First add 12 and 30, then multiply the sum by 3. Use the tools.", MATH,
         (Call("add", {"a": 12, "b": 30}), Call("multiply", {"a": 42, "b": 3})), (126,),
         quick=True),
    Task("multiply-then-add", "two_step",
         "Multiply 6 by 7 with the tool, then add 8 to the result.", MATH,
         (Call("multiply", {"a": 6, "b": 7}), Call("add", {"a": 42, "b": 8})), (50,)),
    Task("weather-in-f", "two_step",
         "Get the weather in Berlin and convert its temperature to Fahrenheit.",
         ("get_weather", "convert_units"),
         (Call("get_weather", {"city": "berlin"}), _conv(_w("berlin"), "C", "F")),
         (convert(_w("berlin"), "C", "F"),)),
    Task("eiffel-feet", "two_step",
         "Search how tall the Eiffel Tower is in metres, then convert that to feet.",
         ("search", "convert_units"),
         (Call("search", {"query": Contains("eiffel")}), _conv(330, "m", "ft")),
         (convert(330, "m", "ft"),)),
    Task("miles-doubled", "two_step", "Convert 3 miles to km, then multiply the result by 2.",
         ("convert_units", "multiply"),
         (_conv(3, "mi", "km"), Call("multiply", {"a": convert(3, "mi", "km"), "b": 2})),
         (convert(3, "mi", "km") * 2,)),
    # -- two calls of one tool
    Task("weather-two-cities", "same_tool_twice", "What's the weather in Paris and in London?",
         ("get_weather",),
         (Call("get_weather", {"city": "paris"}), Call("get_weather", {"city": "london"})),
         (_w("paris"), _w("london")), quick=True),
    Task("two-sums", "same_tool_twice", "Use the add tool twice: 10 + 20, and 30 + 40.", MATH,
         (Call("add", {"a": 10, "b": 20}), Call("add", {"a": 30, "b": 40})), (30, 70)),
    Task("two-squares", "same_tool_twice", "Use multiply to compute 11 times 11 and 12 times 12.",
         MATH, (Call("multiply", {"a": 11, "b": 11}), Call("multiply", {"a": 12, "b": 12})),
         (121, 144)),
    Task("two-conversions", "same_tool_twice", "Convert 1 mile to km and 1 kg to pounds.",
         ("convert_units",),
         (_conv(1, "mi", "km"), _conv(1, "kg", "lb")),
         (convert(1, "mi", "km"), convert(1, "kg", "lb"))),
    Task("two-searches", "same_tool_twice",
         "Search who painted the Mona Lisa, and search how high Mount Everest is.", ("search",),
         (Call("search", {"query": Contains("mona lisa")}),
          Call("search", {"query": Contains("everest")})),
         ("leonardo", 8849)),
    # -- pick the one right tool among all five
    Task("pick-weather", "pick_tool", "What's the weather like in Madrid?", ALL,
         (Call("get_weather", {"city": "madrid"}),), (_w("madrid"),), quick=True),
    Task("pick-multiply", "pick_tool", "What is 45 multiplied by 3?", ALL,
         (Call("multiply", {"a": 45, "b": 3}),), (135,)),
    Task("pick-convert", "pick_tool", "Convert 2 pounds to kilograms.", ALL,
         (_conv(2, "lb", "kg"),), (convert(2, "lb", "kg"),)),
    Task("pick-search", "pick_tool", "Who created the Python programming language?", ALL,
         (Call("search", {"query": Contains("python")}),), ("guido",)),
    Task("pick-add", "pick_tool", "Please add 250 and 175.", ALL,
         (Call("add", {"a": 250, "b": 175}),), (425,)),
    # -- tools offered, none wanted
    Task("no-tool-french", "no_tool", "Say hello in French, in one word.", ALL,
         (), ("bonjour",), quick=True),
    Task("no-tool-capital", "no_tool", "What is the capital of Italy? Answer in one word.",
         ("get_weather", "search"), (), ("rome",)),
    Task("no-tool-upper", "no_tool", "Write the word banana in uppercase letters.", MATH,
         (), ("BANANA",)),
    Task("no-tool-week", "no_tool", "How many days are there in a week?", MATH, (), (7,)),
    # -- forced tool_choice (first turn only)
    Task("forced-weather", "forced", "What is it like in Rome today?", ("get_weather", "search"),
         (Call("get_weather", {"city": "rome"}),), (_w("rome"),), tool_choice="get_weather",
         quick=True),
    Task("forced-multiply", "forced", "What is 9 times 9?", MATH,
         (Call("multiply", {"a": 9, "b": 9}),), (81,), tool_choice="multiply"),
    Task("forced-any-convert", "forced", "Convert 20 degrees Celsius to Fahrenheit.",
         ("convert_units", "add"), (_conv(20, "C", "F"),), (convert(20, "C", "F"),),
         tool_choice="any"),
    Task("forced-search", "forced", "When did Apollo 11 land on the Moon?",
         ("search", "get_weather"),
         (Call("search", {"query": Contains("moon", "apollo")}),), (1969,), tool_choice="search"),
)


def quick_tasks() -> tuple[Task, ...]:
    """The ``--quick`` subset: one task per kind."""
    return tuple(t for t in TASKS if t.quick)
