"""Constructor argument names from ChatOpenAI / OpenAIEmbeddings, mapped to ours (pure).

Code moved from ``langchain_openai`` passes ``openai_api_key=``,
``openai_api_base=``, ``request_timeout=``... Unknown arguments of a chat
model go to ``model_kwargs`` (sent in the request body, as ChatOpenAI
does), so without this table the key would travel in the JSON body and show
in ``repr`` and ``dumpd``. Known names map to the real field; an unknown
name that looks like a credential is refused, never moved. ChatOpenAI settings
that mean nothing for an OpenAI-compatible server (:data:`IGNORED`) are dropped
with a warning saying why, and the warning for an unknown name suggests the
field it most likely misspells (``temprature`` -> ``temperature``).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from typing import Any, Literal

from langchain_compat.connection.credentials import is_secret_name
from langchain_compat.connection.resolve import user_stacklevel
from langchain_compat.errors import InvalidCredentialError, InvalidParameterError

__all__ = ["ALIASES", "IGNORED", "SERVER_FIELDS", "collect_kwargs"]

#: Other libraries' names for our fields: ``{their name: our field}``. A name maps
#: only where the class has the target (``chunk_size`` on embeddings, ``max_completion_tokens``
#: on chat models); elsewhere it is unknown.
ALIASES: Mapping[str, str] = {
    "openai_api_key": "api_key",
    "apikey": "api_key",
    "api_token": "api_key",
    "openai_api_base": "base_url",
    "api_base": "base_url",
    "request_timeout": "timeout",
    "openai_proxy": "proxy",
    "model_name": "model",
    "max_completion_tokens": "max_tokens",
    "chunk_size": "batch_size",
    "check_embedding_ctx_length": "check_limits",
    "show_progress_bar": "show_progress",
}

#: ChatOpenAI / OpenAIEmbeddings arguments with no meaning for an OpenAI-compatible
#: server: ignored with a warning saying why (never sent).
IGNORED: Mapping[str, str] = {
    "openai_organization": "an OpenAI account setting; pass default_headers="
                           "{'OpenAI-Organization': ...} if your gateway wants the header",
    "organization": "an OpenAI account setting; pass default_headers="
                    "{'OpenAI-Organization': ...} if your gateway wants the header",
    "openai_api_type": "Azure OpenAI's setting", "openai_api_version": "Azure OpenAI's setting",
    "deployment": "Azure OpenAI's setting",
    "tiktoken_model_name": "token counts use the server's /tokenize or our offline estimate, "
                           "never tiktoken",
    "tiktoken_enabled": "token counts never use tiktoken",
    "embedding_ctx_length": "the per-input limit comes from the profile "
                            "(limits_overrides={'max_input_tokens': ...})",
    "allowed_special": "token counts never use tiktoken",
    "disallowed_special": "token counts never use tiktoken",
    "skip_empty": "empty inputs follow the profile's allow_empty",
    "include_response_headers": "not supported", "use_responses_api": "chat completions only",
    "use_previous_response_id": "chat completions only",
}

#: Request fields of common OpenAI-compatible servers: sent as ``model_kwargs`` without a
#: "did you mean" guess (``top_k`` is not a typo of ``top_p``).
SERVER_FIELDS = frozenset({
    "top_k", "min_p", "typical_p", "repetition_penalty", "repeat_penalty", "top_a", "tfs_z",
    "mirostat", "mirostat_tau", "mirostat_eta", "num_ctx", "keep_alive", "reasoning_effort",
    "chat_template_kwargs", "guided_json", "guided_regex", "guided_choice", "guided_grammar",
    "logprobs", "top_logprobs", "service_tier", "metadata", "store", "verbosity",
    "min_tokens", "ignore_eos", "skip_special_tokens", "best_of", "length_penalty", "grammar",
})


def _likely(name: str, known: set[str]) -> str | None:
    """The field ``name`` is most likely a misspelling of (None: no close one)."""
    if name in SERVER_FIELDS:
        return None
    pool = ({n for n in known if not n.startswith("_")}
            | {a for a, t in ALIASES.items() if t in known})
    match = difflib.get_close_matches(name.lower(), sorted(pool), n=1, cutoff=0.8)
    if not match:
        return None
    return ALIASES.get(match[0], match[0]) if match[0] not in known else match[0]


def collect_kwargs(values: dict[str, Any], known: set[str], *,
                   unknown: Literal["model_kwargs", "error"]) -> dict[str, Any]:
    """Constructor arguments with aliases renamed and unknown names handled.

    Args:
        values: the keyword arguments as given (not modified).
        known: the field names and aliases the class accepts.
        unknown: ``"model_kwargs"`` moves other names into ``model_kwargs``
            with a warning (chat models, like ChatOpenAI); ``"error"``
            refuses them (embeddings).

    Returns:
        The arguments to validate.

    Raises:
        InvalidCredentialError: an unknown name that looks like a credential
            (``token=``, ``secret_key=``...): it would be sent in the body.
        InvalidParameterError: an alias given together with its field, or
            an unknown name with ``unknown="error"``.
    """
    out = dict(values)
    for name in [n for n in out if n not in known]:
        target = ALIASES.get(name)
        if target is not None and target in known:
            if target in out and out[target] is not None:
                raise InvalidParameterError(name,
                                            f"also given as {target!r}; pass only {target}=...")
            out[target] = out.pop(name)
            continue
        if name in IGNORED:
            out.pop(name)
            warnings.warn(f"{name!r} is ignored: {IGNORED[name]}.", UserWarning,
                          stacklevel=user_stacklevel())
            continue
        if is_secret_name(name):
            raise InvalidCredentialError(
                name, "unknown argument that looks like a credential; it is not sent anywhere. "
                "Pass the key as api_key=... (auth_header=/auth_prefix= pick the header), "
                "or put a request field of that name in model_kwargs={...} explicitly")
        likely = _likely(name, known)
        hint = f" (did you mean {likely!r}?)" if likely else ""
        if unknown == "error":
            raise InvalidParameterError(
                name, f"unknown argument{hint} (request fields go in model_kwargs={{...}})")
        warnings.warn(
            f"{name!r} is not a known argument{hint}: it is sent in the request body as part of "
            "model_kwargs. Pass it in model_kwargs={...} to silence this warning.",
            UserWarning, stacklevel=user_stacklevel())
        out["model_kwargs"] = {**(out.get("model_kwargs") or {}), name: out.pop(name)}
    return out
