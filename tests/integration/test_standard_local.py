"""LangChain's standard integration suite against the real local llama-server.

``ChatOpenAICompatible`` runs the suite twice: with native tool calling (the
server parses Qwen's ``<tool_call>`` template) and with emulated tool calling
(tools rendered into the prompt, calls parsed out of the text). The model is
Qwen2.5-Coder-0.5B at ~30 tokens/s on two cores, so replies are short.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from langchain_compat import ChatOpenAICompatible

from ._local_model import LocalModelSuite

# flaky(reruns=2): the suite samples the real 0.5B model at the server's default temperature,
# so one reply in ~20 misses a tool/structured task (measured: 5 first-attempt failures in 110
# gating tests, every one passed on its rerun). Up to three samples separate a model hiccup
# from a client bug, which fails every time.
pytestmark = [pytest.mark.local_llm, pytest.mark.usefixtures("local_llm"), pytest.mark.timeout(420),
              pytest.mark.flaky(reruns=2)]

# Standard tests the 0.5B model cannot pass reliably on a class: the reason is the model, not
# the client, and each reason quotes what the model wrote. They run (non-strict xfail) so a
# pass shows as XPASS; every other tool/structured test gates CI.
_NATIVE_PROSE = ("without a forced tool_choice the 0.5B model often describes the call in prose "
                 "instead of making it, e.g. \"Let's evaluate the magic_function function using "
                 "the provided tool.\n\n1. ...\" or \"To find the value of "
                 "`magic_function_no_args()`, I will use the `magic_function_no_args` function "
                 "...\" (llama-server parses no call)")


class _LocalBase(LocalModelSuite):
    tool_mode = "auto"

    @property
    def chat_model_class(self) -> type[ChatOpenAICompatible]:
        return ChatOpenAICompatible

    @property
    def chat_model_params(self) -> dict:
        from langchain_compat.local import DEFAULT_PORT

        return {
            "base_url": f"http://127.0.0.1:{DEFAULT_PORT}/v1",
            "model": "qwen2.5-coder-0.5b-instruct",
            "tool_calling": self.tool_mode,
            "timeout": 90,
            "max_retries": 0,  # a slow reply is not retried: keeps a bad case at 90 s
            "max_tokens": 100,
        }

    @property
    def supports_json_mode(self) -> bool:
        return True

    model_limits: ClassVar[dict[str, str]] = {}

    @pytest.fixture(autouse=True)
    def _known_model_limits(self, request: pytest.FixtureRequest) -> None:
        reason = self.model_limits.get(request.node.originalname)
        if reason:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=False))


class TestLocalNative(_LocalBase):
    tool_mode = "native"
    # every test that needs the model to make a call without forced tool_choice
    model_limits: ClassVar[dict[str, str]] = dict.fromkeys(
        ("test_tool_calling", "test_tool_calling_async", "test_tool_calling_with_no_arguments",
         "test_bind_runnables_as_tools", "test_unicode_tool_call_integration", "test_agent_loop"),
        _NATIVE_PROSE) | dict.fromkeys(
        ("test_structured_output", "test_structured_output_async",
         "test_structured_output_pydantic_2_v1", "test_structured_output_optional_param"),
        "with our chat template llama-server answers HTTP 500 'does not match the expected "
        "peg-native format' when the 0.5B model's forced call is JSON that is not a call; under "
        "tool_calling='native' that is a ToolCallParseError by design (under 'auto' the turn is "
        "re-sent emulated: TestLocalEmulated and ChatLocal pass these)")

    @property
    def has_tool_choice(self) -> bool:
        # Forced tool_choice is llama-server's grammar mode. Measured with this model: the
        # same call written 2-4 times in one reply (the suite expects exactly one), a reply
        # with no call, and once 2,000+ tokens past max_tokens=100. Forced choice is covered
        # by the emulated class, where we enforce it ourselves.
        return False


class TestLocalEmulated(_LocalBase):
    tool_mode = "emulated"
