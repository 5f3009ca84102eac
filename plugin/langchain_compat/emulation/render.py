"""Render tools into the prompt and rewrite tool history for backends without native tools.

The format the model is asked in is a profile fact (``Profile.tool_format``; the
writers are in ``formats/``): by default Hermes/Qwen (``<tool_call>{"name",
"arguments"}</tool_call>``), which most open models were trained on. Earlier calls and
results are shown in that same format so the model imitates its own history.
``parser.py`` reads many more formats than we ask for.
"""

from __future__ import annotations

import copy
import json
import string
from typing import Any

from langchain_compat.core.messages import content_text
from langchain_compat.emulation.formats import writer
from langchain_compat.emulation.formats.hermes import WRITER as HERMES
from langchain_compat.emulation.formats.writer import Writer, arguments_json
from langchain_compat.emulation.schema import resolve_ref

__all__ = [
    "DEFAULT_TOOL_TEMPLATE",
    "call_skeleton",
    "emulate_messages",
    "emulate_request",
    "is_placeholder",
    "normalize_tool_choice",
    "render_tool_prompt",
    "replay_tool_history",
]

#: The default system-prompt block (the Hermes writer's). Placeholders: ``$tools`` (the tool
#: catalogue, one JSON object per line) and ``$choice`` (the instruction for ``tool_choice``).
#: A custom template (``Profile.tool_prompt``) may use ``string.Template`` style
#: (``$tools``/``${tools}``) or ``{tools}``/``{choice}``; the latter are replaced literally, so
#: other braces in a template need no escaping.
DEFAULT_TOOL_TEMPLATE = HERMES.template

# A filled-in shape of the one call a forced choice wants. Measured on Qwen2.5-0.5B with
# with_structured_output's Joke schema: 12/12 replies were calls with it, 6/12 without.
_SHAPE = " Reply in exactly this shape, with real values in place of the placeholders:\n"
_ONE_CALL = " Make at most one function call per reply."
_REMOVED_KEYS = ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call")


def normalize_tool_choice(tool_choice: Any, tools: list[dict]) -> tuple[str, str | None]:
    """Reduce every spelling of ``tool_choice`` to ``(mode, name)``.

    Args:
        tool_choice: ``None``/``"auto"``, ``"none"``, ``"required"``/``"any"``/``True``,
            a tool name, ``{"type": "function", "function": {"name": ...}}`` or
            ``{"type": "auto"|"any"|"none"|"tool", "name": ...}``.
        tools: The OpenAI-format tools (to check a named choice).

    Returns:
        ``("auto"|"none"|"required", None)`` or ``("named", tool_name)``.

    Raises:
        ValueError: For an unknown spelling or a name that is not among ``tools``.
    """
    if tool_choice is None or tool_choice is False or tool_choice == "auto":
        return "auto", None
    if tool_choice is True or tool_choice in ("required", "any"):
        return "required", None
    if tool_choice == "none":
        return "none", None
    name: Any = tool_choice
    if isinstance(tool_choice, dict):
        kind = tool_choice.get("type")
        if kind in ("auto", "none", "any", "required") and "name" not in tool_choice:
            return normalize_tool_choice(kind, tools)
        fn = tool_choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else tool_choice.get("name")
    names = [_tool_fn(t).get("name") for t in tools]
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"tool_choice {tool_choice!r} names no bound tool; bound: {names}")
    return "named", name


def _tool_fn(tool: dict) -> dict:
    fn = tool.get("function", tool)
    return fn if isinstance(fn, dict) else {}


def render_tool_prompt(tools: list[dict], tool_choice: Any = None, *,
                       template: str | None = None, parallel: bool = True,
                       fmt: str = "hermes") -> str:
    """The system-prompt block describing ``tools`` and how to call them.

    Args:
        tools: OpenAI-format tools.
        tool_choice: As for ``normalize_tool_choice``.
        template: Overrides the format's template (same placeholders).
        parallel: ``False`` adds "at most one call per reply".
        fmt: the format the model is asked to call in (``Profile.tool_format``).

    Returns:
        The block ("" when ``tool_choice`` is ``"none"`` or there are no tools).
    """
    mode, name = normalize_tool_choice(tool_choice, tools)
    if mode == "none" or not tools:
        return ""
    out = writer(fmt)
    shown = [t for t in tools if mode != "named" or _tool_fn(t).get("name") == name]
    catalogue = "\n".join(json.dumps({"type": "function", "function": _tool_fn(t)},
                                     ensure_ascii=False) for t in shown)
    choice = out.choice[mode].format(name=name)
    if not out.enforced:  # (a constrained decoder enforces these itself)
        choice += "" if parallel else _ONE_CALL
        if mode == "named" or (mode == "required" and len(shown) == 1):
            choice += _SHAPE + call_skeleton(shown[0], out)
    template = out.template if template is None else template
    if "{tools}" in template and "$tools" not in template and "${tools}" not in template:
        return template.replace("{tools}", catalogue).replace("{choice}", choice)
    return string.Template(template).safe_substitute(tools=catalogue, choice=choice)


