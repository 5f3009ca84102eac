"""Shared helpers for the emulator tests (plain httpx against the emulator)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_compat.testing.pytest_plugin import emulator  # noqa: F401 (fixture under test)

#: One client for the helpers (creating an httpx client per call costs ~50 ms of SSL setup).
CLIENT = httpx.Client(timeout=10)


def chat_body(text: str = "hello world", model: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": text}], **extra}
    body["model"] = model or "emulator-model"
    return body


def post_chat(emu, text: str = "hello world", *, headers=None, **extra: Any) -> httpx.Response:
    body = chat_body(text, model=extra.pop("model", None) or emu.provider.default_model, **extra)
    return CLIENT.post(
        emu.chat_url, headers=emu.headers if headers is None else headers, json=body, timeout=10
    )


def stream_events(emu, text: str = "hello world", **extra: Any) -> list[str]:
    """The ``data:`` payloads of a streamed chat request."""
    body = chat_body(
        text, model=extra.pop("model", None) or emu.provider.default_model, stream=True, **extra
    )
    with CLIENT.stream("POST", emu.chat_url, headers=emu.headers, json=body, timeout=10) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        return [line[6:] for line in r.iter_lines() if line.startswith("data: ")]


def stream_chunks(emu, text: str = "hello world", **extra: Any) -> list[dict[str, Any]]:
    data = stream_events(emu, text, **extra)
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def assemble(
    chunks: list[dict[str, Any]], index: int = 0
) -> tuple[str, list[dict[str, str]], str | None]:
    """(content, tool calls, finish_reason) of choice ``index`` rebuilt from chunks."""
    content, calls, finish = "", {}, None
    for chunk in chunks:
        for choice in chunk["choices"]:
            if choice["index"] != index:
                continue
            delta = choice["delta"]
            content += delta.get("content") or ""
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc["index"], {"id": "", "name": "", "arguments": ""})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            finish = choice["finish_reason"] or finish
    return content, [calls[k] for k in sorted(calls)], finish


@pytest.fixture(autouse=True)
def _no_server_errors(caplog):
    """Fail a test if uvicorn logged an error (an exception escaping the app)."""
    yield
    errors = [
        r for r in caplog.get_records("call") if r.name.startswith("uvicorn") and r.levelno >= 40
    ]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
def cotomi(emulator):  # noqa: F811
    return emulator("cotomi")


@pytest.fixture
def telkom(emulator):  # noqa: F811
    return emulator("telkom", rate_limit=None)
