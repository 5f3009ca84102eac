"""The provider emulator: each provider's API on loopback, for offline tests.

A real HTTP server (Starlette + uvicorn in a background thread) that enforces a
provider's auth scheme, paths, refused parameters, limits and rate limit —
all read from its :class:`~langchain_compat.providers.Provider` and
:class:`~langchain_compat.profiles.Profile` — and answers with a
deterministic default reply, scripted replies, or a real upstream (proxy).
Faults (5xx bursts, 429, latency, hangs, resets, broken bodies and streams)
are injected per request or by schedule.

Example::

    from langchain_compat.testing import emulate, server_error

    with emulate("telkom", rate_limit=3, rate_window=1.0) as emu:
        emu.script(["Hello!"])
        emu.inject(server_error(503), times=2)
        ...  # point the client at emu.base_url with emu.api_key

Requires the ``testing`` extra (``pip install langchain-compat[testing]``).
"""

from langchain_compat.testing.emulator import Emulator, emulate
from langchain_compat.testing.faults import (
    Fault,
    hang,
    latency,
    malformed_sse,
    no_done,
    rate_limited,
    reset_connection,
    server_error,
    stream_error,
    truncated_json,
)
from langchain_compat.testing.guard import block_real_requests
from langchain_compat.testing.quirks import estimate_tokens
from langchain_compat.testing.recording import RecordedRequest
from langchain_compat.testing.refusals import OPTIONAL_REFUSALS
from langchain_compat.testing.responders import Reply, ToolCall
from langchain_compat.testing.schema_values import sample_value
from langchain_compat.testing.tool_caller import ToolCaller

__all__ = [
    "OPTIONAL_REFUSALS",
    "Emulator",
    "Fault",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "ToolCaller",
    "block_real_requests",
    "emulate",
    "estimate_tokens",
    "hang",
    "latency",
    "malformed_sse",
    "no_done",
    "rate_limited",
    "reset_connection",
    "sample_value",
    "server_error",
    "stream_error",
    "truncated_json",
]
