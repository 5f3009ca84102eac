"""What a provider/model can do, as data.

A :class:`Profile` is read by every layer that needs to choose behaviour:
request building (which parameters are sent, renamed, range-checked or
refused), tool calling (native or emulated), structured output (which method
is safe), streaming (whether ``stream_options.include_usage`` may be sent),
memory (the context window) and the transport (client-side rate limit).
Code branches on these flags, never on a provider's name.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from langchain_compat.errors import InvalidParameterError
from langchain_compat.profiles.families import (
    E5_PREFIXES,
    MODEL_FAMILIES,
    ModelFamily,
    family_changes,
    is_e5_model,
)

__all__ = [
    "TOOL_FORMATS",
    "E5_PREFIXES",
    "MODEL_FAMILIES",
    "PROFILE_FIELDS",
    "STANDARD_PARAMS",
    "UNDOCUMENTED",
    "EmbeddingsLimits",
    "ModelFamily",
    "ParamRule",
    "Profile",
    "ReasoningReplay",
    "ServerKind",
    "family_changes",
    "is_e5_model",
    "params_table",
]


@dataclass(frozen=True, slots=True)
class ParamRule:
    """How one request parameter is treated by a provider.

    Attributes:
        supported: False means the provider refuses it (an error before any
            request, or a dropped value with a warning when the user opts in).
        min, max: inclusive numeric range checked before sending.
        max_items: most list items allowed (e.g. stop sequences).
        hint: what to do instead, shown in the error for unsupported params.
    """

    supported: bool = True
    min: float | None = None
    max: float | None = None
    max_items: int | None = None
    hint: str = ""


#: The rule of a parameter the provider's docs are silent on: passed through unchecked
#: (we do not guess a refusal).
UNDOCUMENTED = ParamRule()

#: The OpenAI chat-completions parameters every profile starts from, with the
#: ranges OpenAI documents. Providers override entries from their own docs.
STANDARD_PARAMS: Mapping[str, ParamRule] = MappingProxyType(
    {
        "temperature": ParamRule(min=0.0, max=2.0),
        "top_p": ParamRule(min=0.0, max=1.0),
        "presence_penalty": ParamRule(min=-2.0, max=2.0),
        "frequency_penalty": ParamRule(min=-2.0, max=2.0),
        "max_tokens": ParamRule(min=1),
        "n": ParamRule(min=1, max=128),
        "stop": ParamRule(),
        "seed": ParamRule(),
        "logit_bias": ParamRule(),
        "user": ParamRule(),
        "logprobs": ParamRule(),
        "top_logprobs": ParamRule(min=0, max=20),
        "response_format": ParamRule(),
        "tools": ParamRule(),
        "tool_choice": ParamRule(),
        "parallel_tool_calls": ParamRule(),
    }
)


def params_table(base: Mapping[str, ParamRule] = STANDARD_PARAMS,
                 **overrides: ParamRule) -> Mapping[str, ParamRule]:
    """Return a read-only copy of ``base`` with ``overrides`` applied."""
    table = dict(base)
    table.update(overrides)
    return MappingProxyType(table)


#: The tool-call formats emulation can prompt in (``Profile.tool_format``; their writers
#: are in ``emulation/formats/``).
TOOL_FORMATS = ("hermes", "llama3", "mistral")


class ReasoningReplay(str, enum.Enum):
    """Whether a backend wants a thinking model's ``reasoning_content`` sent back.

    ``REQUIRED``: assistant turns with tool calls must carry the reasoning the
    model produced with them (DeepSeek thinking mode, Kimi K2 thinking: the next
    turn is refused or degrades without it). ``FORBIDDEN``: the backend refuses
    ``reasoning_content`` in input messages (DeepSeek-R1's first API).
    ``OFF``: not known; nothing is sent back (the safe default).
    """

    REQUIRED = "required"
    FORBIDDEN = "forbidden"
    OFF = "off"


class ServerKind(str, enum.Enum):
    """What serves the chat completions, where the request fields depend on it.

    ``LLAMA_CPP``: llama.cpp's llama-server: its own sampling fields (``top_k``,
    ``min_p``, DRY, XTC, ``grammar``...) are sent, ``/props`` gives its context
    window and sampling defaults. ``OTHER``: not llama-server; those fields are
    refused before any request (``model_kwargs`` still sends them unchecked).
    A profile's ``server_kind=None`` means unknown: it is read once from the
    server's ``/props`` when it matters (``ChatOpenAICompatible``).
    """

    LLAMA_CPP = "llama.cpp"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class EmbeddingsLimits:
    """Limits and habits of an ``/embeddings`` endpoint.

    Attributes:
        max_batch: most inputs in one request.
        max_input_tokens: most tokens per input (estimated client-side).
        allow_empty: whether an empty string is accepted.
        base64: whether ``encoding_format="base64"`` is accepted.
        dimensions: vector size when known.
        dimensions_param: whether the ``dimensions`` request field is accepted.
    """

    max_batch: int = 2048
    max_input_tokens: int | None = None
    allow_empty: bool = True
    base64: bool = True
    dimensions: int | None = None
    dimensions_param: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    """Capabilities and limits of one provider/model.

    ``native_tools`` is tri-state: True (send ``tools``), False (always
    emulate), None (unknown: ``tool_calling="auto"`` tries native and falls
    back to emulation when the backend refuses, remembering the answer).

    ``embedding_prefixes`` is ``(query prefix, passage prefix)`` for an
    embeddings model trained with them (e5: ``("query: ", "passage: ")``,
    set for every e5 model name by :data:`MODEL_FAMILIES`), else None.

    ``image_inputs`` is tri-state too: True (images are sent), False (the model
    reads text only: a message with an image is refused before any request),
    None (unknown, e.g. any OpenAI-compatible server: images are sent as given).

    ``small_model_guards`` turns on the judge's checks meant for small local
    models (``chat_models/judge.py``): a call whose numbers appear nowhere in the
    conversation, or one that only reworks the tool results, gets the answer asked
    for with tools withheld; off by default, where a model may legitimately pick
    numbers of its own. ``repeated_call_guard`` (on by default) does the same for a
    reply whose every call was already made with the same arguments and answered.

    ``param_defaults`` are request parameters sent when the caller set none
    (e.g. ``{"max_tokens": 512}`` so a small local model cannot generate
    until its context is full); they are checked like the caller's own.

    ``reasoning_replay`` (a :class:`ReasoningReplay`, strings accepted) says
    whether ``reasoning_content`` is replayed on assistant turns with tool
    calls. ``think_prefilled`` is for chat templates that pre-fill ``<think>``
    (the reply starts inside reasoning and only a bare ``</think>`` ends it):
    invoke and stream then read everything up to ``</think>`` as reasoning
    (all of it when none comes). Off, a stream passes a bare ``</think>``
    through as text and only a reply that opens with ``<think>`` is split.

    ``constrained`` says the backend constrains decoding to a JSON schema given as
    ``response_format`` (llama.cpp, vLLM, Ollama, LM Studio): emulated tool calling is
    then *constrained*, every reply decoded under a schema that admits only an answer or
    calls of the bound tools (``emulation/formats/constrained.py``); a server that
    refuses the field is downgraded to plain emulation and that is learned.
    ``call_grammar`` says the backend also takes a GBNF grammar (``grammar``, llama.cpp):
    a constrained turn is then decoded under a grammar that admits a call of a bound tool
    or an answer in *plain text* (``emulation/grammar.py``), so the model can answer
    without being pushed into JSON; a server that refuses it falls back to the schema.

    ``early_stop`` (on by default) ends a plainly emulated reply as soon as it holds all
    that will be used of it: its first call that repeats an earlier one of the same reply
    (a small model writes the same calls over and over until ``max_tokens``), its
    ``MAX_EMULATED_CALLS``-th call, or, where one call is wanted, its first usable call.
    Such a request is read as a stream (invoke too) and closed there, so the server stops
    generating; its usage is then estimated offline (``usage_estimated``). Off, the reply
    is read whole and trimmed afterwards (identical calls folded into one, at most
    ``MAX_EMULATED_CALLS`` kept).

    ``several_emulated_calls`` (off by default) lets an emulated reply hold several calls
    when the caller did not pass ``parallel_tool_calls``. Off, an emulated reply (plain,
    constrained or under a grammar) holds one call unless ``parallel_tool_calls=True``:
    its calls are written before any result is seen, and a small model fills it with
    calls that guess at the results. Turn it on for a model that plans independent calls
    in one reply well.

    ``tool_format`` is the tool-call format emulation prompts in (``"hermes"``,
    ``"llama3"``, ``"mistral"``; ``emulation/formats/``): a model is best asked in the
    format it was trained on. Replies are read in every known format whatever it is.
    ``tool_prompt`` replaces that format's system-prompt block.

    ``tokenize_endpoint`` is the path of the server's tokenizer below the
    server root (llama.cpp and vLLM serve ``/tokenize``), used by
    ``get_num_tokens*`` for exact counts; None: counts are estimated offline.

    ``served_models_check``: before the first chat request to a base URL, ask the
    server which models it serves (``GET /models``, once per base URL and process) and
    refuse a model it does not serve with the list it does (for servers such as
    llama-server that answer any model name with their own model).
    ``server_kind`` (a :class:`ServerKind`, strings accepted) says whether the
    server is llama.cpp's llama-server, whose own request fields are then
    typed parameters of the chat model; None: unknown, read from ``/props``
    once per backend (base URL, model, key) when such a field is used.
    """

    native_tools: bool | None = None
    tool_choice: bool = True
    parallel_tool_calls: bool = True
    json_mode: bool = False
    json_schema: bool = False
    stream_usage: bool = False
    tool_role: bool = True
    image_inputs: bool | None = None
    think_tags: bool = True
    think_prefilled: bool = False
    reasoning_replay: ReasoningReplay = ReasoningReplay.OFF
    tokenize_endpoint: str | None = None
    served_models_check: bool = False
    server_kind: ServerKind | None = ServerKind.OTHER
    context_window: int = 8192
    rate_limit_rpm: float | None = None
    params: Mapping[str, ParamRule] = field(default_factory=lambda: STANDARD_PARAMS)
    small_model_guards: bool = False
    repeated_call_guard: bool = True
    param_defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    tool_prompt: str | None = None
    tool_format: str = "hermes"
    constrained: bool = False
    call_grammar: bool = False
    early_stop: bool = True
    several_emulated_calls: bool = False
    embeddings: EmbeddingsLimits | None = None
    embedding_prefixes: tuple[str, str] | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.tool_format not in TOOL_FORMATS:
            raise InvalidParameterError(
                "tool_format", f"got {self.tool_format!r}; use one of {list(TOOL_FORMATS)}")
        for name, kind in (("reasoning_replay", ReasoningReplay), ("server_kind", ServerKind)):
            value = getattr(self, name)
            if value is None and kind is ServerKind or isinstance(value, kind):
                continue
            try:
                value = kind(value)
            except ValueError:
                raise InvalidParameterError(
                    name, f"got {value!r}; use one of {[m.value for m in kind]}") from None
            object.__setattr__(self, name, value)

    def rule(self, param: str) -> ParamRule:
        """The rule for ``param`` (undocumented parameters pass through)."""
        return self.params.get(param, UNDOCUMENTED)

    def replace(self, **changes: Any) -> Profile:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)

    def to_model_profile(self) -> dict[str, Any]:
        """This profile as LangChain's ``ModelProfile`` dict (``model.profile``)."""
        native = self.native_tools is not False
        out: dict[str, Any] = {
            "max_input_tokens": self.context_window,
            "text_inputs": True,
            "text_outputs": True,
            "image_inputs": self.image_inputs is True,
            "image_url_inputs": self.image_inputs is True,
            # Tool calling works on every backend (native or emulated).
            "tool_calling": True,
            "tool_choice": True,
            "tool_call_streaming": True,
            "structured_output": native and (self.json_schema or bool(self.native_tools)),
            "temperature": self.rule("temperature").supported,
        }
        return out



#: The names a :class:`Profile` has (what ``profile_overrides`` may set).
PROFILE_FIELDS = frozenset(f.name for f in fields(Profile))
