"""LangChain embeddings for OpenAI-compatible providers.

``OpenAICompatibleEmbeddings`` (any server) and ``CotomiEmbeddings`` (NEC cotomi)
share :class:`BaseEmbeddingsCompat`; the sans-IO parts are
:mod:`.batching` (prefixes, limits, batches), :mod:`.codec` (wire format,
base64 decoding, response checks) and :mod:`.input_limits` (offline token estimate).
"""

from langchain_compat.embeddings.base import BaseEmbeddingsCompat, is_e5_model
from langchain_compat.embeddings.providers import CotomiEmbeddings, OpenAICompatibleEmbeddings
from langchain_compat.embeddings.input_limits import estimate_tokens

__all__ = [
    "BaseEmbeddingsCompat",
    "CotomiEmbeddings",
    "OpenAICompatibleEmbeddings",
    "estimate_tokens",
    "is_e5_model",
]
