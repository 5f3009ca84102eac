"""What a process learns about the backends it calls, in one bounded, readable object.

What is learned:

- whether a backend takes native tools (``tool_calling="auto"``);
- the optional request fields it refused (``chat_models/downgrades.py``), left out from then on;
- the models its server lists (``served_models_check``), or that the list could not be read;
- what llama-server's ``/props`` said (``chat_models/llama_server.py``): the server's
  defaults and window, or that it is not llama-server, or that ``/props`` could not be read;
- that its tokenizer endpoint failed (``chat_models/token_counts.py``): counts are
  estimated offline until it is asked again (the counts themselves are a cache there);
- that its embeddings endpoint refused ``encoding_format="base64"`` (``embeddings/base.py``):
  floats are asked for from then on.

Each is a fact about one *backend*: a server URL, a model, and the key the requests
carry (behind one gateway URL two tenants may be served differently), so that is the
key of a :class:`BackendMemory` entry; the API key enters it only as a short SHA-256
digest. Some facts age: llama-server's defaults are read again after
:data:`PROPS_FRESH_FOR` seconds (a server may restart with another window), and what
could not be read is asked for again after :data:`UNREADABLE_RETRY` seconds; the rest
hold until forgotten.

Every chat model and embeddings model reads and writes the memory it was given
(``backend_memory=``), by default the process-wide :data:`DEFAULT_BACKEND_MEMORY`. It
holds at most ``max_backends`` entries (the least recently used go first),
:meth:`BackendMemory.reset` forgets everything, and :meth:`BackendMemory.records` says
what was learned::

    from langchain_compat import DEFAULT_BACKEND_MEMORY
    for record in DEFAULT_BACKEND_MEMORY.records():
        print(record.base_url, record.model, record.native_tools, sorted(record.refused_fields),
              record.server_kind, record.server_defaults)
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_compat.core.server_props import ServerDefaults
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import ServerKind

__all__ = ["DEFAULT_BACKEND_MEMORY", "PROPS_FRESH_FOR", "UNREADABLE_RETRY", "BackendKey",
           "BackendMemory", "BackendRecord", "key_digest"]


def key_digest(api_key: str | None) -> str:
    """The API key as the memory keys it: 16 hex digits of its SHA-256 (``"nokey"``: none)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16] if api_key else "nokey"


@dataclass(frozen=True, slots=True)
class BackendKey:
    """Which backend a fact is true of."""

    base_url: str
    model: str
    key_digest: str


@dataclass(frozen=True, slots=True)
class BackendRecord:
    """What was learned about one backend.

    Attributes:
        base_url, model, key_digest: the backend (see :class:`BackendKey`).
        native_tools: True: native tools worked; False: they were refused
            (``auto`` emulates from then on); None: not tried yet.
        refused_fields: optional request fields (or forms of one) the backend refused;
            they are left out from then on. A chat model's are names of
            ``chat_models.downgrades.DOWNGRADES`` rows; an embeddings model's is
            ``"base64"`` (``embeddings.base.BASE64_REFUSED``: ``encoding_format="base64"``
            refused, floats asked for instead).
        served_models: the models the server lists at ``/models`` (on the record whose
            ``model`` is ""; None: not read), where the profile checks the model asked for.
        models_unreadable_until: ``time.monotonic()`` before which an unreadable model list is
            not asked for again.
        server_kind: what llama-server's ``/props`` said the server is: ``LLAMA_CPP``,
            ``OTHER`` (no ``/props`` answer is llama-server's); None: not read.
        server_defaults: llama-server's defaults and window (``n_ctx``) from ``/props``.
        props_read_at: ``time.monotonic()`` of that answer (llama-server's is read again
            :data:`PROPS_FRESH_FOR` seconds later; "not llama-server" holds).
        props_unreadable_until: ``time.monotonic()`` before which a ``/props`` that could
            not be read is not asked for again where the caller can do without it.
        tokenize_unreadable_until: ``time.monotonic()`` before which a tokenizer endpoint
            that failed is not asked again (token counts are estimated meanwhile).
        updated: ``time.time()`` of the last fact learned.
    """

    base_url: str
    model: str
    key_digest: str
    native_tools: bool | None = None
    refused_fields: frozenset[str] = field(default_factory=frozenset)
    served_models: tuple[str, ...] | None = None
    models_unreadable_until: float = 0.0
    server_kind: ServerKind | None = None
    server_defaults: ServerDefaults | None = None
    props_read_at: float = 0.0
    props_unreadable_until: float = 0.0
    tokenize_unreadable_until: float = 0.0
    updated: float = 0.0

    @property
    def key(self) -> BackendKey:
        return BackendKey(self.base_url, self.model, self.key_digest)


