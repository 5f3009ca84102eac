"""Avangenio — facts from the provider's API documentation
(quoted in docs/providers/avangenio.md).

Documented: Bearer auth, base URL ``https://apigateway.avangenio.net`` (its
curl example posts to ``/chat/completions``; the parameter table names
``/v1/chat/completions`` — both are served, we default to ``/v1``), models
``spark``, ``radiance``, ``supernova``; parameters ``max_tokens``, ``n``,
``stop`` (string or array), ``stream`` (SSE ending with ``data: [DONE]``),
``frequency_penalty`` and ``presence_penalty`` in [-2, 2] (the table spells it
"precense_penalty"; the OpenAI client it tells you to use sends
``presence_penalty``, so we do too), ``temperature`` in [0, 2], ``top_p``.
Roles: system, user, assistant.

Silent: tools, json mode, seed, logit_bias, user, stream usage, context size.
Safe defaults: tools unknown (auto probes), no ``stream_options``, roles
beyond the documented three replayed as text (no ``tool`` role), an 8k context
window assumed for memory trimming.
"""

from langchain_compat.profiles import (
    STANDARD_PARAMS,
    UNDOCUMENTED,
    ParamRule,
    Profile,
    params_table,
)
from langchain_compat.providers.base import BEARER, Provider

_PARAMS = params_table(
    STANDARD_PARAMS,
    seed=UNDOCUMENTED,
    logit_bias=UNDOCUMENTED,
    user=UNDOCUMENTED,
    top_p=ParamRule(min=0.0, max=1.0),
)

AVANGENIO = Provider(
    name="avangenio",
    display_name="Avangenio",
    ls_provider="avangenio",
    base_url="https://apigateway.avangenio.net/v1",
    base_url_env="AVANGENIO_BASE_URL",
    api_key_env="AVANGENIO_API_KEY",
    auth=BEARER,
    default_model="radiance",
    models=("spark", "radiance", "supernova"),
    profile=Profile(
        image_inputs=False,  # text-only models
        native_tools=None,
        stream_usage=False,
        tool_role=False,
        context_window=8192,
        params=_PARAMS,
        notes="Avangenio documents sampling params, n and stop; tools are undocumented.",
    ),
    docs="https://docs.avangenio.net (LLM Chat API)",
)
