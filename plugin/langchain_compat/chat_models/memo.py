"""Bounded process-wide memories: what a backend refused, which warnings were logged.

A process that makes models for many base URLs or model names (one per tenant,
a generated name per job) would grow a plain dict for ever. These keep the
:data:`MEMORY_SIZE` most recently used keys; a forgotten backend costs one
refused request again, which puts it back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, TypeVar

__all__ = ["MEMORY_SIZE", "BoundedDict", "BoundedSet"]

#: Keys (base URL and model, or with a field) each memory keeps.
MEMORY_SIZE = 4096

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedDict(OrderedDict[K, V]):
    """A dict of at most ``maxsize`` keys, least recently used dropped first (thread-safe)."""

    def __init__(self, maxsize: int = MEMORY_SIZE) -> None:
        super().__init__()
        self.maxsize = maxsize
        self._lock = threading.RLock()

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            super().__setitem__(key, value)
            self.move_to_end(key)
            while len(self) > self.maxsize:
                self.popitem(last=False)

    def get(self, key: K, default: Any = None) -> Any:
        with self._lock:
            if key not in self:
                return default
            self.move_to_end(key)
            return super().__getitem__(key)

    def setdefault(self, key: K, default: Any = None) -> Any:
        with self._lock:
            if key in self:
                self.move_to_end(key)
                return super().__getitem__(key)
            self[key] = default
            return default


class BoundedSet:
    """A set of at most ``maxsize`` members, least recently added dropped first."""

    def __init__(self, maxsize: int = MEMORY_SIZE) -> None:
        self._items: BoundedDict[Any, None] = BoundedDict(maxsize)

    def add(self, item: Hashable) -> None:
        self._items[item] = None

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
