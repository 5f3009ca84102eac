"""recipes/quickstart.ipynb runs top to bottom against the provider emulator (nbclient),
quickly, and its cells produce what the notebook says they do."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs nbformat (dev extra)")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient (dev extra)")
pytest.importorskip("ipykernel", reason="needs ipykernel (dev extra) to run a Python kernel")
pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")
pytest.importorskip("langgraph.checkpoint.sqlite", reason="memory cells need the 'memory' extra")

NOTEBOOK = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.ipynb"


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, float]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
    )
    start = time.monotonic()
    client.execute()
    return nb, time.monotonic() - start


def output_of(nb, snippet: str) -> str:
    """Everything printed by the first code cell whose source contains ``snippet``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and snippet in cell.source:
            return "".join(_text(o) for o in cell.outputs)
    raise AssertionError(f"no code cell contains {snippet!r}")


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_runs_quickly_without_errors(executed) -> None:
    nb, seconds = executed
    errors = [_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    assert seconds < 60, f"the notebook took {seconds:.1f} s"


def test_chat_and_stream(executed) -> None:
    nb, _ = executed
    chat = output_of(nb, 'llm.invoke("Hello, who are you?")')
    assert "Hello! I am an emulated cotomi model." in chat
    assert "Bearer ***" in output_of(nb, "last.headers")
    streamed = output_of(nb, 'llm.stream("Tell me about streaming.")')
    assert "'Tokens'" in streamed and "' arrive'" in streamed


def test_emulated_tool_calls(executed) -> None:
    nb, _ = executed
    assert "tool_calls: [('get_weather', {'city': 'Tokyo'})]" in output_of(nb, "def get_weather")
    wire = output_of(nb, "'tools' sent on the wire")
    assert "'tools' sent on the wire: False" in wire and "<tools>" in wire
    streamed = output_of(nb, "streamed tool_calls")
    assert "text: Let me check." in streamed
    assert "streamed tool_calls: [('get_weather', {'city': 'Lisbon'})]" in streamed


def test_structured_output(executed) -> None:
    nb, _ = executed
    out = output_of(nb, "class Person")
    assert "Person(name='Anna', age=31)" in out
    assert "Person(name='Budi', age=42)" in out


def test_memory(executed) -> None:
    nb, _ = executed
    trimmed = output_of(nb, "trim_to_window(history, max_tokens=500)")
    assert "102 messages" in trimmed and "-> 6 messages" in trimmed
    agent = output_of(nb, "create_agent(")
    assert "assistant: Your name is Ada." in agent          # the first turn was replayed
    assert "assistant: It is sunny in Lisbon, 24 °C." in agent
    assert "8 messages stored" in output_of(nb, "agent.get_state(config)")
    replay = output_of(nb, 'emu.last_request.body["messages"][-2:]')
    assert "user -> <tool_response" in replay
