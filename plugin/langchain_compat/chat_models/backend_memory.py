"""The backend memory's former home: :mod:`langchain_compat.core.backend_memory` holds it now.

It moved out of ``chat_models`` because it is not the chat models' alone (transport reads
``/props`` into it; what a server refused is a fact about the backend, whichever client
asked, embeddings included). The names stay importable from here, the private ones too:
a model pickled before the move names ``_restore``, ``_default_memory`` and
``BackendRecord`` of this module, and loads through them.
"""

from langchain_compat.core.backend_memory import (  # noqa: F401 - re-exported
    DEFAULT_BACKEND_MEMORY,
    PROPS_FRESH_FOR,
    UNREADABLE_RETRY,
    BackendKey,
    BackendMemory,
    BackendRecord,
    __all__,
    _default_memory,
    _restore,
    key_digest,
)