_TYPE_PLACEHOLDERS = frozenset({"<integer>", "<number>", "<boolean>", "<value>", "<object>"})


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is one of ``call_skeleton``'s placeholders copied verbatim."""
    v = value.strip()
    return v == "..." or v in _TYPE_PLACEHOLDERS or (v.startswith("<one of:") and v.endswith(">"))


def call_skeleton(tool: dict, out: Writer = HERMES) -> str:
    """A call of ``tool`` with placeholder arguments, written as ``out`` writes calls.

    Strings become ``"..."``, other types ``<integer>``/``<number>``/…, enums
    ``<one of: …>``; objects are spelled out two levels deep. Placeholders that
    are copied verbatim fail validation and are re-asked.
    """
    fn = _tool_fn(tool)
    params = fn.get("parameters") or {}
    args = _placeholder(params, params, 0) if params.get("properties") else "{}"
    return out.call(fn.get("name") or "", args)


def _placeholder(schema: Any, root: dict, depth: int) -> str:
    if not isinstance(schema, dict):
        return "<value>"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        return _placeholder(resolve_ref(ref, root), root, depth + 1) if depth < 4 else "<object>"
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or ()
                   if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return _placeholder(options[0], root, depth)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        values = ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
        return "<one of: " + values + ">"
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    props = schema.get("properties")
    if kind == "object" or isinstance(props, dict):
        if not isinstance(props, dict) or not props or depth >= 2:
            return "{...}"
        required = set(schema.get("required") or ())
        keys = (list(props) if len(props) <= 8
                else [k for k in props if k in required] or list(props)[:8])
        inner = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)}: {_placeholder(props[k], root, depth + 1)}"
            for k in keys)
        return "{" + inner + "}"
    if kind == "array":
        if depth >= 2:
            return "[...]"
        return "[" + _placeholder(schema.get("items"), root, depth + 1) + ", ...]"
    if kind == "string":
        return '"..."'
    return f"<{kind}>" if isinstance(kind, str) else "<value>"


def _text_of(content: Any) -> str:
    """Text of a wire ``content`` (str, None or a list of parts)."""
    return content_text(content)