class BackendMemory:
    """Facts learned about backends, bounded and thread-safe (see the module docstring).

    Args:
        max_backends: most backends remembered (at least 1); past it the least
            recently used is forgotten (and learned again if it is called again).

    Raises:
        InvalidParameterError: ``max_backends`` below 1.
    """

    __slots__ = ("_entries", "_lock", "max_backends")

    def __init__(self, max_backends: int = 1024) -> None:
        if not isinstance(max_backends, int) or isinstance(max_backends, bool) or max_backends < 1:
            raise InvalidParameterError("max_backends", f"got {max_backends!r}; use an int >= 1")
        self.max_backends = max_backends
        self._entries: OrderedDict[BackendKey, BackendRecord] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BackendMemory(backends={len(self)}, max_backends={self.max_backends})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickled model loaded in another process uses that process's default memory;
        # a memory of its own travels with what it learned (the lock is made anew).
        if self is DEFAULT_BACKEND_MEMORY:
            return (_default_memory, ())
        return (_restore, (self.max_backends, self.records(), time.monotonic()))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: BackendKey) -> BackendRecord | None:
        """What is known about ``key`` (None: nothing)."""
        with self._lock:
            record = self._entries.get(key)
            if record is not None:
                self._entries.move_to_end(key)
            return record

    def native_tools(self, key: BackendKey) -> bool | None:
        """Whether the backend took native tools (None: not known)."""
        record = self.get(key)
        return None if record is None else record.native_tools

    def refused(self, key: BackendKey) -> frozenset[str]:
        """The optional fields the backend refused."""
        record = self.get(key)
        return frozenset() if record is None else record.refused_fields

    def learn_native_tools(self, key: BackendKey, accepted: bool) -> None:
        """Record whether the backend took native tools."""
        self._update(key, native_tools=accepted)

    def learn_refused(self, key: BackendKey, name: str) -> bool:
        """Record that the backend refused the field ``name``; True when it was new."""
        with self._lock:
            record = self._entries.get(key)
            known = frozenset() if record is None else record.refused_fields
            if name in known:
                return False
            self._put(key, refused_fields=known | {name})
            return True

    def served_models(self, key: BackendKey) -> tuple[str, ...] | None:
        """The models the server of ``key`` lists (None: not read)."""
        record = self.get(_server(key))
        return None if record is None else record.served_models

    def served_models_due(self, key: BackendKey) -> bool:
        """Whether the server's model list is still to be read (unknown, and not found
        unreadable in the last :data:`UNREADABLE_RETRY` seconds)."""
        record = self.get(_server(key))
        return record is None or (record.served_models is None
                                  and time.monotonic() >= record.models_unreadable_until)

    def learn_served_models(self, key: BackendKey, models: tuple[str, ...] | None) -> None:
        """Record the server's model list (None: it could not be read; asked again later)."""
        if models is None:
            self._update(_server(key), models_unreadable_until=time.monotonic() + UNREADABLE_RETRY)
        else:
            self._update(_server(key), served_models=models)

    def fresh_props(self, key: BackendKey) -> BackendRecord | None:
        """The record of ``key`` when what ``/props`` said is still current: "not
        llama-server", or llama-server's answer of the last :data:`PROPS_FRESH_FOR` seconds."""
        record = self.get(key)
        return record if record is not None and _props_current(record) else None

    def props_due(self, key: BackendKey) -> bool:
        """Whether ``/props`` is to be read for ``key``: no current answer, and no failed
        read in the last :data:`UNREADABLE_RETRY` seconds."""
        record = self.get(key)
        return record is None or (not _props_current(record)
                                  and time.monotonic() >= record.props_unreadable_until)

    def learn_props(self, key: BackendKey, found: ServerDefaults | None) -> BackendRecord:
        """Record what ``/props`` said: llama-server's defaults, or None (not llama-server)."""
        kind = ServerKind.OTHER if found is None else ServerKind.LLAMA_CPP
        with self._lock:
            return self._put(key, server_kind=kind, server_defaults=found,
                             props_read_at=time.monotonic(), props_unreadable_until=0.0)

    def learn_props_unreadable(self, key: BackendKey) -> None:
        """Record that ``/props`` could not be read (what it said before is kept)."""
        self._update(key, props_unreadable_until=time.monotonic() + UNREADABLE_RETRY)

    def tokenize_due(self, key: BackendKey) -> bool:
        """Whether the backend's tokenizer may be asked (no failure in the last
        :data:`UNREADABLE_RETRY` seconds)."""
        record = self.get(key)
        return record is None or time.monotonic() >= record.tokenize_unreadable_until

    def learn_tokenize_unreadable(self, key: BackendKey) -> None:
        """Record that the backend's tokenizer failed (asked again later)."""
        self._update(key, tokenize_unreadable_until=time.monotonic() + UNREADABLE_RETRY)

    def records(self) -> list[BackendRecord]:
        """Everything learned, least recently used first."""
        with self._lock:
            return list(self._entries.values())

    def forget(self, base_url: str | None = None) -> None:
        """Forget the backends at ``base_url`` (every backend when None)."""
        with self._lock:
            if base_url is None:
                self._entries.clear()
            else:
                for key in [k for k in self._entries if k.base_url == base_url]:
                    del self._entries[key]

    def reset(self) -> None:
        """Forget everything (as a new process would)."""
        self.forget()

    def _update(self, key: BackendKey, **changes: object) -> None:
        with self._lock:
            self._put(key, **changes)

    def _put(self, key: BackendKey, **changes: object) -> BackendRecord:  # the lock is held
        record = self._entries.get(key) or BackendRecord(key.base_url, key.model, key.key_digest)
        record = replace(record, updated=time.time(), **changes)  # type: ignore[arg-type]
        self._entries[key] = record
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_backends:
            self._entries.popitem(last=False)
        return record


