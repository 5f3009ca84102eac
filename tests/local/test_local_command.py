"""The llama-server command line and our chat template, without starting a server.

The template is rendered with Jinja2 (the same language llama-server's
``--jinja`` engine runs) to check the shapes llama-server's template analysis
relies on: tools in a ``<tools>`` block, each assistant call as one JSON line
``{"name": ..., "arguments": {...}}`` (what the model writes), tool results as
``<tool_response>`` blocks in one user turn.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_compat.local import MODELS, LocalBackendError
from langchain_compat.local.cache import CACHE_ENV
from langchain_compat.local.command import (
    MODEL_DEFAULT,
    packaged_template,
    resolve_template,
    server_command,
)
from langchain_compat.local.server import _Launch

jinja2 = pytest.importorskip("jinja2")

QWEN = MODELS["qwen2.5-coder-0.5b-instruct"]
SMOL = MODELS["smollm2-135m-instruct"]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


def _render(messages: list[dict], tools: list[dict] | None = None) -> str:
    env = jinja2.Environment()
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    template = env.from_string(packaged_template("qwen_hermes.jinja"))
    return template.render(messages=messages, tools=tools, add_generation_prompt=True)


def test_tools_are_listed_in_a_tools_block_of_the_system_turn() -> None:
    out = _render([{"role": "user", "content": "Weather in Paris?"}], TOOLS)
    system = out.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nYou are a helpful assistant.")
    block = system.split("<tools>\n", 1)[1].split("\n</tools>")[0]
    assert json.loads(block) == TOOLS[0]
    assert ("one per line:\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
            in system)
    assert out.endswith("<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n")


def test_without_tools_it_is_plain_chatml_with_the_callers_system_prompt() -> None:
    out = _render([{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}])
    assert out == ("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                   "<|im_start|>assistant\n")


@pytest.mark.parametrize("arguments", ['{"city": "Paris"}', {"city": "Paris"}])
def test_calls_are_json_lines_and_results_tool_responses(arguments: object) -> None:
    call = {"id": "c1", "type": "function",
            "function": {"name": "get_weather", "arguments": arguments}}
    out = _render([
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "Paris: 18 C"},
        {"role": "tool", "tool_call_id": "c2", "content": "Rome: 27 C"},
        {"role": "assistant", "content": "18 and 27."},
    ], TOOLS)
    turns = out.split("<|im_start|>")
    assert turns[3] == ('assistant\n{"name": "get_weather", "arguments": {"city": "Paris"}}'
                        "<|im_end|>\n")
    # the 0.5B model never writes the tag: the template must not use it
    assert "<tool_call>" not in out
    # consecutive tool results share one user turn
    assert turns[4] == ("user\n<tool_response>\nParis: 18 C\n</tool_response>\n"
                        "<tool_response>\nRome: 27 C\n</tool_response><|im_end|>\n")
    assert turns[5] == "assistant\n18 and 27.<|im_end|>\n"


def test_qwen_is_started_with_our_template_and_sampling(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    cmd = _Launch(extra_args=("--temp", "0.2")).command(Path("llama-server"), Path("m.gguf"),
                                                        QWEN, 8089)
    template = Path(cmd[cmd.index("--chat-template-file") + 1])
    assert template.parent == tmp_path / "templates"
    assert template.read_text() == packaged_template(QWEN.chat_template)
    assert "--jinja" in cmd and cmd[cmd.index("--repeat-penalty") + 1] == "1.1"
    assert cmd[-2:] == ["--temp", "0.2"]  # extra args come last, so they override
    plain = _Launch(chat_template=None, sampling={}).command(Path("llama-server"), Path("m.gguf"),
                                                             QWEN, 8089)
    assert "--chat-template-file" not in plain and "--repeat-penalty" not in plain
    assert "--chat-template-file" not in _Launch(jinja=False).command(Path("s"), Path("m"), QWEN, 1)
    # a model without a template of ours keeps its GGUF template
    assert "--chat-template-file" not in _Launch().command(Path("s"), Path("m"), SMOL, 1)


def test_resolve_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = resolve_template(MODEL_DEFAULT, QWEN)
    assert first is not None and first == resolve_template("qwen_hermes.jinja", QWEN)
    assert resolve_template(None, QWEN) is None
    own = tmp_path / "mine.jinja"
    own.write_text("{{ messages }}")
    assert resolve_template(own, QWEN) == own
    with pytest.raises(LocalBackendError, match="qwen_hermes.jinja"):
        resolve_template("nope.jinja", QWEN)
    with pytest.raises(LocalBackendError, match="does not exist"):
        resolve_template(str(tmp_path / "missing" / "t.jinja"), QWEN)


def test_server_command_sampling_flags() -> None:
    cmd = server_command(Path("s"), Path("m"), QWEN, host="127.0.0.1", port=1, ctx=None, threads=1,
                         parallel=1, embeddings=False, jinja=True, template=None,
                         sampling={"repeat-penalty": 1.1, "top-k": 20})
    assert cmd[cmd.index("-c") + 1] == "4096"
    assert cmd[-4:] == ["--repeat-penalty", "1.1", "--top-k", "20"]


def test_ensure_server_options_are_the_start_server_ones() -> None:
    opts = _Launch.from_kwargs(1024, {"threads": 1, "extra_args": ["-x"], "chat_template": None,
                                      "sampling": {}})
    assert opts.ctx == 1024 and opts.extra_args == ("-x",) and opts.chat_template is None
    with pytest.raises(TypeError, match="bogus"):
        _Launch.from_kwargs(1024, {"bogus": 1})
