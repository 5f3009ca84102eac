"""Provider registry: connection facts for each supported provider.

Each provider is a small module of facts (base URL, auth, env vars, models)
plus a :class:`~langchain_compat.profiles.Profile`. Add a provider by writing
one such module and registering it in ``PROVIDERS``.
"""

from __future__ import annotations

from langchain_compat.errors import ConfigurationError
from langchain_compat.providers.avangenio import AVANGENIO
from langchain_compat.providers.base import BEARER, NO_AUTH, AuthScheme, Provider
from langchain_compat.providers.cotomi import COTOMI
from langchain_compat.providers.ektos import EKTOS
from langchain_compat.providers.generic import GENERIC
from langchain_compat.providers.local import LOCAL
from langchain_compat.providers.telkom import TELKOM

__all__ = [
    "AVANGENIO",
    "BEARER",
    "COTOMI",
    "EKTOS",
    "GENERIC",
    "LOCAL",
    "NO_AUTH",
    "PROVIDERS",
    "TELKOM",
    "AuthScheme",
    "Provider",
    "get_provider",
]

PROVIDERS: dict[str, Provider] = {
    p.name: p for p in (EKTOS, AVANGENIO, COTOMI, TELKOM, GENERIC, LOCAL)
}


def get_provider(name: str) -> Provider:
    """Look a provider up by name.

    Raises:
        ConfigurationError: unknown name (the message lists the known ones).
    """
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigurationError(f"Unknown provider {name!r}; known providers: {known}.") from None
