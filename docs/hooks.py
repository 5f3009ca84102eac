"""MkDocs hooks: what the built site shows differently from the Markdown files.

The tables generated from the code (capability matrix, provider facts, constructor
fields, benchmark tables) are written into the Markdown pages themselves by
``docs/generate.py``, so they read on GitHub and in an editor too; the docs test
fails when one is not current.

Pipes inside code spans of table rows are escaped in the Markdown (GitHub splits cells
at any bare ``|``); the hook unescapes them for python-markdown.

One generated part is for readers of the plain Markdown only: ``api-summary``
(the objects a reference page documents, one line each). On the site the
``:::`` directives render every signature and docstring, so the hook drops it.
"""

from __future__ import annotations

import re
from typing import Any

_API_SUMMARY = re.compile(r"<!-- generated: api-summary -->\n.*?<!-- end generated -->\n?",
                          re.DOTALL)
_PLAIN_ONLY = re.compile(r"<!-- plain markdown only -->\n.*?<!-- end plain markdown only -->\n?",
                         re.DOTALL)


_CODE = re.compile(r"(`+)(.+?)\1")


def _unescape_code_pipes(line: str) -> str:
    """A table row's ``\\|`` inside code spans as a plain ``|``: GitHub needs the escape there
    (it splits cells at any bare pipe); python-markdown does not split inside code and would
    show the backslash."""
    if not line.lstrip().startswith("|") or "\\|" not in line:
        return line
    return _CODE.sub(lambda m: m[1] + m[2].replace("\\|", "|") + m[1], line)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Drop the parts written for readers outside the site; unescape pipes in code in tables."""
    markdown = _PLAIN_ONLY.sub("", _API_SUMMARY.sub("", markdown))
    return "\n".join(_unescape_code_pipes(line) for line in markdown.split("\n"))
