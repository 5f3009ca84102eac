"""What the standard integration suite should expect of the one real local model,
shared by every class that runs it (directly or through the cotomi emulator)."""

from __future__ import annotations

from langchain_tests.integration_tests import ChatModelIntegrationTests


class LocalModelSuite(ChatModelIntegrationTests):
    """llama-server with Qwen2.5-0.5B: usage reported without details, one model served."""

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict:
        return {"invoke": [], "stream": []}

    @property
    def supports_model_override(self) -> bool:
        return False  # llama-server serves one model
