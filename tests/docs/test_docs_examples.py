"""Every fenced ```python block in README.md and docs/ runs as written, each in under 30 s.

Provider examples run with the provider's environment variables pointing at its emulator;
examples of the embedded model run against the real local llama-server (skipped with
LANGCHAIN_COMPAT_NO_LOCAL=1); see ``doc_blocks.py`` for how a block is classified. The
emulator examples the testing page includes (docs/examples/test_with_emulator.py and
test_agent_offline.py) are pytest modules: they run under pytest, and must pass with
nothing skipped.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_blocks import ROOT, SKIP_MARK, Block, all_blocks, blocks

pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")

from langchain_compat.testing import Emulator, emulate

LIMIT = 30.0
EMULATED = ("ektos", "avangenio", "cotomi", "telkom", "openai-compatible")
BLOCKS = all_blocks()


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, Emulator]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(emulate(name, rate_limit=None)) for name in EMULATED}


@pytest.fixture
def provider_env(emulators: dict[str, Emulator], monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> dict[str, Emulator]:
    """Each provider's env vars point at its emulator; the block runs in an empty directory."""
    for emu in emulators.values():
        emu.reset()
        for name, value in emu.env.items():
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return emulators


def _run_module(block: Block, tmp_path: Path) -> str:
    """A block that is a pytest module (or a conftest.py and tests): run it with pytest in a
    fresh process; it must pass with nothing skipped and no warning."""
    for name, code in block.files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "--confcutdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=LIMIT, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
             "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # only the plugins the block names
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and " passed" in out and "skipped" not in out, out
    assert "warning" not in out.splitlines()[-1], out  # e.g. PytestUnknownMarkWarning
    return out


def _run_local(block: Block, tmp_path: Path) -> str:
    """A block of the embedded model: its own process, killed at LIMIT.

    Killing it closes its connection, so llama-server drops the request instead of
    keeping its single slot busy for the next block (a thread could not be stopped).
    """
    script = tmp_path / "example.py"
    script.write_text(block.code, encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=LIMIT, check=False,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.id} still running after {LIMIT:.0f} s (killed)")
    assert proc.returncode == 0, f"{block.id}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def _exec(block: Block) -> str:
    """Run a block in a fresh namespace, in a thread bounded by LIMIT; return what it printed."""
    code = compile(block.code, block.id, "exec")
    printed = io.StringIO()
    failure: list[BaseException] = []

    def target() -> None:
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, {"__name__": "__docs_example__"})  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            failure.append(exc)

    worker = threading.Thread(target=target, name=f"docs-{block.id}", daemon=True)
    worker.start()
    worker.join(LIMIT)
    assert not worker.is_alive(), f"{block.id} still running after {LIMIT:.0f} s"
    if failure:
        raise failure[0]
    return printed.getvalue()


@pytest.mark.parametrize("block", [
    pytest.param(b, id=b.id, marks=pytest.mark.local_llm if b.local else ()) for b in BLOCKS])
def test_block_runs(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if block.skip_reason:
        pytest.skip(f"{block.id}: {block.skip_reason}")
    emulators = request.getfixturevalue("provider_env")
    if block.local:
        request.getfixturevalue("local_llm")
    elif block.replies:  # one list for every emulator, or {provider name: list}
        per = (block.replies if isinstance(block.replies, dict)
               else dict.fromkeys(EMULATED, block.replies))
        for name, replies in per.items():
            emulators[name].script(replies)
    start = time.monotonic()
    if block.is_pytest_module:
        out = _run_module(block, tmp_path)
    elif block.local:
        out = _run_local(block, tmp_path)
    else:
        out = _exec(block)
    seconds = time.monotonic() - start
    print(f"{block.id}: {seconds:.1f} s\n{out}")
    assert seconds < LIMIT, f"{block.id} took {seconds:.1f} s"


def test_every_page_with_code_is_covered() -> None:
    pages = {b.path.name for b in BLOCKS}
    for name in ("README.md", "quickstart.md", "local.md", "testing.md", "embeddings.md"):
        assert name in pages, name
    assert len(BLOCKS) >= 30


def test_skipped_blocks_are_rare_and_say_why() -> None:
    skipped = [b for b in BLOCKS if b.skip_reason]
    assert len(skipped) <= 3, [b.id for b in skipped]
    for b in skipped:
        assert SKIP_MARK in b.code  # the reader sees the same line


def test_readme_shows_the_offline_route() -> None:
    readme = blocks(ROOT / "README.md")
    assert any("langchain_compat.testing" in b.code and "emu.env" in b.code for b in readme)
    assert any("ChatLocal" in b.code and "max_tokens" in b.code for b in readme)
    for b in readme:  # the README's examples define what they use
        for name in ("get_weather", "Person"):
            if name in b.code:
                assert f"def {name}" in b.code or f"class {name}" in b.code, (b.id, name)


@pytest.mark.parametrize("name", ["test_with_emulator.py", "test_agent_offline.py"])
def test_testing_page_inlines_the_example(name: str) -> None:
    """The page shows the file itself (readable on GitHub), and it is current (test_generated)."""
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    assert f"<!-- generated: example docs/examples/{name} -->" in page
    assert (ROOT / "docs" / "examples" / name).read_text(encoding="utf-8").strip() in page
    assert "--8<--" not in page
