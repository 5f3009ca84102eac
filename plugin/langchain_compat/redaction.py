"""Removing secrets from text: :func:`redact` (re-exported by :mod:`langchain_compat.errors`).

Every message built from a provider's answer goes through it with the key in use, so no
API key, proxy credential or secret header reaches an error, a log line or a repr.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

__all__ = ["redact", "scrub_exception"]


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


def scrub_exception(exc: BaseException | None, *secrets: str | None) -> None:
    """Redact ``secrets`` from the messages of ``exc`` and of every exception chained to it.

    In place: the exception kept as ``__cause__`` of one of ours (a psycopg or
    redis-py error) still tells what failed, but a traceback that prints it
    shows no password.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.args = tuple(redact(a, *secrets) if isinstance(a, str) else a for a in exc.args)
        if isinstance(exc, OSError) and isinstance(exc.filename, str):
            exc.filename = redact(exc.filename, *secrets)
        exc = exc.__cause__ or exc.__context__
