"""The embedded local backend: llama.cpp's llama-server started by
``langchain-compat local up`` (or :func:`langchain_compat.local.ensure_server`)
on 127.0.0.1:8089, serving Qwen2.5-Coder-0.5B-Instruct (Q4_K_M).

The facts below were checked against that server (llama.cpp build 11434)
started with our Qwen/Hermes chat template
(``langchain_compat/local/templates/qwen_hermes.jinja``):

- tools: native, with the reply policy's fallback, which is constrained emulation
  (a GBNF ``grammar`` admitting a call of a bound tool or a plain-text answer;
  ``response_format`` json_schema of the tools where a grammar is refused).
  Alone, native calls failed 5 of 6 quick benchmark tasks with HTTP 500 ("does not
  match the expected peg-native format": the model wrote JSON that is not a call); under
  ``tool_calling="auto"`` such a turn is re-sent emulated, so the model's
  native calls are used where they parse and our parser reads the rest
  (``docs/agent-benchmark.md`` has the numbers).
  Native calls parse because the template lists tools in a ``<tools>`` block and
  renders calls as bare ``{"name": ..., "arguments": {...}}`` lines, the shape
  the model writes (it never emits the ``<tool_call>`` tag), so llama-server
  parses them into OpenAI ``tool_calls``. ``tool_choice="required"`` is
  enforced with a grammar; a named ``tool_choice`` object is ignored by
  llama-server (answered as ``"auto"``). A reply in a fenced ```json block
  is answered with HTTP 500 ("does not match the expected peg-native format");
- ``response_format`` ``json_object`` and ``json_schema``: enforced;
- ``stream_options.include_usage``: honoured;
- ``max_tokens`` defaults to 512: greedy decoding of a 0.5B model can loop
  until the 4096-token context is full (minutes on a CPU).
- ``/v1/embeddings`` (``--embeddings --pooling mean``): the chat model's own
  mean-pooled vectors, 896 floats, base64 accepted; ``dimensions`` is ignored
  (always 896); an empty input is refused (400); an input over the physical
  batch of 512 tokens fails with HTTP 500 ("input (701 tokens) is too large to
  process"). Fine for trying the plumbing, poor for retrieval: the bundled
  multilingual-e5 server (``langchain_compat.local.e5``) retrieves far better.

No authentication: a key is sent only if one is given (llama-server's
``--api-key``); the base URL can be moved with ``LANGCHAIN_COMPAT_LOCAL_BASE_URL``.
"""

from types import MappingProxyType

from langchain_compat.profiles import EmbeddingsLimits, Profile, ServerKind
from langchain_compat.providers.base import BEARER, Provider

#: The model ``langchain-compat local`` serves by default (llama-server's ``--alias``).
LOCAL_MODEL = "qwen2.5-coder-0.5b-instruct"

LOCAL = Provider(
    name="local",
    display_name="local llama-server",
    ls_provider="llamacpp",
    base_url="http://127.0.0.1:8089/v1",
    base_url_env="LANGCHAIN_COMPAT_LOCAL_BASE_URL",
    api_key_env=None,
    auth=BEARER,
    requires_api_key=False,
    default_model=LOCAL_MODEL,
    models=(LOCAL_MODEL,),
    embedding_models=(LOCAL_MODEL,),
    profile=Profile(
        image_inputs=False,  # text-only models
        native_tools=True,
        constrained=True,  # emulated turns (the fallback, or tool_calling="emulated") decode
        # under a grammar of the tools that leaves an answer plain text (llama-server's
        # GBNF grammar field; its response_format json_schema if the grammar is refused)
        call_grammar=True,
        json_mode=True,
        json_schema=True,
        stream_usage=True,
        context_window=4096,
        param_defaults=MappingProxyType({"max_tokens": 512}),
        small_model_guards=True,
        tokenize_endpoint="/tokenize",
        served_models_check=True,  # llama-server answers any model name with its own model
        server_kind=ServerKind.LLAMA_CPP,
        embeddings=EmbeddingsLimits(max_batch=2048, max_input_tokens=512, allow_empty=False,
                                    base64=True, dimensions=896),
        notes=("llama-server with our Qwen template: native tools, a call the server cannot "
               "parse is re-sent emulated; named tool_choice is ignored by the server; "
               "max_tokens 512 unless set."),
    ),
    docs="llama.cpp tools/server/README.md",
    start_command="langchain-compat local up",
)
