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


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where ``url`` holds secrets, merged: the password after the userinfo's first ``:``,
    and the values of secret query parameters. Both readings are kept when they
    disagree (a raw ``@`` in a ``password=`` value also looks like a userinfo's end)."""
    scheme, userinfo, _ = _split(url)
    spans = []
    if userinfo is not None and ":" in userinfo:
        spans.append((len(scheme) + userinfo.index(":") + 1, len(scheme) + len(userinfo)))
    query = url.find("?", len(scheme))
    if query >= 0:
        for match in re.finditer(r"([^&=?#]+)=([^&]*)", url[query + 1:]):
            if _SECRET_PARAM.search(match.group(1)):
                spans.append((query + 1 + match.start(2), query + 1 + match.end(2)))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def mask_url(url: str) -> str:
    """``url`` with ``***`` for its password and secret query values (for reprs, logs, errors)."""
    url = str(url)
    for begin, end in reversed(_secret_spans(url)):
        url = url[:begin] + "***" + url[end:]
    return url


def url_secrets(url: str) -> list[str]:
    """The password and secret query values of ``url``, raw and percent-decoded."""
    url = str(url)
    found = [url[begin:end] for begin, end in _secret_spans(url)]
    if (userinfo := _split(url)[1]) and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    found += [piece for secret in list(found) for piece in re.split(r"[&=]", secret)]
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
