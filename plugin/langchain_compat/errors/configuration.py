"""Errors found before any request: settings, keys, URLs, parameters (see ``errors``)."""

from __future__ import annotations


class CompatError(Exception):
    """Base class of every exception raised by langchain-compat."""


class ConfigurationError(CompatError, ValueError):
    """Invalid configuration detected before any request was sent."""


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the provider's key env var is not set."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        hint = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(
            f"No API key for {provider}: {hint}pass api_key=... to the constructor."
        )


class MissingBaseURLError(ConfigurationError):
    """No base URL was given and the provider has no public default."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        hint = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(
            f"No base URL for {provider}: {hint}pass base_url=... "
            "(the provider publishes no default endpoint)."
        )


class ModelNotServedError(ConfigurationError):
    """The server lists the models it serves and the one asked for is not among them.

    Raised before the first chat request to a server whose profile sets ``served_models_check``
    (llama-server would answer any model name with its own model).

    Attributes:
        model: the model asked for.
        served: the models the server lists.
        base_url: the server's base URL.
    """

    def __init__(self, model: str, served: tuple[str, ...], *, base_url: str,
                 provider: str | None = None) -> None:
        self.model, self.served, self.base_url, self.provider = model, served, base_url, provider
        names = ", ".join(repr(m) for m in served)
        super().__init__(
            f"{provider + ': ' if provider else ''}the server at {base_url} serves {names}, "
            f"not {model!r}: pass model={served[0]!r} (or leave model= out), or start a server "
            f"that serves {model!r} (`langchain-compat local up --model NAME` for the "
            "embedded backend's models) and point base_url at it.")


class InvalidParameterError(ConfigurationError):
    """A parameter value is out of range or of the wrong type."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"Invalid value for {param!r}: {message}")


class UnsupportedParameterError(InvalidParameterError):
    """The provider does not accept this parameter at all."""

    def __init__(self, param: str, provider: str, hint: str = "") -> None:
        self.provider = provider
        msg = f"{provider} does not support this parameter"
        if hint:
            msg += f"; {hint}"
        super().__init__(param, msg)


class ServerFeatureError(UnsupportedParameterError):
    """A feature of llama.cpp's llama-server (its own request fields such as ``top_k``,
    ``/props``) asked of a server that is not llama-server.

    Attributes:
        param: the field or method asked for.
        provider: the provider the model talks to.
    """

    def __init__(self, param: str, provider: str, hint: str) -> None:
        self.param = param
        self.provider = provider
        ConfigurationError.__init__(
            self, f"{param}: {provider} is not llama.cpp's llama-server; {hint}")


class InvalidCredentialError(InvalidParameterError):
    """An API key, header or base URL that cannot travel safely (bad characters, userinfo).

    The message names the setting and what is wrong, never the secret itself.
    """


for _cls in (
        ServerFeatureError,
        CompatError, ConfigurationError, MissingAPIKeyError, MissingBaseURLError,
        ModelNotServedError, InvalidParameterError, UnsupportedParameterError,
        InvalidCredentialError,
):
    _cls.__module__ = "langchain_compat.errors"  # pickles and reprs name the public module
