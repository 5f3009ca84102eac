"""Deterministic fake tools: the same input always gives the same answer.

Each tool is a plain LangChain tool (``@tool``), so the harness binds them
like any user would. Weather and search read fixed tables; unknown keys get a
clear "not found" answer instead of an exception, as a real tool would.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool, tool

__all__ = ["TOOLS", "WEATHER", "FACTS", "convert", "tools_named"]

#: city -> (temperature in Celsius, sky)
WEATHER: dict[str, tuple[int, str]] = {
    "paris": (18, "sunny"),
    "london": (12, "rainy"),
    "tokyo": (24, "cloudy"),
    "berlin": (15, "windy"),
    "madrid": (30, "sunny"),
    "rome": (27, "clear"),
    "oslo": (4, "snowy"),
}

#: keyword -> fact returned by ``search`` (first keyword found in the query wins)
FACTS: dict[str, str] = {
    "dune": "Dune is a 1965 science-fiction novel written by Frank Herbert.",
    "eiffel": "The Eiffel Tower was completed in 1889 and is 330 metres tall.",
    "mona lisa": "The Mona Lisa was painted by Leonardo da Vinci.",
    "everest": "Mount Everest is 8849 metres high.",
    "python": "The Python programming language was created by Guido van Rossum and first "
              "released in 1991.",
    "apollo": "The first crewed Moon landing, Apollo 11, took place in 1969.",
    "moon": "The first crewed Moon landing, Apollo 11, took place in 1969.",
}

Unit = Literal["km", "mi", "m", "ft", "kg", "lb", "C", "F"]

_LINEAR: dict[tuple[str, str], float] = {
    ("km", "mi"): 0.621371,
    ("mi", "km"): 1.609344,
    ("m", "ft"): 3.28084,
    ("ft", "m"): 0.3048,
    ("kg", "lb"): 2.204623,
    ("lb", "kg"): 0.453592,
}


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """The conversion itself (shared with the task answers).

    Raises:
        ValueError: the units are not a supported pair.
    """
    if (from_unit, to_unit) == ("C", "F"):
        return value * 9 / 5 + 32
    if (from_unit, to_unit) == ("F", "C"):
        return (value - 32) * 5 / 9
    if from_unit == to_unit:
        return value
    try:
        return value * _LINEAR[(from_unit, to_unit)]
    except KeyError:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}") from None


def _num(x: float) -> str:
    return f"{round(x, 4):g}" if abs(x) < 1e15 else str(x)


@tool
def add(a: float, b: float) -> str:
    """Add two numbers and return the sum."""
    return _num(a + b)


@tool
def multiply(a: float, b: float) -> str:
    """Multiply two numbers and return the product."""
    return _num(a * b)


@tool
def convert_units(value: float, from_unit: Unit, to_unit: Unit) -> str:
    """Convert a value between units: km<->mi, m<->ft, kg<->lb, C<->F (temperature)."""
    try:
        return f"{_num(convert(value, from_unit, to_unit))} {to_unit}"
    except ValueError as exc:
        return f"error: {exc}"


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city (temperature in Celsius and sky)."""
    key = city.split(",")[0].strip().lower()
    if key not in WEATHER:
        return f"error: no weather data for {city!r}"
    temp, sky = WEATHER[key]
    return f"{city.split(',')[0].strip().title()}: {temp} C, {sky}"


@tool
def search(query: str) -> str:
    """Search an encyclopedia and return the most relevant fact."""
    q = query.lower()
    for key, fact in FACTS.items():
        if key in q:
            return fact
    return "No results."


TOOLS: dict[str, BaseTool] = {t.name: t
                              for t in (add, multiply, convert_units, get_weather, search)}


def tools_named(names: tuple[str, ...]) -> list[BaseTool]:
    """The tools called ``names``, in that order."""
    return [TOOLS[n] for n in names]
