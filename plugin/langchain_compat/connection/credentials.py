"""Checking what goes into HTTP headers: API keys, auth settings, custom headers (pure).

httpx refuses a header value with a newline or a non-ASCII character only when
the request is sent, as ``Illegal header value b'Bearer sk-...\\n'``: the key
in the message, and the request retried. ``api_key=open(path).read()`` is
the usual way to get there. So keys are cleaned at construction: surrounding
ASCII whitespace is stripped, anything else a header cannot carry is refused
with an :class:`~langchain_compat.errors.InvalidCredentialError` that names
the character and its position, never the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from langchain_compat.errors import InvalidCredentialError

__all__ = ["check_headers", "clean_api_key", "is_secret_name", "secret_header_values"]

#: What :meth:`str.strip` removes from a key: ASCII whitespace only (a no-break
#: or zero-width space at the edge is a copy-paste accident worth reporting).
_ASCII_SPACE = " \t\r\n\x0b\x0c"
#: RFC 9110 token characters: what a header *name* may contain.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
#: Name parts that mark a constructor argument or header as a credential.
_SECRET_PARTS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd",
                           "credential", "credentials", "bearer", "auth", "authorization",
                           "cookie"})
_SECRET_SUFFIXES = ("key", "token", "secret", "password")


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, '') or 'control character'})"


def _bad_char(value: str) -> tuple[int, str] | None:
    """The first character an HTTP header value cannot carry, with its index."""
    for i, ch in enumerate(value):
        if not (" " <= ch <= "~"):
            return i, ch
    return None


def clean_api_key(key: str, *, setting: str = "api_key") -> str:
    """``key`` with surrounding ASCII whitespace removed, checked for header safety.

    Args:
        key: the key as given (argument, env var or file contents).
        setting: the setting name shown in the error.

    Returns:
        The stripped key.

    Raises:
        InvalidCredentialError: the key contains a character a header cannot
            carry (non-ASCII, no-break or zero-width space, control
            character). The message gives its code point and position only.
    """
    stripped = key.strip(_ASCII_SPACE)
    _refuse_bad_char(stripped, setting, "the key", f" (of {len(stripped)})",
                     "API keys are plain ASCII: copy the key again, without invisible characters")
    return stripped


def _refuse_bad_char(value: str, setting: str, what: str, where: str, advice: str) -> None:
    """Raise if ``value`` has a character a header cannot carry (naming it, never the value)."""
    bad = _bad_char(value)
    if bad is not None:
        i, ch = bad
        raise InvalidCredentialError(
            setting, f"{what} contains {_describe(ch)} at position {i}{where}; {advice}")


def is_secret_name(name: str) -> bool:
    """Whether an argument or header name looks like it holds a credential.

    ``openai_api_key``, ``apikey``, ``access_token``, ``client_secret``,
    ``x-api-key``, ``Authorization`` do; ``max_tokens`` and ``top_k`` do not.
    """
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", snake) if p]
    return any(p in _SECRET_PARTS or p.endswith(_SECRET_SUFFIXES) for p in parts)


def check_headers(headers: Mapping[str, str] | None, *, setting: str = "default_headers") -> None:
    """Refuse custom headers httpx could not send (checked at construction).

    Args:
        headers: ``default_headers`` as given.
        setting: the setting named in the error.

    Raises:
        InvalidCredentialError: a header name that is not an HTTP token, or a
            value with a non-ASCII or control character. The message names
            the header and the character; the value is shown for neither.
    """
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise InvalidCredentialError(setting, f"{name!r} is not a valid header name")
        if not isinstance(value, str):
            raise InvalidCredentialError(setting, f"header {name!r}: the value must be a string")
        _refuse_bad_char(value, setting, f"header {name!r}", "",
                         "header values must be plain ASCII without line breaks")


def secret_header_values(headers: Mapping[str, str] | None,
                         auth_header: str | None) -> tuple[str, ...]:
    """The values of custom headers that look like credentials (redacted from errors)."""
    out = []
    for name, value in (headers or {}).items():
        if is_secret_name(name) or (auth_header and name.lower() == auth_header.lower()):
            out.append(value)
            # "Bearer sk-..." also leaks as the bare key.
            out.extend(v for v in value.split(None, 1)[1:] if v)
    return tuple(out)
