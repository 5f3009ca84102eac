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

# flaky(reruns=2): the emulated class samples the real 0.5B model at the server's default
# temperature (the native class decodes greedily, see there),
# and one reply in ~20 misses a tool/structured task (measured: 5 first-attempt failures in 110
# gating tests, every one passed on its rerun). Up to three samples separate a model hiccup
# from a client bug, which fails every time.
pytestmark = [pytest.mark.local_llm, pytest.mark.usefixtures("local_llm"), pytest.mark.timeout(420),
              pytest.mark.flaky(reruns=2)]

# Standard tests the 0.5B model cannot pass: the reason is the model, not the client, and each
# reason says what the model did. They are strict xfails: a pass is reported as a failure, so
# a reason that stops being true is noticed and the test made to gate.
_NO_PARSE = ("the forced Joke call with an optional field comes out in a shape llama-server "
             "cannot parse: HTTP 500 'The model produced output that does not match the expected "
             "peg-native format', a ToolCallParseError under tool_calling='native' by design "
             "(under 'auto' the turn is re-sent emulated: TestLocalEmulated and ChatLocal pass "
             "it). Measured at temperature 0 with three chat templates: ours "
             "(qwen_hermes.jinja), the model file's own and qwen_json_calls.jinja; it failed "
             "under each")


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
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


class TestLocalNative(_LocalBase):
    """Native tools, decoded greedily (temperature 0): what llama-server makes of our chat
    template is then the same on every run, so every test either gates or is a strict xfail.

    Measured at the server's sampling defaults (temperature 0.7) instead: 7 to 11 of 17
    tests passed from one full run to the next. At temperature 0, two runs of the class
    gave the same 38 passes and the one failure below; with the model file's own template
    two more failed (a call without arguments, a call with Unicode arguments), with
    qwen_json_calls.jinja seven more.
    """

    tool_mode = "native"
    model_limits: ClassVar[dict[str, str]] = {"test_structured_output_optional_param": _NO_PARSE}

    @property
    def chat_model_params(self) -> dict:
        return {**super().chat_model_params, "temperature": 0}

    @property
    def has_tool_choice(self) -> bool:
        # Forced tool_choice is llama-server's grammar mode; where the model writes the forced
        # call several times, a named choice keeps the first (the reply policy).
        return True


class TestLocalEmulated(_LocalBase):
    tool_mode = "emulated"
