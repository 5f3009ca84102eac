"""Store URLs (``redis://``, ``postgresql://``) checked and shown without their password.

A password in a URL must be percent-encoded. An unencoded ``#``, ``/``, ``?`` or
``@`` splits the URL where the user did not mean it to: urllib (redis-py) and
libpq (psycopg) then read part of the password as a host, a port or a fragment,
and echo that part in their errors. :func:`check_url` refuses such a URL before
any driver sees it; :func:`mask_url` shows a URL with ``***`` in place of its
password and of ``password=`` query values; :func:`url_secrets` lists the forms
of those secrets to scrub from a driver's messages.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from langchain_compat.errors import InvalidParameterError

__all__ = ["check_url", "has_userinfo", "mask_url", "url_secrets", "without_userinfo"]

#: What may follow the userinfo's ``@``: a host name or IP literal, then an optional port.
_HOST = re.compile(r"(\[[^\]/?#@]*\]|[^\[\]/?#@:]*)(:\d*)?")
#: Characters a userinfo may hold as they are (RFC 3986), beside ``%HH`` escapes and non-ASCII.
_SAFE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])*")
#: Query parameters whose value is a secret (libpq's ``password``, ``sslpassword``...).
_SECRET_PARAM = re.compile(r"(?i)pass|secret|token")
ENCODING_HINT = ("percent-encode the user name and password (urllib.parse.quote(password, "
                 "safe='')): % -> %25, # -> %23, / -> %2F, ? -> %3F, @ -> %40")


def _split(url: str) -> tuple[str, str | None, str]:
    """``(scheme://, userinfo or None, the rest from the host on)``.

    The userinfo ends at the last ``@`` that a host (and port) follows, so an
    unencoded ``@``, ``/``, ``?`` or ``#`` inside a password stays inside it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", None, url
    for at in reversed([i for i, c in enumerate(rest) if c == "@"]):
        host = _HOST.match(rest, at + 1)
        end = host.end() if host else at + 1
        if end == len(rest) or rest[end] in "/?#":
            return scheme + sep, rest[:at], rest[at + 1:]
    if "@" in rest:  # no host after any '@': treat all up to the last one as userinfo
        at = rest.rindex("@")
        return scheme + sep, rest[:at], rest[at + 1:]
    return scheme + sep, None, rest


def has_userinfo(url: str) -> bool:
    """Whether ``url`` carries a user name or password, encoded or not (``u:p#w@host`` too,
    which :func:`urllib.parse.urlsplit` reads as host ``u`` and a fragment)."""
    return _split(url)[1] is not None


def without_userinfo(url: str, placeholder: str = "") -> str:
    """``url`` with its user name and password replaced by ``placeholder``."""
    scheme, userinfo, rest = _split(url)
    return scheme + (placeholder if userinfo is not None else "") + rest


def _query_secrets(rest: str) -> list[tuple[int, int]]:
    """Spans (in ``rest``) of secret query values."""
    start = rest.find("?")
    if start < 0:
        return []
    spans = []
    for match in re.finditer(r"([^&=?]+)=([^&]*)", rest[start + 1:]):
        if _SECRET_PARAM.search(match.group(1)):
            spans.append((start + 1 + match.start(2), start + 1 + match.end(2)))
    return spans


def mask_url(url: str) -> str:
    """``url`` with ``***`` for its password and secret query values (for reprs, logs, errors)."""
    scheme, userinfo, rest = _split(str(url))
    for begin, end in reversed(_query_secrets(rest)):
        rest = rest[:begin] + "***" + rest[end:]
    if userinfo is None:
        return scheme + rest
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}{user}{':***' if colon else ''}@{rest}"


def url_secrets(url: str) -> list[str]:
    """The password and secret query values of ``url``, raw and percent-decoded."""
    _, userinfo, rest = _split(str(url))
    found = [rest[b:e] for b, e in _query_secrets(rest)]
    if userinfo and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    forms = {form for secret in found for form in (secret, unquote(secret)) if form}
    return sorted(forms, key=len, reverse=True)


def check_url(url: object, *, setting: str, schemes: tuple[str, ...], example: str) -> str:
    """``url`` when it is a usable store URL; else a typed error that does not show the password.

    Args:
        url: the URL given.
        setting: the argument's name, for the error.
        schemes: accepted schemes (``("redis", "rediss", "unix")``).
        example: a URL to show as the expected form.

    Raises:
        InvalidParameterError: not a string, another scheme, or a user name or
            password with characters that must be percent-encoded.
    """
    if not isinstance(url, str):
        raise InvalidParameterError(setting, f"expected a URL such as {example}, got "
                                             f"{type(url).__name__}")
    scheme, userinfo, _ = _split(url)
    if scheme[:-3].lower() not in schemes:
        raise InvalidParameterError(setting, f"expected a URL such as {example} (scheme "
                                             f"{', '.join(schemes)}), got {mask_url(url)!r}")
    if userinfo is not None and not _SAFE.fullmatch(userinfo):
        raise InvalidParameterError(setting, f"the user name or password in {mask_url(url)!r} "
                                             f"has characters a URL cannot carry as they are; "
                                             f"{ENCODING_HINT}")
    return url
