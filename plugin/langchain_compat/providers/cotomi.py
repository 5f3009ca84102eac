"""NEC cotomi Generative AI API (SaaS) — facts from the provider's API documentation
(quoted in docs/providers/cotomi.md).

Documented: Bearer auth (``bearerAuth``), no public base URL (each tenant
gets its own: ``COTOMI_BASE_URL`` is required), chat model e.g.
``cotomi-fast-v2.0``; "we do not support function_call (users should implement
this by themselves)" and "logit_bias (to be supported by vLLM engine)";
``stop``: "up to 4 sequences"; temperature [0, 2]; penalties [-2, 2]; ``n``;
``user``; ``messages`` may also be a JSON string. Embeddings:
``multilingual-e5-large``, at most 512 tokens per input, no empty string,
arrays of at most 2048, ``encoding_format`` float or base64.

Silent: json mode, stream usage, the context size. Safe defaults: tools
emulated (never sent), no ``tool`` role (the vLLM engine runs without a tool
parser), structured output prompted, no ``stream_options``, a 4k context
window for memory trimming (cotomi-fast's size is not published).
"""

from langchain_compat.profiles import (
    E5_PREFIXES,
    STANDARD_PARAMS,
    EmbeddingsLimits,
    ParamRule,
    Profile,
    params_table,
)
from langchain_compat.providers.base import BEARER, Provider

_NO_TOOLS = "cotomi does not support native tool calling; use tool_calling='emulated' (the default)"

_PARAMS = params_table(
    STANDARD_PARAMS,
    stop=ParamRule(max_items=4),
    logit_bias=ParamRule(
        supported=False,
        hint="cotomi's vLLM engine rejects it; pass drop_unsupported_params=True to drop it "
             "with a warning",
    ),
    tools=ParamRule(supported=False, hint=_NO_TOOLS),
    tool_choice=ParamRule(supported=False, hint=_NO_TOOLS),
    parallel_tool_calls=ParamRule(supported=False, hint=_NO_TOOLS),
    functions=ParamRule(supported=False, hint=_NO_TOOLS),
    function_call=ParamRule(supported=False, hint=_NO_TOOLS),
)

E5_LARGE = EmbeddingsLimits(
    max_batch=2048,
    max_input_tokens=512,
    allow_empty=False,
    base64=True,
    dimensions=1024,
)

COTOMI = Provider(
    name="cotomi",
    display_name="NEC cotomi",
    ls_provider="cotomi",
    base_url=None,
    base_url_env="COTOMI_BASE_URL",
    api_key_env="COTOMI_API_KEY",
    auth=BEARER,
    default_model="cotomi-fast-v2.0",
    models=("cotomi-fast-v2.0",),
    embedding_models=("multilingual-e5-large",),
    # Documented model facts (also what the e5 family gives any e5 name).
    model_profiles={"multilingual-e5-large": {"embedding_prefixes": E5_PREFIXES}},
    profile=Profile(
        image_inputs=False,  # text-only models
        native_tools=False,
        tool_choice=False,
        parallel_tool_calls=False,
        json_mode=False,
        stream_usage=False,
        tool_role=False,
        context_window=4096,
        params=_PARAMS,
        embeddings=E5_LARGE,
        notes="No function_call, no logit_bias (vLLM engine); stop up to 4.",
    ),
    docs="cotomi Generative AI API (SaaS) OpenAI compatible API 1.0",
)
