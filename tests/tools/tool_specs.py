"""The OpenAI tool dicts the tool-calling tests bind (one definition, imported by each)."""

from __future__ import annotations

ADD = {"type": "function", "function": {"name": "add", "description": "Add two integers.",
       "parameters": {"type": "object", "properties": {"a": {"type": "integer"},
                                                       "b": {"type": "integer"}},
                      "required": ["a", "b"]}}}
MULTIPLY = {"type": "function", "function": {"name": "multiply", "description": "Multiply.",
            "parameters": {"type": "object", "properties": {"a": {"type": "number"},
                                                            "b": {"type": "number"}},
                           "required": ["a", "b"]}}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}}
