"""The fenced ```python blocks of README.md and docs/: found, classified, run.

Every block runs as written. What it runs against is read from the block itself:

* a block that uses the embedded model (``ChatLocal``, ``langchain_compat.local``,
  ``127.0.0.1:8089``) runs against the real local llama-server;
* every other block runs with each provider's environment variables
  (``COTOMI_BASE_URL``, ``COTOMI_API_KEY``, ...) pointing at that provider's
  emulator, so ``ChatCotomi()`` reaches an emulated cotomi API;
* a block containing ``def test_`` is a pytest module and is run by pytest (lines
  ``# conftest.py`` and ``# test_x.py`` split it into those files), which must pass
  with no test skipped and no warning;
* a block with a line starting ``# Not run by the docs test:`` is skipped, and
  says why to the reader too. Keep those rare.

Unless scripted, the emulators answer with their deterministic default reply.
An HTML comment right above a block (invisible on the site and on GitHub)
scripts the replies the block's model calls get, when the block's point is a
particular answer::

    <!-- emulator replies: ["<tool_call>{\\"name\\": \\"Person\\", ...}</tool_call>"] -->

(a JSON list for every emulator, or ``{"cotomi": [...], ...}`` per provider).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_MARK = "# Not run by the docs test:"
LOCAL_MARKS = ("ChatLocal", "langchain_compat.local", "127.0.0.1:8089")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\b.*$")
_REPLIES = re.compile(r"^\s*<!--\s*emulator replies:\s*(?P<json>.*?)\s*-->\s*$")
_SNIPPET = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"\s*$')
_FILE_HEADER = re.compile(r"^# ((?:conftest|test_\w+)\.py)\n", re.MULTILINE)


@dataclass
class Block:
    """One fenced python block."""

    path: Path
    line: int
    code: str
    replies: list | dict = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        for line in self.code.splitlines():
            if line.strip().startswith(SKIP_MARK):
                return line.strip()[len(SKIP_MARK):].strip() or "marked in the page"
        return None

    @property
    def local(self) -> bool:
        return any(mark in self.code for mark in LOCAL_MARKS)

    @property
    def is_pytest_module(self) -> bool:
        return re.search(r"^def test_", self.code, re.MULTILINE) is not None

    @property
    def files(self) -> dict[str, str]:
        """A pytest block as files: ``# conftest.py`` / ``# test_x.py`` lines start one each
        (the page shows a conftest.py and a test module in one block); else ``test_block.py``."""
        parts = _FILE_HEADER.split(self.code)
        if len(parts) == 1:
            return {"test_block.py": self.code}
        return {name: body.strip("\n") + "\n" for name, body in zip(parts[1::2], parts[2::2])}


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _expand(code: str) -> str:
    """Resolve ``--8<-- "path"`` snippet lines the way the site build does."""
    out = []
    for line in code.splitlines():
        m = _SNIPPET.match(line.strip())
        out.append((ROOT / m["path"]).read_text(encoding="utf-8") if m else line)
    return "\n".join(out) + "\n"


def blocks(path: Path) -> list[Block]:
    """The python blocks of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m["indent"])
        end = i + 1
        while not lines[end].strip().startswith("```"):
            end += 1
        body = "\n".join(line[indent:] for line in lines[i + 1:end])
        replies: list | dict = []
        prev = i - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        if prev >= 0 and (r := _REPLIES.match(lines[prev])):
            replies = json.loads(r["json"])
        found.append(Block(path, i + 1, _expand(body), replies))
        i = end + 1
    return found


def all_blocks() -> list[Block]:
    return [b for path in doc_files() for b in blocks(path)]
