"""What the capability data says about embeddings is true.

* the matrix (``langchain-compat providers``, the docs' table) counts the generic server's
  ``OpenAICompatibleEmbeddings`` and the embedded llama-server's ``/v1/embeddings``;
* the emulator and the client read the same limits for a generic server, so a request the
  client sends (``dimensions``) is one the emulator accepts;
* the local profile's embeddings facts hold on the real llama-server.
"""

from __future__ import annotations

import pytest

from langchain_compat import OpenAICompatibleEmbeddings
from langchain_compat.errors import InvalidParameterError
from langchain_compat.providers import GENERIC, LOCAL
from langchain_compat.providers.matrix import capability_matrix

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")

from langchain_compat.testing import emulate


def test_matrix_counts_generic_and_local_embeddings() -> None:
    rows = {r["provider"]: r for r in capability_matrix()}
    assert rows["openai-compatible"]["embeddings"] is True
    assert rows["local"]["embeddings"] is True
    assert rows["local"]["embedding_models"] == ["qwen2.5-coder-0.5b-instruct"]
    assert rows["cotomi"]["embeddings"] is True
    assert rows["telkom"]["embeddings"] is False  # no documented /embeddings


def test_emulator_and_client_agree_on_generic_dimensions() -> None:
    with emulate("openai-compatible") as emu:
        emb = OpenAICompatibleEmbeddings(base_url=emu.base_url, model="any-embedder", dimensions=64)
        vectors = emb.embed_documents(["one", "two"])
        assert [len(v) for v in vectors] == [64, 64]
        assert emu.last_request.body["dimensions"] == 64
        plain = OpenAICompatibleEmbeddings(base_url=emu.base_url, model="any-embedder")
        assert len(plain.embed_query("three")) > 0


def test_local_limits_are_checked_before_sending() -> None:
    limits = LOCAL.profile.embeddings
    assert limits is not None and limits.dimensions == 896 and not limits.allow_empty
    assert GENERIC.profile.embeddings is not None and GENERIC.profile.embeddings.dimensions_param
    with emulate("local") as emu:
        from langchain_compat.embeddings.base import BaseEmbeddingsCompat

        class LocalEmbeddings(BaseEmbeddingsCompat):
            provider = LOCAL

        emb = LocalEmbeddings(base_url=emu.base_url)
        assert len(emb.embed_query("hello")) == 896
        with pytest.raises(InvalidParameterError, match="empty"):
            emb.embed_documents(["fine", ""])


@pytest.mark.local_llm
def test_local_server_serves_embeddings_as_the_profile_says(local_llm) -> None:
    emb = OpenAICompatibleEmbeddings(base_url=local_llm.base_url, model=local_llm.model)
    vectors = emb.embed_documents(["Paris is the capital of France.", "Tokyo is in Japan."])
    assert [len(v) for v in vectors] == [LOCAL.profile.embeddings.dimensions] * 2
    assert emb._format() == "base64"  # accepted, not fallen back from
