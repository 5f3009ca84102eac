"""Connection facts shared by every provider: auth scheme and the Provider record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from langchain_compat.profiles import Profile, family_changes

__all__ = ["BEARER", "NO_AUTH", "AuthScheme", "Provider"]


@dataclass(frozen=True, slots=True)
class AuthScheme:
    """How the API key travels: ``{header}: {prefix}{key}``.

    ``header=None`` means no authentication (local servers).
    """

    header: str | None = "Authorization"
    prefix: str = "Bearer "

    def headers(self, api_key: str | None) -> dict[str, str]:
        """The auth headers for ``api_key`` (empty without a key or a header)."""
        if not self.header or not api_key:
            return {}
        return {self.header: f"{self.prefix}{api_key}"}


    def override(self, header: str | None, prefix: str | None) -> AuthScheme:
        """This scheme with a user's ``auth_header``/``auth_prefix`` applied.

        ``header=None`` keeps ours, ``""`` disables auth; the prefix defaults to
        ``"Bearer "`` for an Authorization header and nothing otherwise.
        """
        if header is None and prefix is None:
            return self
        name = self.header if header is None else (header or None)
        if prefix is None:
            prefix = "Bearer " if (name or "").lower() == "authorization" else ""
        return AuthScheme(header=name, prefix=prefix)


BEARER = AuthScheme()
NO_AUTH = AuthScheme(header=None, prefix="")


@dataclass(frozen=True, slots=True)
class Provider:
    """Facts about one provider, read from its public documentation.

    Attributes:
        name: short id (``"cotomi"``), used by the CLI and the emulator.
        display_name: human name for messages.
        ls_provider: ``ls_provider`` reported to LangSmith.
        base_url: public default base URL, or None when there is none.
        base_url_env, api_key_env: environment variables read when the
            constructor is not given ``base_url`` / ``api_key``.
        auth: how the key is sent.
        requires_api_key: whether a missing key is an error.
        default_model: model used when none is given.
        models: chat models the docs name.
        embedding_models: embedding models the docs name.
        profile: the provider-wide profile.
        model_profiles: per-model changes applied on top of ``profile`` (and
            of the model family's, see :data:`~langchain_compat.profiles.MODEL_FAMILIES`).
        chat_path, embeddings_path: paths appended to the base URL.
        docs: where the facts come from.
        start_command: the command that starts this provider's server on this machine
            (the embedded backend's ``langchain-compat local up``), named in connection
            errors; None for a hosted API.
    """

    name: str
    display_name: str
    ls_provider: str
    base_url: str | None
    base_url_env: str | None
    api_key_env: str | None
    auth: AuthScheme = BEARER
    requires_api_key: bool = True
    default_model: str | None = None
    models: tuple[str, ...] = ()
    embedding_models: tuple[str, ...] = ()
    profile: Profile = field(default_factory=Profile)
    model_profiles: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    chat_path: str = "/chat/completions"
    embeddings_path: str = "/embeddings"
    docs: str = ""
    start_command: str | None = None

    def profile_for(self, model: str | None) -> Profile:
        """The profile of ``model``: the provider's, then its family's facts, then its own."""
        changes = {**family_changes(model), **self.model_profiles.get(model or "", {})}
        return self.profile.replace(**changes) if changes else self.profile
