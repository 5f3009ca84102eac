"""``langchain-compat local ...`` end to end on a spare port."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from langchain_compat.cli import main as top_main
from langchain_compat.local import free_port, server_status
from langchain_compat.local.cache import run_dir
from langchain_compat.local.cli import _template_options, add_arguments, main

pytestmark = pytest.mark.skipif(
    os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1", reason="LANGCHAIN_COMPAT_NO_LOCAL=1"
)


def test_up_status_down(capsys: pytest.CaptureFixture[str]) -> None:
    port = str(free_port())
    assert main(["status", "--port", port]) == 3
    assert "running:      no" in capsys.readouterr().out
    try:
        assert main(["up", "--port", port, "--ctx", "1024", "--threads", "1"]) == 0
        assert "started: http://127.0.0.1:" in capsys.readouterr().out
        assert main(["up", "--port", port]) == 0
        assert "already running" in capsys.readouterr().out
        assert main(["status", "--port", port, "--json"]) == 0
        assert '"healthy": true' in capsys.readouterr().out
        cmd = json.loads((run_dir() / f"server-{port}.json").read_text())["cmd"]
        assert "--chat-template-file" in cmd and "--repeat-penalty" in cmd  # ours by default
    finally:
        assert main(["down", "--port", port]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not server_status(int(port)).running


def test_install_with_warm_cache_is_quick(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "--no-build"]) == 0
    assert "ready:" in capsys.readouterr().out


def test_errors_are_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert main(["up", "--port", str(sock.getsockname()[1])]) == 1
    assert "error:" in capsys.readouterr().err


def test_routed_from_top_level_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert top_main(["local", "status", "--port", str(free_port())]) == 3
    assert "llama-server:" in capsys.readouterr().out


def test_no_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2


@pytest.mark.parametrize(("argv", "expected"), [
    ([], {}),
    (["--chat-template", "gguf", "--no-sampling-defaults"],
     {"chat_template": None, "sampling": {}}),
    (["--chat-template", "/tmp/t.jinja"], {"chat_template": "/tmp/t.jinja"}),
])
def test_up_template_options(argv: list[str], expected: dict[str, object]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert _template_options(parser.parse_args(["up", *argv])) == expected
