"""Any OpenAI-compatible server (vLLM, llama.cpp's llama-server, Ollama, TGI,
LM Studio, a LiteLLM proxy). Nothing is assumed: native tools are probed
(``tool_calling="auto"``), every parameter is passed through, no auth unless a
key is given, and the base URL comes from ``OPENAI_COMPATIBLE_BASE_URL``.
"""

from langchain_compat.profiles import EmbeddingsLimits, Profile
from langchain_compat.providers.base import BEARER, Provider

#: What is assumed of any server's ``/embeddings`` (``OpenAICompatibleEmbeddings``, and the
#: emulator of this provider): OpenAI's 2048 inputs per request, nothing else checked, every
#: optional field (``dimensions``, base64) passed through - the server decides.
GENERIC_EMBEDDINGS = EmbeddingsLimits(max_batch=2048, max_input_tokens=None, allow_empty=True,
                                      base64=True, dimensions_param=True)

GENERIC = Provider(
    name="openai-compatible",
    display_name="OpenAI-compatible server",
    ls_provider="openai-compatible",
    base_url=None,
    base_url_env="OPENAI_COMPATIBLE_BASE_URL",
    api_key_env="OPENAI_COMPATIBLE_API_KEY",
    auth=BEARER,
    requires_api_key=False,
    default_model=None,
    profile=Profile(
        native_tools=None,
        json_mode=True,
        stream_usage=True,
        context_window=4096,
        server_kind=None,  # read from /props when a llama-server field is used
        embeddings=GENERIC_EMBEDDINGS,
        notes="Probed at run time; parameters passed through.",
    ),
    docs="OpenAI chat-completions API",
)

