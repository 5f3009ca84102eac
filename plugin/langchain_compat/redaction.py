"""Secrets out of text: :func:`redact` (re-exported by :mod:`langchain_compat.errors`)."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

__all__ = ["redact"]


def _forms(secret: str) -> list[str]:
    """``secret`` as it may appear in text: raw, repr-, JSON- and percent-escaped.

    Longest first, so an escaped form is replaced before the raw form inside it.
    """
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
             json.dumps(secret)[1:-1].replace("/", "\\/"), quote(secret, safe=""), quote(secret),
             quote_plus(secret)}
    return sorted(forms, key=len, reverse=True)


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every secret replaced by ``***``.

    Also catches the escaped forms of a secret (``repr``, JSON with or without
    ``\\/``, percent-encoding), as servers and tracebacks echo them. Secrets
    shorter than 4 characters are left alone (too short to be a real key).

    Args:
        text: the text to clean.
        *secrets: the secrets in use; None and short ones are skipped.

    Returns:
        The cleaned text.
    """
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        for form in _forms(secret):
            if form in text:
                text = text.replace(form, "***")
    return text
