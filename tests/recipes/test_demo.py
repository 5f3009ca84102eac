"""The main job (README command 1) on the real local model: the three scripted turns.

``recipes/demo_chat.py`` is what ``bash scripts/demo.sh`` runs after bootstrapping. The
test runs it as a user would, in a fresh process with a fresh SQLite session, against the
real llama-server, and checks the three facts the demo exists to show: the greeting is
answered without a tool call, 1234 * 5678 = 7006652 comes from the calculator, and the
memory turn names Ada and Lisbon.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "recipes" / "demo_chat.py"


def _turns(output: str) -> list[str]:
    """The assistant's part of each turn (text after ``assistant>`` up to the next ``you>``)."""
    parts = re.split(r"^you> .*$", output, flags=re.MULTILINE)[1:]
    return [p.split("assistant>", 1)[1] if "assistant>" in p else p for p in parts]


@pytest.mark.local_llm
@pytest.mark.flaky(reruns=1)
def test_the_demo_gets_the_three_scripted_turns_right(local_llm, tmp_path: Path) -> None:
    env = {**os.environ, "LANGCHAIN_COMPAT_LOCAL_BASE_URL": local_llm.base_url}
    done = subprocess.run(
        [sys.executable, str(DEMO), "--fresh", "--db", str(tmp_path / "demo.sqlite")],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )
    print(done.stdout)  # shown with -s / on failure: the real transcript
    assert done.returncode == 0, done.stderr[-2000:]
    greeting, arithmetic, memory = _turns(done.stdout)
    assert "[calls" not in greeting and greeting.strip()
    assert arithmetic.count("[calls calculator(") == 1  # one call, not the result re-computed
    assert "[calculator -> 7006652]" in arithmetic
    assert "[calls" not in memory  # a question about the conversation needs no tool
    final = arithmetic.rsplit("]", 1)[-1]
    assert "7006652" in final.replace(",", "").replace(" ", "")
    answer = memory.rsplit("]", 1)[-1]
    assert "Ada" in answer and "Lisbon" in answer
    assert "messages kept in" in done.stdout


def _demo_without_turns(port: int, db: Path) -> subprocess.CompletedProcess[str]:
    """The demo in interactive mode, told ``/exit`` at once: start (or reuse), then leave."""
    env = {k: v for k, v in os.environ.items() if k != "LANGCHAIN_COMPAT_LOCAL_BASE_URL"}
    return subprocess.run(
        [sys.executable, str(DEMO), "-i", "--port", str(port), "--db", str(db)],
        input="/exit\n", capture_output=True, text=True, timeout=300, env=env, check=False,
    )


@pytest.mark.local_llm
def test_the_demo_stops_the_llama_server_it_started(local_llm, tmp_path: Path) -> None:
    from langchain_compat.local import free_port, port_is_open
    from langchain_compat.local.process import pid_alive
    from langchain_compat.local.state import read_state

    port = free_port()
    done = _demo_without_turns(port, tmp_path / "demo.sqlite")
    assert done.returncode == 0, done.stderr[-2000:]
    said = re.search(r"\(stopped the llama-server \(pid (\d+), port (\d+)\) this demo started",
                     done.stdout)
    assert said, done.stdout
    assert int(said.group(2)) == port
    assert not pid_alive(int(said.group(1)))
    assert not port_is_open(port)
    assert read_state(port) is None


@pytest.mark.local_llm
def test_the_demo_leaves_a_server_it_found_running(local_llm, tmp_path: Path) -> None:
    done = _demo_without_turns(local_llm.port, tmp_path / "demo.sqlite")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"(llama-server (pid {local_llm.pid}, port {local_llm.port}) was already running: " \
           "left running;" in done.stdout, done.stdout
    assert f"local down --port {local_llm.port} --any" in done.stdout
    assert local_llm.is_healthy()
