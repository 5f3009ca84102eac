"""Telkom AI — facts from the provider's API documentation
(quoted in docs/providers/telkom.md).

Documented: the key goes in an ``x-api-key`` header ("key-auth"; no Bearer),
host ``telkom-ai-dag.api.apilogy.id`` with base path ``/Telkom-LLM/0.0.4``,
``POST /chat/completions`` with ``model`` (``telkom-ai-instruct``),
``messages`` (roles system, user, assistant) and ``stream``. Throughput
7 requests/minute, latency about 2.1 s; trained on data before June 2024.

Silent: every other parameter, tools, json mode, stream usage, context size.
Safe defaults: tools unknown (auto probes, falls back to emulation), no
``tool`` role, no ``stream_options``, a client-side limit of 7 requests per
minute (overridable with ``rate_limiter=``), sampling parameters passed
through only when the user sets them.
"""

from langchain_compat.profiles import STANDARD_PARAMS, UNDOCUMENTED, Profile, params_table
from langchain_compat.providers.base import AuthScheme, Provider

_PARAMS = params_table(
    STANDARD_PARAMS,
    **{name: UNDOCUMENTED for name in ("seed", "logit_bias", "user", "logprobs", "top_logprobs")},
)

TELKOM = Provider(
    name="telkom",
    display_name="Telkom AI",
    ls_provider="telkom",
    base_url="https://telkom-ai-dag.api.apilogy.id/Telkom-LLM/0.0.4",
    base_url_env="TELKOM_BASE_URL",
    api_key_env="TELKOM_API_KEY",
    auth=AuthScheme(header="x-api-key", prefix=""),
    default_model="telkom-ai-instruct",
    models=("telkom-ai-instruct",),
    profile=Profile(
        image_inputs=False,  # text-only models
        native_tools=None,
        stream_usage=False,
        tool_role=False,
        context_window=8192,
        rate_limit_rpm=7.0,
        params=_PARAMS,
        notes="x-api-key auth; about 7 requests/minute; ~2.1 s latency.",
    ),
    docs="Telkom AI (apilogy) Telkom-LLM 0.0.4",
)
