"""Ektos AI — facts from the provider's API documentation
(quoted in docs/providers/ektos.md).

The docs show only the OpenAI chat-completions endpoint with Bearer auth at
``https://api.ektos.ai/v1/`` and ``stream=true``; they point to an API reference
we do not have. Everything else is undocumented, so:

- native tools: unknown (None) -> ``tool_calling="auto"`` probes and falls back;
- ``stream_options.include_usage``: not sent (an unknown field can be refused);
- json mode / json schema: not assumed (structured output is prompted);
- sampling parameters: passed through unchecked beyond OpenAI's ranges.
"""

from langchain_compat.profiles import Profile
from langchain_compat.providers.base import BEARER, Provider

EKTOS = Provider(
    name="ektos",
    display_name="Ektos AI",
    ls_provider="ektos",
    base_url="https://api.ektos.ai/v1",
    base_url_env="EKTOS_BASE_URL",
    api_key_env="EKTOS_API_KEY",
    auth=BEARER,
    default_model="phi-3.5-mini-4k-instruct",
    models=("phi-3.5-mini-4k-instruct",),
    profile=Profile(
        image_inputs=False,  # text-only models
        native_tools=None,
        stream_usage=False,
        context_window=4096,
        notes="Ektos docs are silent on tools, json mode and stream usage.",
    ),
    # The model name says it: a 4k-token context window.
    model_profiles={"phi-3.5-mini-4k-instruct": {"context_window": 4096}},
    docs="https://docs.ektos.ai (chat completions)",
)
