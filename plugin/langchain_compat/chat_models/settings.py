"""Kept for imports written against the old location; see :mod:`langchain_compat.connection`."""

from langchain_compat.connection import InsecureBaseURLWarning, resolve_api_key, resolve_base_url

__all__ = ["InsecureBaseURLWarning", "resolve_api_key", "resolve_base_url"]
