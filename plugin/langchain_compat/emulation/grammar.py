"""Tool calls as a GBNF grammar (llama.cpp's ``grammar`` field), an answer left free.

A ``response_format`` JSON schema can only admit JSON, so constrained emulation has to
wrap an answer as ``{"response": "..."}``, and a small model under such a schema opens a
call almost every time (measured on Qwen2.5-0.5B: "Say hello in French" became a
``get_weather`` call). A grammar can say what a schema cannot: *either* a call of a bound
tool whose arguments follow its schema, *or* plain text that does not start a JSON value.
The model's first token chooses; a call is then held to the tool's schema and the reply
ends with it (several calls, one per line, where parallel calls are allowed).

:func:`tool_grammar` writes that grammar from OpenAI-format tools. Argument schemas are
the subset ``convert_to_openai_tool`` makes (``type`` and lists of types, ``properties``
/ ``required``, ``enum``, ``const``, ``items``, ``anyOf`` / ``oneOf``, local ``$ref``);
anything else (``allOf``, ``patternProperties``...) is admitted as any JSON value of the
right kind, and the reply validator still checks it. Required properties come first, in
their declared order, then the optional ones in theirs (each may be left out).
(llama-server's own JSON-schema conversion cannot be used: its ``json_schema`` field
takes no alternative that is not JSON, and its lazy grammars are not open to a chat
request's fields.)
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_compat.emulation.schema import resolve_ref

__all__ = ["MARK", "MAX_CALLS", "tool_grammar"]

#: The first line of every grammar made here (a GBNF comment): how a refusal of *our*
#: grammar is told from a refusal of one the caller sent.
MARK = "# langchain-compat: a tool call or an answer"

#: Most calls one reply may hold where parallel calls are allowed.
MAX_CALLS = 4

_MAX_DEPTH = 16

# The JSON pieces every grammar shares (llama.cpp's grammars/json.gbnf, white space bounded
# so a model cannot loop on it).
_BASE = r"""ws ::= | " " | "\n" [ \t]{0,20}
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
integer ::= "-"? ( [0-9] | [1-9] [0-9]{1,15} )
number ::= integer ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?
boolean ::= "true" | "false"
null ::= "null"
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
"""
_PRIMITIVE = {"string": "string", "integer": "integer", "number": "number",
              "boolean": "boolean", "null": "null", "object": "object", "array": "array"}


def _literal(value: Any) -> str:
    """A GBNF string literal matching the JSON text of ``value``."""
    text = json.dumps(value, ensure_ascii=False)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Rules:
    """The rules of one grammar, named after where they come from (shared by every tool)."""

    def __init__(self) -> None:
        self.rules: dict[str, str] = {}
        self.root: dict[str, Any] = {}  # the schema local ``$ref``s point into (one tool's)
        self._refs: dict[str, str] = {}

    def start(self, root: dict[str, Any]) -> None:
        """The next tool's parameters: its ``$ref``s are its own."""
        self.root, self._refs = root, {}

    def add(self, name: str, body: str) -> str:
        name = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-") or "r"
        base, n = name, 1
        while name in self.rules and self.rules[name] != body:
            n += 1
            name = f"{base}-{n}"
        self.rules[name] = body
        return name

    def value(self, schema: Any, name: str, depth: int = 0) -> str:
        """The rule (a name or an inline expression) for the values of ``schema``."""
        if not isinstance(schema, dict) or not schema or depth > _MAX_DEPTH:
            return "value"
        if "$ref" in schema:
            return self._ref(schema["$ref"], name, depth)
        if "const" in schema:
            return _literal(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return "( " + " | ".join(_literal(v) for v in schema["enum"]) + " )"
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                options = [self.value(s, f"{name}-{i}", depth + 1)
                           for i, s in enumerate(schema[key])]
                return "( " + " | ".join(options) + " )"
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [self.value({**schema, "type": k}, f"{name}-{k}", depth + 1)
                       for k in kind if isinstance(k, str)]
            return "( " + " | ".join(options) + " )" if options else "value"
        if kind == "object" and isinstance(schema.get("properties"), dict):
            return self.add(name, self._object(schema, name, depth))
        if kind == "array" and isinstance(schema.get("items"), dict):
            item = self.value(schema["items"], f"{name}-item", depth + 1)
            return self.add(name, f'"[" ws ( {item} ( ws "," ws {item} )* )? ws "]"')
        return _PRIMITIVE.get(kind, "value") if isinstance(kind, str) else "value"

    def _ref(self, ref: Any, name: str, depth: int) -> str:
        if not isinstance(ref, str):
            return "value"
        if ref in self._refs:
            return self._refs[ref]
        target = resolve_ref(ref, self.root)
        if target is None:
            return "value"
        rule = self.add(f"{name}-ref", "value")  # named first: a recursive schema ends here
        self._refs[ref] = rule
        self.rules[rule] = self.value(target, f"{rule}-body", depth + 1)
        return rule

    def _object(self, schema: dict[str, Any], name: str, depth: int) -> str:
        props: dict[str, Any] = schema["properties"]
        wanted = set(schema.get("required") or ())
        required = [k for k in props if k in wanted]
        optional = [k for k in props if k not in wanted]

        def pair(key: str) -> str:
            value = self.value(props[key], f"{name}-{key}", depth + 1)
            return f'{_literal(key)} ws ":" ws {value}'

        if not props:
            return '"{" ws "}"'
        if required:
            body = ' ws "," ws '.join(pair(k) for k in required)
            rest = "".join(f' ( ws "," ws {pair(k)} )?' for k in optional)
            return f'"{{" ws {body}{rest} ws "}}"'
        # no required property: the optional ones in any order (a repeat is the validator's)
        any_pair = self.add(f"{name}-pair", " | ".join(pair(k) for k in optional))
        return f'"{{" ws ( {any_pair} ( ws "," ws {any_pair} )* )? ws "}}"'


def tool_grammar(tools: list[dict[str, Any]], *, calls_only: bool, parallel: bool) -> str:
    """The GBNF grammar of one emulated turn.

    Args:
        tools: the OpenAI-format tools a call may name (already narrowed by ``tool_choice``).
        calls_only: no answer is admitted (``tool_choice`` required or a named tool).
        parallel: up to :data:`MAX_CALLS` calls, one per line, instead of one.

    Returns:
        The grammar text, starting with :data:`MARK`: ``root`` admits a call
        (``{"name": ..., "arguments": {...}}``) or, unless ``calls_only``, an answer:
        text whose first character opens no JSON value and is no white space.
    """
    rules = _Rules()
    calls: list[str] = []
    for i, tool in enumerate(tools):
        fn = tool.get("function", tool)
        params = fn.get("parameters")
        params = params if isinstance(params, dict) else {}
        rules.start(params)
        args = (rules.value({**params, "type": "object"}, f"args-{i}")
                if isinstance(params.get("properties"), dict) and params["properties"]
                else "object")  # no declared arguments: any object (usually {})
        name = _literal(fn["name"])
        calls.append(rules.add(f"call-{i}", f'"{{" ws "\\"name\\"" ws ":" ws {name} ws "," ws '
                                            f'"\\"arguments\\"" ws ":" ws {args} ws "}}"'))
    call = "( " + " | ".join(calls) + " )"
    body = f'{call} ( "\\n" {call} ){{0,{MAX_CALLS - 1}}}' if parallel else call
    head = [MARK, f"root ::= {body}" if calls_only else f"root ::= {body} | answer"]
    if not calls_only:
        head.append(r"answer ::= [^{[ \t\r\n] [^\x00]*")
    return "\n".join([*head, *(f"{k} ::= {v}" for k, v in rules.rules.items())]) + "\n" + _BASE
