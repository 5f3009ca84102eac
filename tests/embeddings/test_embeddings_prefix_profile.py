"""Embedding prefixes are a profile fact (``Profile.embedding_prefixes``), not a name rule in code.

cotomi declares them for ``multilingual-e5-large``; every e5 model name gets
them from the model-family data (``profiles.MODEL_FAMILIES``) whatever the
provider; any provider can declare other prefixes for its own models and the
embeddings classes follow, over the wire of a real loopback server.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from langchain_compat.embeddings import BaseEmbeddingsCompat
from langchain_compat.profiles import E5_PREFIXES, MODEL_FAMILIES, family_changes
from langchain_compat.providers import COTOMI, GENERIC, Provider
from langchain_compat.testing import emulate

NOMIC = ("search_query: ", "search_document: ")


def test_cotomi_declares_the_e5_prefixes_for_its_model() -> None:
    assert COTOMI.model_profiles["multilingual-e5-large"]["embedding_prefixes"] == E5_PREFIXES
    assert COTOMI.profile_for("multilingual-e5-large").embedding_prefixes == E5_PREFIXES
    assert COTOMI.profile_for("cotomi-fast-v2.0").embedding_prefixes is None


@pytest.mark.parametrize(("model", "prefixes"), [
    ("intfloat/multilingual-e5-large", E5_PREFIXES), ("e5-small-q4", E5_PREFIXES),
    ("intfloat/e5-base-v2", E5_PREFIXES), ("e5-mistral-7b-instruct", None),
    ("multilingual-e5-large-instruct", None), ("bge-m3", None), ("gte5000", None), (None, None),
])
def test_e5_family_is_data_applied_on_any_provider(model: str | None,
                                                   prefixes: tuple[str, str] | None) -> None:
    assert [f.name for f in MODEL_FAMILIES] == ["e5"]
    assert family_changes(model).get("embedding_prefixes") == prefixes
    assert GENERIC.profile_for(model).embedding_prefixes == prefixes


class _NomicEmbeddings(BaseEmbeddingsCompat):
    provider: ClassVar[Provider] = dataclasses.replace(
        GENERIC, name="nomic-test",
        model_profiles={"nomic-embed-text": {"embedding_prefixes": NOMIC}})


def test_a_providers_declared_prefixes_are_sent() -> None:
    with emulate("openai-compatible", api_key="", rate_limit=None, strict_models=False) as emu:
        emb = _NomicEmbeddings(base_url=emu.base_url, model="nomic-embed-text")
        assert (emb.query_prefix, emb.passage_prefix) == NOMIC
        emb.embed_query("q")
        emb.embed_documents(["d", "search_query: already"])
        inputs = [r.body["input"] for r in emu.requests]
    assert inputs == [["search_query: q"], ["search_document: d", "search_query: already"]]


def test_prefixes_true_forces_e5_only_where_the_profile_has_none() -> None:
    emb = _NomicEmbeddings(base_url="http://127.0.0.1:9/v1", model="other", prefixes=True)
    assert (emb.query_prefix, emb.passage_prefix) == E5_PREFIXES
    emb = _NomicEmbeddings(base_url="http://127.0.0.1:9/v1", model="nomic-embed-text",
                           prefixes=True)
    assert (emb.query_prefix, emb.passage_prefix) == NOMIC
    emb = _NomicEmbeddings(base_url="http://127.0.0.1:9/v1", model="nomic-embed-text",
                           prefixes=False)
    assert (emb.query_prefix, emb.passage_prefix) == ("", "")
