"""LangChain's standard unit-test suite for every public chat-model class.

Tool calling and structured output work on every backend (native where the
profile allows, emulated otherwise), so ``has_tool_calling`` and
``has_structured_output`` are True for all five classes. The serialization
snapshot (``__snapshots__/test_standard.ambr``) must never contain the key:
``test_snapshot_has_no_key`` checks the committed file.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any
from unittest import mock

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd, load
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from langchain_compat import ChatAvangenio, ChatCotomi, ChatEktos, ChatOpenAICompatible, ChatTelkom

#: The key the suite's models are built with. It must be the same in the
#: constructor params and in the env var so ``load(dumpd(model))`` (which
#: reads the secret back from the env) reproduces the model.
KEY = "sk-standard-suite-canary-7f3a"


class _Base(ChatModelUnitTests):
    env_prefix: str = ""
    base_url: str = ""
    model_name: str = ""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"api_key": KEY, "base_url": self.base_url, "model": self.model_name}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        env_url = self.base_url.rstrip("/") + "/from-env"
        return (
            {f"{self.env_prefix}_API_KEY": KEY, f"{self.env_prefix}_BASE_URL": env_url},
            {"model": self.model_name},
            {"api_key": KEY, "base_url": env_url, "model_name": self.model_name},
        )

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @pytest.mark.xfail(
        reason="langchain-core 1.7's load(allowed_objects='all') admits only classes in "
        "langchain's own serialization mappings, so no third-party class can revive; "
        "the snapshot is still asserted before that point (see test_serdes_roundtrip)",
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)

    def test_serdes_roundtrip(self, model: BaseChatModel) -> None:
        """``test_serdes`` with exactly this class on the load allowlist.

        The key is serialized as a reference to the provider's env var and
        revived from it; the revived model equals the original.
        """
        env_params, _model_params, _expected = self.init_from_env_params
        with mock.patch.dict(os.environ, env_params):
            ser = dumpd(model)
            revived = load(
                ser,
                valid_namespaces=model.get_lc_namespace()[:1],
                allowed_objects=[self.chat_model_class],
                secrets_from_env=True,
            )
        assert type(revived) is self.chat_model_class
        assert model.model_dump() == revived.model_dump()
        assert revived.api_key is not None and revived.api_key.get_secret_value() == KEY
        assert KEY not in str(ser)
        assert ser["kwargs"]["api_key"] == {
            "lc": 1, "type": "secret", "id": [f"{self.env_prefix}_API_KEY"],
        }


class TestChatOpenAICompatibleStandard(_Base):
    env_prefix = "OPENAI_COMPATIBLE"
    base_url = "http://127.0.0.1:8000/v1"
    model_name = "qwen2.5-coder-0.5b-instruct"

    @property
    def chat_model_class(self) -> type[ChatOpenAICompatible]:
        return ChatOpenAICompatible

    @property
    def supports_json_mode(self) -> bool:
        return True


class TestChatEktosStandard(_Base):
    env_prefix = "EKTOS"
    base_url = "https://api.ektos.ai/v1"
    model_name = "phi-3.5-mini-4k-instruct"

    @property
    def chat_model_class(self) -> type[ChatEktos]:
        return ChatEktos


class TestChatAvangenioStandard(_Base):
    env_prefix = "AVANGENIO"
    base_url = "https://apigateway.avangenio.net/v1"
    model_name = "radiance"

    @property
    def chat_model_class(self) -> type[ChatAvangenio]:
        return ChatAvangenio


class TestChatCotomiStandard(_Base):
    env_prefix = "COTOMI"
    base_url = "https://cotomi.example.com/v1"
    model_name = "cotomi-fast-v2.0"

    @property
    def chat_model_class(self) -> type[ChatCotomi]:
        return ChatCotomi


class TestChatTelkomStandard(_Base):
    env_prefix = "TELKOM"
    base_url = "https://telkom-ai-dag.api.apilogy.id/Telkom-LLM/0.0.4"
    model_name = "telkom-ai-instruct"

    @property
    def chat_model_class(self) -> type[ChatTelkom]:
        return ChatTelkom


def test_snapshot_has_no_key() -> None:
    """The committed serialization snapshots name the env var, never the key."""
    snap = pathlib.Path(__file__).parent / "__snapshots__" / "test_standard.ambr"
    if not snap.exists():
        pytest.fail("serialization snapshot missing: run pytest --snapshot-update once")
    text = snap.read_text()
    assert KEY not in text
    assert "sk-" not in text
    for prefix in ("OPENAI_COMPATIBLE", "EKTOS", "AVANGENIO", "COTOMI", "TELKOM"):
        assert f"{prefix}_API_KEY" in text, prefix
