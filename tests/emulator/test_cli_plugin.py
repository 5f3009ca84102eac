"""The ``langchain-compat emulate`` CLI and the pytest plugin, as users run them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from langchain_compat.testing import emulate


def _start_cli(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "langchain_compat.cli", "emulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Ctrl-C" in line:
            return proc, lines
    proc.kill()
    raise AssertionError(f"CLI did not start: {lines} {proc.stderr.read()}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_telkom_then_stops(sig):
    proc, lines = _start_cli(
        "--provider", "telkom", "--port", "0", "--key", "cli-key-123", "--latency", "0.2"
    )
    try:
        base_url = re.search(r"at (http://\S+)", lines[0]).group(1)
        assert base_url.endswith("/Telkom-LLM/0.0.4")
        assert "export TELKOM_API_KEY=cli-key-123" in lines
        body = {"model": "telkom-ai-instruct", "messages": [{"role": "user", "content": "hi"}]}
        start = time.monotonic()
        r = httpx.post(
            base_url + "/chat/completions", headers={"x-api-key": "cli-key-123"}, json=body
        )
        assert time.monotonic() - start >= 0.2
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "Echo: hi"
        bearer = httpx.post(
            base_url + "/chat/completions",
            headers={"Authorization": "Bearer cli-key-123"},
            json=body,
        )
        assert bearer.status_code == 401
    finally:
        proc.send_signal(sig)
        assert proc.wait(10) == 0
    assert "Emulator stopped." in proc.stdout.read()


def test_cli_fixed_port_rate_limit_and_proxy():
    with emulate("openai-compatible", strict_models=False) as upstream:
        probe = emulate("cotomi").start()
        port = probe.port
        probe.stop()
        proc, lines = _start_cli(
            "--provider",
            "cotomi",
            "--port",
            str(port),
            "--key",
            "k-cli-4567",
            "--proxy",
            upstream.base_url,
            "--rate-limit",
            "1",
            "--rate-window",
            "30",
        )
        try:
            assert f"http://127.0.0.1:{port}/v1" in lines[0]
            url = f"http://127.0.0.1:{port}/v1/chat/completions"
            body = {
                "model": "cotomi-fast-v2.0",
                "messages": [{"role": "user", "content": "via proxy"}],
            }
            headers = {"Authorization": "Bearer k-cli-4567"}
            assert (
                httpx.post(url, headers=headers, json=body).json()["choices"][0]["message"][
                    "content"
                ]
                == "Echo: via proxy"
            )
            assert upstream.last_request.body["messages"][0]["content"] == "via proxy"
            assert httpx.post(url, headers=headers, json=body).status_code == 429
        finally:
            proc.terminate()
            assert proc.wait(10) == 0


def test_cli_unknown_provider():
    proc = subprocess.run(
        [sys.executable, "-m", "langchain_compat.cli", "emulate", "--provider", "nope"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "nope" in proc.stderr and "cotomi" in proc.stderr


def test_pytest_plugin_via_pytest_plugins(tmp_path):
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["langchain_compat.testing.pytest_plugin"]\n'
    )
    (tmp_path / "test_app.py").write_text(
        textwrap.dedent("""
        import httpx

        def test_uses_emulator(emulator, monkeypatch):
            emu = emulator("cotomi")
            emu.script(["scripted hello"])
            for name, value in emu.env.items():
                monkeypatch.setenv(name, value)
            body = {"model": "cotomi-fast-v2.0", "messages": [{"role": "user", "content": "x"}]}
            r = httpx.post(emu.chat_url, headers=emu.headers, json=body)
            assert r.json()["choices"][0]["message"]["content"] == "scripted hello"
            assert len(emu.requests) == 1

        def test_two_emulators(emulator):
            a, b = emulator("telkom"), emulator("avangenio")
            assert a.port != b.port
    """)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only what conftest.py asks for
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
