"""recipes/quickstart.ipynb runs top to bottom (nbclient), quickly, and its cells produce
what the notebook says they do: first against the provider emulator, then against the real
embedded model (the cells tagged ``real-model``; dropped only when
LANGCHAIN_COMPAT_NO_LOCAL=1). The notebook is committed with the outputs of a real run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs nbformat (dev extra)")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient (dev extra)")
pytest.importorskip("ipykernel", reason="needs ipykernel (dev extra) to run a Python kernel")
pytest.importorskip("uvicorn", reason="the emulator needs the 'testing' extra")
pytest.importorskip("langgraph.checkpoint.sqlite", reason="memory cells need the 'memory' extra")

NOTEBOOK = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.ipynb"
REAL_TAG = "real-model"
NO_LOCAL = os.environ.get("LANGCHAIN_COMPAT_NO_LOCAL") == "1"


def _real(cell) -> bool:
    return REAL_TAG in cell.get("metadata", {}).get("tags", [])


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
             ) -> tuple[object, float]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if NO_LOCAL:
        nb.cells = [c for c in nb.cells if not _real(c)]
    else:
        request.getfixturevalue("local_llm")  # the real llama-server, up before the clock starts
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


def test_notebook_is_committed_with_the_real_model_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    real = [c for c in nb.cells if c.cell_type == "code" and _real(c)]
    assert len(real) >= 3
    assert all(c.get("outputs") for c in real), "run the notebook and save it with its outputs"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    stored = "".join(_text(o) for c in real for o in c.outputs)
    for line in ("tool_calls: [('get_weather'", "structured: ", "greeting -> ", "apples -> "):
        assert line in stored, line
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for fact in ("0.5-billion-parameter", "cannot do", "ChatOpenAICompatible(base_url=",
                 "ChatCotomi(model="):
        assert fact in text, fact


@pytest.mark.skipif(NO_LOCAL,
                    reason="LANGCHAIN_COMPAT_NO_LOCAL=1: the real-model cells are dropped")
def test_real_model_cells(executed) -> None:
    nb, _ = executed
    calls = output_of(nb, 'real.bind_tools([get_weather]).invoke("What\'s the weather in Tokyo?")')
    assert "tool_calls: [('get_weather'" in calls and "structured: " in calls
    limits = output_of(nb, "greeting = ")
    assert "greeting -> " in limits and "apples -> " in limits


@pytest.mark.local_llm  # `executed` runs the notebook on the real llama-server
def test_runs_quickly_without_errors(executed) -> None:
    nb, seconds = executed
    errors = [_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    assert seconds < 60, f"the notebook took {seconds:.1f} s"


@pytest.mark.local_llm  # `executed` runs the notebook on the real llama-server
def test_chat_and_stream(executed) -> None:
    nb, _ = executed
    chat = output_of(nb, 'llm.invoke("Hello, who are you?")')
    assert "Hello! I am an emulated cotomi model." in chat
    assert "Bearer ***" in output_of(nb, "last.headers")
    streamed = output_of(nb, 'llm.stream("Tell me about streaming.")')
    assert "'Tokens'" in streamed and "' arrive'" in streamed


@pytest.mark.local_llm  # `executed` runs the notebook on the real llama-server
def test_emulated_tool_calls(executed) -> None:
    nb, _ = executed
    assert "tool_calls: [('get_weather', {'city': 'Tokyo'})]" in output_of(nb, "def get_weather")
    wire = output_of(nb, "'tools' sent on the wire")
    assert "'tools' sent on the wire: False" in wire and "<tools>" in wire
    streamed = output_of(nb, "streamed tool_calls")
    assert "text: Let me check." in streamed
    assert "streamed tool_calls: [('get_weather', {'city': 'Lisbon'})]" in streamed


@pytest.mark.local_llm  # `executed` runs the notebook on the real llama-server
def test_structured_output(executed) -> None:
    nb, _ = executed
    out = output_of(nb, "class Person")
    assert "Person(name='Anna', age=31)" in out
    assert "Person(name='Budi', age=42)" in out


@pytest.mark.local_llm  # `executed` runs the notebook on the real llama-server
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
