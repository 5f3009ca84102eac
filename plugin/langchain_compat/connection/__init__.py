"""Connection settings shared by chat models and embeddings.

* :mod:`.settings`: :class:`CompatConnection`, the pydantic base holding the
  connection fields, and :func:`build_driver`.
* :mod:`.resolve`: key and base URL from arguments or env vars, constructor
  error wrapping (pure).
* :mod:`.credentials`: what may travel in a header: key cleaning, custom
  header checks, credential-looking names (pure).
* :mod:`.aliases`: ChatOpenAI-style argument names mapped to ours (pure).
"""

from langchain_compat.connection.aliases import ALIASES, collect_kwargs
from langchain_compat.connection.credentials import check_headers, clean_api_key, is_secret_name
from langchain_compat.connection.resolve import (
    InsecureBaseURLWarning,
    check_base_url,
    resolve_api_key,
    resolve_base_url,
    typed_validation_error,
)
from langchain_compat.connection.base import CompatConnection, build_driver

__all__ = [
    "ALIASES",
    "CompatConnection",
    "InsecureBaseURLWarning",
    "build_driver",
    "check_base_url",
    "check_headers",
    "clean_api_key",
    "collect_kwargs",
    "is_secret_name",
    "resolve_api_key",
    "resolve_base_url",
    "typed_validation_error",
]
