"""LangChain's standard integration suite for ChatCotomi, offline: the cotomi emulator
in proxy mode in front of the real local model.

The emulator enforces cotomi's rules (Bearer auth, no ``tools``/``functions``/
``logit_bias``, stop ≤ 4) and forwards the rest to llama-server, so every tool and
structured-output test runs through emulation exactly as it would against cotomi.
"""

from __future__ import annotations

import pytest

from langchain_compat import ChatCotomi
from langchain_compat.testing import emulate

from ._local_model import LocalModelSuite

pytestmark = [pytest.mark.local_llm, pytest.mark.usefixtures("local_llm", "_cotomi_proxy"),
              pytest.mark.timeout(420), pytest.mark.flaky(reruns=2)]  # see test_standard_local.py

_PROXY: dict = {}


@pytest.fixture(scope="module")
def _cotomi_proxy(local_llm):
    with emulate("cotomi", proxy=local_llm.base_url, proxy_model=local_llm.model) as emu:
        _PROXY.update(base_url=emu.base_url, api_key=emu.api_key, emu=emu)
        yield emu
    _PROXY.clear()


class TestCotomiThroughEmulator(LocalModelSuite):
    @property
    def chat_model_class(self) -> type[ChatCotomi]:
        return ChatCotomi

    @property
    def chat_model_params(self) -> dict:
        return {"base_url": _PROXY["base_url"], "api_key": _PROXY["api_key"],
                "model": "cotomi-fast-v2.0", "timeout": 90, "max_retries": 0,
                "max_tokens": 100}

    @pytest.fixture(autouse=True)
    def _profile_limits(self, request: pytest.FixtureRequest) -> None:
        if request.node.originalname == "test_usage_metadata_streaming":
            # cotomi's docs are silent on stream_options, so its profile never asks for
            # usage in streams (an unknown field could be refused); invoke has usage.
            request.applymarker(pytest.mark.xfail(reason="cotomi profile: no stream usage",
                                                  strict=True))

    def test_no_tools_field_ever_reaches_cotomi(self, model) -> None:
        """Whatever the suite sent, the emulator never saw a refused field."""
        model.invoke("hi")
        for req in _PROXY["emu"].requests:
            body = req.body or {}
            refused = {"tools", "tool_choice", "functions", "function_call", "logit_bias"}
            assert not refused & set(body)