#: Seconds a model list, a ``/props`` or a tokenizer that could not be read is not asked again.
UNREADABLE_RETRY = 60.0
#: Seconds llama-server's ``/props`` answer is used before the server is asked again.
PROPS_FRESH_FOR = 300.0


def _props_current(record: BackendRecord) -> bool:
    """Whether ``record`` holds a ``/props`` answer still to be used (see :meth:`fresh_props`)."""
    if record.server_kind is ServerKind.LLAMA_CPP:
        return time.monotonic() - record.props_read_at <= PROPS_FRESH_FOR
    return record.server_kind is ServerKind.OTHER


def _server(key: BackendKey) -> BackendKey:
    """The key of what is true of the whole server (its model list): no model."""
    return BackendKey(key.base_url, "", key.key_digest)


#: The fields of a record that hold ``time.monotonic()`` values (moved when unpickled).
_MONOTONIC_FIELDS = ("models_unreadable_until", "props_read_at", "props_unreadable_until",
                     "tokenize_unreadable_until")


def _default_memory() -> BackendMemory:
    return DEFAULT_BACKEND_MEMORY


def _restore(max_backends: int, records: list[BackendRecord],
             clock: float | None = None) -> BackendMemory:
    """The memory a pickle holds; its ``time.monotonic()`` values, read off ``clock`` (the
    pickling process's clock then), are moved to this process's (each age and wait kept)."""
    shift = 0.0 if clock is None else time.monotonic() - clock
    memory = BackendMemory(max_backends)
    for record in records:
        moved = {name: getattr(record, name) + shift for name in _MONOTONIC_FIELDS}
        memory._entries[record.key] = replace(record, **moved)
    return memory


#: The memory every chat and embeddings model uses unless given its own (``backend_memory=``).
DEFAULT_BACKEND_MEMORY = BackendMemory()
