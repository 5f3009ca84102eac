"""What a call is made of: the model's frozen settings and one call's options.

:class:`CallSettings` is built by the chat model from its fields (once, and
again only after a field changed); :class:`CallOptions` is one call's
``invoke(..., **kwargs)`` read into typed fields. The call pipeline takes only
these two records: it never reads the chat model itself.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_compat.core.backend_memory import BackendKey, BackendMemory
from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles import Profile

__all__ = ["CallOptions", "CallSettings", "StructuredSpec", "ToolMode", "ToolSetting"]


class ToolSetting(str, enum.Enum):
    """The ``tool_calling`` field: how a model handles bound tools."""

    AUTO = "auto"
    NATIVE = "native"
    EMULATED = "emulated"


class ToolMode(enum.Enum):
    """How one call handles tools (chosen by ``tool_mode.choose_mode``).

    ``PLAIN``: no tools bound. ``NATIVE``: OpenAI ``tools`` on the wire.
    ``PROBE``: the profile does not know; native is tried once and a refusal
    switches the call to ``EMULATED`` (tools rendered into the prompt, calls
    parsed out of the text). ``CONSTRAINED``: emulated, with every reply decoded
    under a JSON schema admitting only an answer or calls of the bound tools
    (``emulation/formats/constrained.py``), where the backend constrains decoding.
    """

    PLAIN = "plain"
    NATIVE = "native"
    PROBE = "probe"
    EMULATED = "emulated"
    CONSTRAINED = "constrained"

    @property
    def emulates(self) -> bool:
        """Whether tools are written into the prompt and calls read out of the text."""
        return self in (ToolMode.EMULATED, ToolMode.CONSTRAINED)

    @property
    def sends_tools(self) -> bool:
        """Whether the request carries OpenAI ``tools``."""
        return self in (ToolMode.NATIVE, ToolMode.PROBE)


@dataclass(frozen=True, slots=True)
class StructuredSpec:
    """``with_structured_output`` by JSON (``json_mode``/``json_schema``), bound as a typed record.

    Attributes:
        schema: the JSON schema the reply must follow (None: any JSON).
        native: the backend was sent ``response_format``; False: the JSON is
            asked for in the prompt, validated and re-asked by the reply policy.
    """

    schema: dict[str, Any] | None
    native: bool


@dataclass(frozen=True, slots=True)
class CallSettings:
    """The chat model's fields a call needs, frozen.

    Attributes:
        profile: what the provider/model can do.
        provider: the provider's display name (for messages).
        path: the chat-completions path below the base URL.
        base_url: where requests go (with ``model_name`` the key under which
            ``auto`` remembers whether native tools work).
        model_name: default ``model`` field of requests.
        sampling: constructor sampling parameters and ``model_kwargs``.
        tool_calling: the ``tool_calling`` field.
        stream_usage: ask for usage in streams where the profile allows it.
        drop_unsupported_params: drop refused parameters with a warning.
        extra_body: fields merged into the request last.
        max_reasks: re-asks allowed per call.
        memory: what the process learned about backends (``backend_memory.py``).
        key_digest: the API key as the memory keys it (a short SHA-256 digest).
    """

    profile: Profile
    provider: str
    path: str
    base_url: str
    model_name: str | None
    sampling: Mapping[str, Any]
    tool_calling: ToolSetting
    stream_usage: bool
    drop_unsupported_params: bool
    extra_body: Mapping[str, Any] | None
    max_reasks: int
    memory: BackendMemory
    key_digest: str

    def backend(self, options: CallOptions) -> BackendKey:
        """The backend a call with ``options`` talks to (the key of what is learned of it)."""
        return BackendKey(self.base_url, options.model_name or "", self.key_digest)


def tool_name(tool: Any) -> str | None:
    """The name of an OpenAI tool dict (``{"type": "function", "function": {"name"}}``)."""
    fn = tool.get("function") if isinstance(tool, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    return name if isinstance(name, str) else None


def _check_unique_names(tools: list[Any] | None) -> None:
    """Refuse two tools of one name, or a function tool with no name: a call could not say
    which one it means (in every mode; emulation would otherwise prompt a nameless tool)."""
    seen: set[str] = set()
    for i, tool in enumerate(tools or ()):
        name = tool_name(tool)
        if not name and isinstance(tool, dict) and tool.get("type", "function") == "function":
            raise InvalidParameterError(
                "tools", f"tool #{i + 1} has no name (a non-empty string at "
                         "tool['function']['name']); a call names its tool, so give it one")
        if name in seen:
            raise InvalidParameterError(
                "tools", f"two tools are named {name!r}; a call names its tool, so give each "
                         "tool its own name")
        if name is not None:
            seen.add(name)


def _legacy_functions(kwargs: dict[str, Any]) -> None:
    """Translate legacy ``functions``/``function_call`` into tools/tool_choice."""
    functions = kwargs.pop("functions", None)
    function_call = kwargs.pop("function_call", None)
    if functions:
        kwargs.setdefault("tools", [{"type": "function", "function": f} for f in functions])
    if function_call is not None and "tool_choice" not in kwargs:
        if isinstance(function_call, dict) and "name" in function_call:
            kwargs["tool_choice"] = {"type": "function",
                                     "function": {"name": function_call["name"]}}
        elif function_call in ("auto", "none"):
            kwargs["tool_choice"] = function_call


@dataclass(frozen=True, slots=True)
class CallOptions:
    """One call's arguments (``invoke(..., **kwargs)`` and bound kwargs), typed.

    Attributes:
        model_name: the request's ``model``.
        params: sampling parameters to check and send (model's, then the call's).
        tools: OpenAI-format tools (None: no tools).
        tool_choice: the wire form of ``tool_choice`` (None: not given).
        parallel: ``parallel_tool_calls`` (None: not given).
        structured: JSON structured output (None: not asked, or done by tools).
        timeout: per-call total timeout in seconds.
        stream: whether the call streams.
    """

    model_name: str | None
    params: Mapping[str, Any]
    tools: list[dict[str, Any]] | None
    tool_choice: str | dict[str, Any] | None
    parallel: bool | None
    structured: StructuredSpec | None
    timeout: float | None
    stream: bool

    @classmethod
    def read(cls, settings: CallSettings, stop: list[str] | None, kwargs: dict[str, Any], *,
             stream: bool) -> CallOptions:
        """Read a call's kwargs on top of the model's settings.

        Raises:
            InvalidParameterError: ``structured_output`` is not a :class:`StructuredSpec`.
        """
        kwargs = dict(kwargs)
        _legacy_functions(kwargs)
        kwargs.pop("stream", None)
        structured = kwargs.pop("structured_output", None)
        if structured is not None and not isinstance(structured, StructuredSpec):
            raise InvalidParameterError("structured_output", "use with_structured_output(...)")
        timeout = kwargs.pop("timeout", None)
        tools = kwargs.pop("tools", None) or None
        _check_unique_names(tools)
        tool_choice = kwargs.pop("tool_choice", None)
        parallel = kwargs.pop("parallel_tool_calls", None)
        model_name = kwargs.pop("model", None) or settings.model_name
        params = dict(settings.sampling)
        params.update(kwargs)
        if stop is not None:
            params["stop"] = stop
        return cls(model_name=model_name, params=params, tools=tools, tool_choice=tool_choice,
                   parallel=parallel, structured=structured, timeout=timeout, stream=stream)

    @property
    def forcing(self) -> bool:
        """Whether ``tool_choice`` forces a call (required or a named tool)."""
        return self.tool_choice == "required" or isinstance(self.tool_choice, dict)

    @property
    def prompted_json(self) -> bool:
        """Structured output asked for in the prompt (validated and re-asked by us)."""
        return self.structured is not None and not self.structured.native

    def calls_wanted(self, mode: ToolMode, profile: Profile) -> int | None:
        """1 when one call per reply is wanted, else None (any number).

        One is wanted where ``parallel_tool_calls=False`` or a named ``tool_choice`` asks for
        it; in an emulated mode also unless ``parallel_tool_calls=True`` asks for several or
        the profile says the model plans several well (``several_emulated_calls``): the
        calls of one emulated reply are written before any result is seen, and a small
        model fills the reply with calls that guess at the results (agent benchmark,
        ``docs/agent-benchmark.md``: plain emulation 1.7x native wall time instead of 2.5x,
        no repeated call instead of 20, success within one task). A native backend decides for
        itself (OpenAI's default is several)."""
        named = isinstance(self.tool_choice, dict) or (
            isinstance(self.tool_choice, str) and self.tool_choice not in (
                "auto", "none", "required", "any"))
        if self.parallel is False or named:
            return 1
        several = self.parallel is True or profile.several_emulated_calls
        return 1 if mode.emulates and not several else None

    @property
    def reads_calls(self) -> bool:
        """Whether reply text is searched for tool calls."""
        return bool(self.tools) and self.tool_choice != "none"
