"""Print what a user of langchain-compat gets in this venv: every distribution the package
(with the given extras) and the LangChain libraries it is tested with depend on,
recursively, as sorted ``name==version`` lines, and the version of langchain-tests (whose
standard suites the tests run). Test tooling (pytest and its plugins, ruff, the docs
site) is not part of it.

scripts/test-newest.sh runs this in the pinned venv and in the newest-releases venv: where
both print the same lines, the newest releases a user would install are the very versions
the pinned stages just tested.

Usage: python scripts/user_versions.py EXTRAS   (EXTRAS: "testing,memory,...")
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement

#: What the tests run against besides the package's own requirements (dev pins in
#: pyproject.toml): the agent stack of the recipes and the clients compared with ours.
TESTED_WITH = ("langchain-openai", "openai", "langchain", "langgraph")
#: Counted by their own version only: what they pull in is test tooling (pytest...).
SUITES = ("langchain-tests",)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: list[tuple[str, frozenset[str]]]) -> dict[str, str]:
    """name -> version of every installed distribution ``roots`` need, recursively."""
    seen: dict[str, str] = {}
    todo = list(roots)
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (_norm(name), extras) in done:
            continue
        done.add((_norm(name), extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional dependency this platform does not install
        seen[_norm(dist.metadata["Name"])] = dist.version
        for text in dist.requires or ():
            req = Requirement(text)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def main(argv: list[str]) -> int:
    extras = frozenset(e for e in (argv[1] if len(argv) > 1 else "").split(",") if e)
    found = closure([("langchain-compat", extras), *((n, frozenset()) for n in TESTED_WITH)])
    found.pop("langchain-compat", None)  # (the package itself: the same checkout in both)
    for name in SUITES:
        try:
            found[name] = distribution(name).version
        except PackageNotFoundError:
            found[name] = "absent"
    for name in sorted(found):
        print(f"{name}=={found[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
