"""Constructor argument names from ChatOpenAI / OpenAIEmbeddings, mapped to ours (pure).

Code moved from ``langchain_openai`` passes ``openai_api_key=``,
``openai_api_base=``, ``request_timeout=``... Unknown arguments of a chat
model go to ``model_kwargs`` (sent in the request body, as ChatOpenAI
does), so without this table the key would travel in the JSON body and show
in ``repr`` and ``dumpd``. Known names map to the real field; an unknown
name that looks like a credential is refused, never moved.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

from langchain_compat.connection.credentials import is_secret_name
from langchain_compat.connection.resolve import user_stacklevel
from langchain_compat.errors import InvalidCredentialError, InvalidParameterError

__all__ = ["ALIASES", "collect_kwargs"]

#: Other libraries' names for our fields: ``{their name: our field}``.
ALIASES: Mapping[str, str] = {
    "openai_api_key": "api_key",
    "apikey": "api_key",
    "api_token": "api_key",
    "openai_api_base": "base_url",
    "api_base": "base_url",
    "request_timeout": "timeout",
    "model_name": "model",
}


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
                raise InvalidParameterError(name, f"also given as {target!r}; pass only {target}=...")
            out[target] = out.pop(name)
            continue
        if is_secret_name(name):
            raise InvalidCredentialError(
                name, "unknown argument that looks like a credential; it is not sent anywhere. "
                "Pass the key as api_key=... (auth_header=/auth_prefix= pick the header), "
                "or put a request field of that name in model_kwargs={...} explicitly")
        if unknown == "error":
            raise InvalidParameterError(name, "unknown argument; pass request fields in model_kwargs={...}")
        warnings.warn(
            f"{name!r} is not a known argument: it is sent in the request body as part of "
            "model_kwargs. Pass it in model_kwargs={...} to silence this warning.",
            UserWarning, stacklevel=user_stacklevel())
        out["model_kwargs"] = {**(out.get("model_kwargs") or {}), name: out.pop(name)}
    return out
