"""Write the generated parts of the Markdown pages, so they read anywhere (GitHub, an editor).

Run ``python docs/generate.py`` after changing an example file, a provider record, a
class's fields, a docstring named on a reference page, or a data file in ``docs/data``;
``python docs/generate.py --check`` lists the pages that are not current (the docs
test runs it and fails on any).

A generated part sits between two comments, and everything between them is rewritten::

    <!-- generated: KIND ARG -->
    ...
    <!-- end generated -->

Kinds:

- ``example PATH``: the file (a tested example, e.g. ``docs/examples/test_with_emulator.py``)
  as a fenced code block;
- ``capability-matrix``: the capability matrix of every provider;
- ``provider-facts NAME``: one provider's facts and profile (``provider_facts.py``);
- ``fields dotted.path.Class``: every constructor field of a class (``docs_fields.py``);
- ``api-summary``: the objects the page's ``:::`` directives render, with the first line
  of each docstring (for readers outside the site; the site build drops it, see hooks.py);
- ``bench-run``, ``bench-results``, ``bench-targets``, ``agent-totals``, ``agent-by-kind``,
  ``retrieval``: benchmark tables from ``docs/data`` (``bench_tables.py``).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
for path in (ROOT / "plugin", DOCS, ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_tables import RENDERERS  # noqa: E402
from docs_fields import fields_table  # noqa: E402
from provider_facts import provider_facts  # noqa: E402

from langchain_compat.providers.matrix import capability_matrix, render_markdown  # noqa: E402

__all__ = ["REGION", "render_page", "stale_pages", "write_pages"]

REGION = re.compile(r"(?P<open><!-- generated: (?P<kind>[\w-]+)(?: (?P<arg>\S+))? -->\n)"
                    r"(?P<body>.*?)(?P<close><!-- end generated -->)", re.DOTALL)
_DIRECTIVE = re.compile(r"^::: ([\w.]+)\s*$", re.MULTILINE)
_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc):`(~?[^`]+)`")
_LANG = {".py": "python", ".toml": "toml", ".sh": "bash", ".json": "json"}


def _example(arg: str, page: str) -> str:
    path = ROOT / arg
    code = path.read_text(encoding="utf-8").rstrip("\n")
    return f"```{_LANG.get(path.suffix, '')}\n{code}\n```"


def _summary_line(dotted: str) -> str:
    """The first sentence-paragraph of ``dotted``'s docstring, on one line."""
    module, _, name = dotted.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        obj = importlib.import_module(dotted)
    doc = inspect.getdoc(obj) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    first = _ROLE.sub(lambda m: f"`{m[1].rpartition('.')[2] if m[0].count('~') else m[1]}`", first)
    return first.replace("``", "`").replace("|", "\\|")


def _api_summary(arg: str, page: str) -> str:
    names = _DIRECTIVE.findall(page)
    lines = ["| object | what it is |", "|---|---|"]
    lines += [f"| `{name}` | {_summary_line(name)} |" for name in names]
    return "\n".join(lines)


KINDS: dict[str, Callable[[str, str], str]] = {
    "example": _example,
    "capability-matrix": lambda arg, page: render_markdown(capability_matrix()),
    "provider-facts": lambda arg, page: provider_facts(arg),
    "fields": lambda arg, page: fields_table(arg),
    "api-summary": _api_summary,
    **{kind: (lambda render: lambda arg, page: render(arg))(fn) for kind, fn in RENDERERS.items()},
}


def render_page(text: str) -> str:
    """``text`` with every generated part written anew.

    Raises:
        KeyError: a part names an unknown kind.
    """
    def region(m: re.Match[str]) -> str:
        kind, arg = m["kind"], m["arg"] or ""
        if kind not in KINDS:
            raise KeyError(f"unknown generated kind {kind!r}; known: {sorted(KINDS)}")
        return f"{m['open']}{KINDS[kind](arg, text).rstrip()}\n{m['close']}"

    return REGION.sub(region, text)


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def stale_pages() -> list[Path]:
    """The pages whose generated parts differ from what generating them now gives."""
    out = []
    for path in pages():
        text = path.read_text(encoding="utf-8")
        if REGION.search(text) and render_page(text) != text:
            out.append(path)
    return out


def write_pages() -> list[Path]:
    """Rewrite every page whose generated parts are not current; return them."""
    changed = stale_pages()
    for path in changed:
        path.write_text(render_page(path.read_text(encoding="utf-8")), encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list the pages that are not "
                        "current and exit 1 if any (writes nothing)")
    args = parser.parse_args(argv)
    found = stale_pages() if args.check else write_pages()
    for path in found:
        print(("not current: " if args.check else "written: ") + str(path.relative_to(ROOT)))
    if args.check and found:
        print("run: python docs/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