def _assistant(msg: dict, out: Writer) -> dict:
    calls = [c.get("function", c) for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
    if isinstance(msg.get("function_call"), dict):
        calls.append(msg["function_call"])
    new = {k: v for k, v in msg.items() if k not in ("tool_calls", "function_call")}
    if calls:
        parts = [_text_of(msg.get("content")).strip()]
        parts += [out.call(str(c.get("name") or ""), arguments_json(c.get("arguments")))
                  for c in calls]
        new["content"] = "\n".join(p for p in parts if p)
    elif new.get("content") is None:
        new["content"] = ""
    return new


def _tool_result(msg: dict, names: dict[str, str], failed: bool, out: Writer) -> str:
    call_id = msg.get("tool_call_id")
    name = msg.get("name") or names.get(call_id or "", "")
    return out.result(name, call_id, _text_of(msg.get("content")), failed)


def _merge_user(prev: dict, msg: dict) -> None:
    a, b = prev.get("content"), msg.get("content")
    if isinstance(a, str) and isinstance(b, str):
        prev["content"] = f"{a}\n\n{b}"
        return
    as_parts = [x if isinstance(x, list) else [{"type": "text", "text": _text_of(x)}]
                for x in (a, b)]
    prev["content"] = as_parts[0] + as_parts[1]


def replay_tool_history(messages: list[dict], *, tool_role: bool,
                        failed_ids: frozenset[str] = frozenset(),
                        fmt: str = "hermes") -> list[dict]:
    """Rewrite tool calls and results in history as text the backend accepts.

    Assistant ``tool_calls`` become calls written in the format ``fmt`` (Hermes:
    ``<tool_call>`` text) in the assistant content; tool results are written as that
    format writes them (Hermes: ``<tool_response ...>``, ``status="error"`` marked) in
    ``role: tool`` messages (``tool_role=True``) or in ``role: user`` messages merged with
    neighbouring user messages so roles keep alternating (``tool_role=False``). Unused keys
    (``status``) are removed. The input is not modified.

    Data cannot forge structure: in results, ids and names the opening character of the
    format's own markers is escaped (Hermes: ``<`` of ``tool_call``, ``tool_response`` and
    ``tools`` becomes ``&lt;``; attribute values are JSON-quoted); in replayed arguments it
    is a JSON escape (``\\u003c``).

    Args:
        messages: OpenAI wire messages.
        tool_role: Whether the backend accepts ``role: "tool"`` messages.
        failed_ids: ``tool_call_id``s of results whose tool failed (marked like
            ``status: "error"`` in the input).
        fmt: the tool-call format (``Profile.tool_format``).

    Returns:
        New list of new message dicts.
    """
    out_format = writer(fmt)
    names: dict[str, str] = {}
    out: list[dict] = []
    merged_tool_user = False  # last out message is a user message we built from results
    for original in messages:
        msg = copy.deepcopy(original)
        role = msg.get("role")
        if role == "assistant":
            for c in msg.get("tool_calls") or []:
                if isinstance(c, dict) and c.get("id"):
                    names[c["id"]] = c.get("function", {}).get("name", "")
            out.append(_assistant(msg, out_format))
            merged_tool_user = False
        elif role in ("tool", "function"):
            failed = msg.pop("status", None) == "error" or msg.get("tool_call_id") in failed_ids
            text = _tool_result(msg, names, failed, out_format)
            if tool_role:
                new = {"role": "tool", "content": text}
                new.update({k: msg[k] for k in ("tool_call_id", "name") if msg.get(k)})
                out.append(new)
            elif out and out[-1].get("role") == "user":
                _merge_user(out[-1], {"content": text})
                merged_tool_user = True
            else:
                out.append({"role": "user", "content": text})
                merged_tool_user = True
        elif role == "user" and merged_tool_user and not tool_role:
            _merge_user(out[-1], msg)  # a user turn right after results: one user message
        else:
            out.append(msg)
            merged_tool_user = False
    return out


def emulate_messages(messages: list[dict] | str | None, tools: list[dict], tool_choice: Any, *,
                     tool_role: bool, template: str | None = None, parallel: bool = True,
                     failed_ids: frozenset[str] = frozenset(), fmt: str = "hermes") -> list[dict]:
    """The wire messages of a plain chat request that offers ``tools`` in the prompt.

    Args:
        messages: OpenAI wire messages (not modified; a string is one user message).
        tools: OpenAI-format tools to offer (``[]``: none are described).
        tool_choice: ``None``/``"auto"``, ``"none"``, ``"required"``/``"any"``/``True``, a tool
            name or ``{"type": "function", "function": {"name": ...}}``.
        tool_role: Whether the backend accepts ``role: "tool"`` messages.
        template: Overrides the format's template (placeholders ``$tools``, ``$choice``).
        parallel: ``False`` asks for at most one call per reply.
        failed_ids: ids of tool results whose tool failed.
        fmt: the tool-call format (``Profile.tool_format``).

    Returns:
        New messages: the tool block in the (first) system message and the tool
        history rewritten by ``replay_tool_history``.

    Raises:
        ValueError: ``tool_choice`` names a tool that is not in ``tools``.
    """
    out = replay_tool_history(messages, tool_role=tool_role, failed_ids=failed_ids, fmt=fmt) \
        if isinstance(messages, list) else [{"role": "user", "content": messages or ""}]
    block = render_tool_prompt(tools, tool_choice, template=template, parallel=parallel,
                               fmt=fmt) if tools else ""
    if block:
        first = out[0] if out else None
        if first and first.get("role") in ("system", "developer"):
            content = first.get("content")
            if isinstance(content, list):
                first["content"] = [*content, {"type": "text", "text": "\n\n" + block}]
            else:
                first["content"] = (f"{content}\n\n{block}" if content else block)
        else:
            out.insert(0, {"role": "system", "content": block})
    return out


def emulate_request(payload: dict, tools: list[dict], tool_choice: Any, *, tool_role: bool,
                    template: str | None = None, fmt: str = "hermes") -> dict:
    """Turn a native tool-calling request into a plain chat request.

    Args:
        payload: OpenAI chat-completions request dict (not modified).
        tools: OpenAI-format tools to offer.
        tool_choice: As for ``emulate_messages``.
        tool_role: Whether the backend accepts ``role: "tool"`` messages.
        template: Overrides the format's template (placeholders ``$tools``, ``$choice``).
        fmt: the tool-call format (``Profile.tool_format``).

    Returns:
        A new payload without ``tools``/``tool_choice``/``parallel_tool_calls``/``functions``/
        ``function_call``, whose messages are ``emulate_messages``'s.

    Raises:
        ValueError: ``tool_choice`` names a tool that is not in ``tools``.
    """
    new = {k: v for k, v in payload.items() if k not in _REMOVED_KEYS and k != "messages"}
    new["messages"] = emulate_messages(payload.get("messages"), tools, tool_choice,
                                       tool_role=tool_role, template=template, fmt=fmt,
                                       parallel=payload.get("parallel_tool_calls") is not False)
    return new
