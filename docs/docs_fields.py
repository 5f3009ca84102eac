"""The constructor-field tables of the API reference (the ``fields`` parts docs/generate.py writes).

mkdocstrings renders a pydantic model's ``__init__(**kwargs)`` as the signature and shows
only the attributes a class defines itself, so a chat model's ``timeout`` or
``max_tokens`` (inherited) appeared nowhere. This table lists *every* field a class
accepts, inherited ones included, read from the class at build time: name (and alias),
type, default, the environment variable it is read from, and the field's docstring.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import itertools
import re
import textwrap
import typing
from typing import Any

__all__ = ["field_rows", "fields_table"]

#: Environment variables LangChain itself reads for a field.
_LANGCHAIN_ENV = {"output_version": "LC_OUTPUT_VERSION"}
_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


def _import(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _type(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    text = str(annotation).replace("typing.", "").replace("NoneType", "None")
    return _QUALIFIED.sub(r"\1", text)


def _docstrings(cls: type) -> dict[str, str]:
    """Attribute docstrings (a string right after ``name: type = ...``) along the MRO."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in itertools.pairwise(body):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                out[node.target.id] = inspect.cleandoc(nxt.value.value)
    return out


def _default(value: Any, factory: Any) -> str:
    if factory is not None:
        try:
            value = factory()
        except Exception:  # noqa: BLE001 - a factory needing arguments: name it
            return f"`{getattr(factory, '__name__', factory)}()`"
    shared = _shared_name(value)
    if shared is not None:  # a process-wide object: its name, not its (changing) state
        return f"`{shared}`"
    text = repr(value)
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"


def _shared_name(value: Any) -> str | None:
    """The package constant a default is (``DEFAULT_BACKEND_MEMORY``), if it is one."""
    if value is None or isinstance(value, (str, int, float, bool, tuple)):
        return None
    import langchain_compat

    return next((n for n in langchain_compat.__all__
                 if n.isupper() and getattr(langchain_compat, n, None) is value), None)


def _env(cls: type, name: str) -> str:
    provider = getattr(cls, "provider", None)
    env = None
    if provider is not None and name == "base_url":
        env = provider.base_url_env
    elif provider is not None and name == "api_key":
        env = provider.api_key_env
    env = env or _LANGCHAIN_ENV.get(name)
    return f"`{env}`" if env else "—"


def field_rows(cls: type) -> list[dict[str, str]]:
    """One row per constructor field of a pydantic model or a dataclass."""
    docs = {**_attribute_section(cls), **_docstrings(cls)}
    rows = []
    if hasattr(cls, "model_fields"):
        from pydantic_core import PydanticUndefined

        for name, info in cls.model_fields.items():
            required = info.is_required()
            default = "required" if required else _default(
                None if info.default is PydanticUndefined else info.default, info.default_factory)
            shown = (f"`{info.alias}` (`{name}`)" if info.alias and info.alias != name
                     else f"`{name}`")
            rows.append({"name": name, "field": shown, "type": _type(info.annotation),
                         "default": default, "env": _env(cls, name),
                         "doc": docs.get(name) or info.description or ""})
    elif dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            default = "required" if missing else _default(
                f.default, None if f.default_factory is dataclasses.MISSING else f.default_factory)
            rows.append({"name": f.name, "field": f"`{f.name}`",
                         "type": _type(hints.get(f.name, f.type)), "default": default,
                         "env": "—", "doc": docs.get(f.name, "")})
    else:
        raise TypeError(f"{cls.__qualname__} is neither a pydantic model nor a dataclass")
    return rows


_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc):`~?([^`]+)`")


def _cell(text: str) -> str:
    """A docstring's first paragraph on one line, safe in a table cell."""
    first = text.strip().split("\n\n")[0]
    return _ROLE.sub(r"`\1`", " ".join(first.split())).replace("|", "\\|")


def _attribute_section(cls: type) -> dict[str, str]:
    """``name: text`` entries of a Google-style ``Attributes:`` docstring section."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    out: dict[str, str] = {}
    inside, current = False, None
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            inside = True
            continue
        if inside:
            if line and not line.startswith(" "):
                break
            m = re.match(r"^ {4}(\w+)(?: \(.*?\))?: ?(.*)$", line)
            if m:
                current = m[1]
                out[current] = m[2]
            elif current and line.strip():
                out[current] += " " + line.strip()
    return out


def fields_table(path: str) -> str:
    """A Markdown table of ``path``'s constructor fields, in a ``div`` the tests can find."""
    cls = _import(path)
    lines = [f'<div class="compat-fields" id="fields-{cls.__name__}" markdown>', "",
             f"**Constructor fields of `{cls.__name__}`** "
             "(keyword arguments; inherited ones included)",
             "", "| field | type | default | env var | description |", "|---|---|---|---|---|"]
    for row in field_rows(cls):
        # GitHub splits cells at any unescaped "|", also inside a code span: escaped here, and
        # unescaped inside code spans for python-markdown (it would keep the backslash) by hooks.py.
        lines.append(f"| {row['field']} | `{row['type'].replace('|', chr(92) + '|')}` | "
                     f"{row['default']} | {row['env']} "
                     f"| {_cell(row['doc'])} |")
    lines += ["", "</div>"]
    return "\n".join(lines)
