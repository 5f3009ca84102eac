"""llama-server's own request fields as typed fields of the chat models (a pydantic mixin).

Each field defaults to None, which leaves it out of the request so the
server's per-model default applies (``get_server_defaults()`` shows them).
The same names work per call (``invoke(..., top_k=1)``) and in ``bind``.
Types and ranges are checked by :func:`~langchain_compat.core.llama_params.check_llama_value`
before any request; the fields are sent only where the profile says the
server is llama-server (``ChatLocal`` always; ``ChatOpenAICompatible`` once
``/props`` says so, or with ``profile_overrides={"server_kind": "llama.cpp"}``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator

from langchain_compat.core.llama_params import LLAMA_FIELDS, check_llama_value

__all__ = ["LlamaServerFields"]


def _field() -> Any:
    return None


class LlamaServerFields(BaseModel):
    """The llama-server sampling, constraint and slot fields (README of ``tools/server``)."""

    top_k: int | None = _field()
    """Keep the k most likely tokens (0: off; 1 is greedy whatever the temperature)."""
    min_p: float | None = _field()
    """Drop tokens below this fraction of the top token's probability (0-1; 0: off)."""
    typical_p: float | None = _field()
    """Locally typical sampling (0-1; 1: off)."""
    top_n_sigma: float | None = _field()
    """Keep tokens within n standard deviations of the top logit (negative: off)."""
    dynatemp_range: float | None = _field()
    """Dynamic temperature: the temperature moves within ``temperature +/- range`` (0: off)."""
    dynatemp_exponent: float | None = _field()
    """Dynamic temperature: how entropy maps to the temperature."""
    min_keep: int | None = _field()
    """Every sampler keeps at least this many tokens (0: no minimum)."""
    samplers: list[str] | str | None = _field()
    """The sampler chain, in order: names (``["top_k", "min_p", "temperature"]``) or letters
    (``"kmt"``). A sampler left out is not applied; an unknown name is refused here (the
    server would drop it silently)."""
    mirostat: int | None = _field()
    """Mirostat sampling: 0 off, 1 Mirostat, 2 Mirostat 2.0 (top-k, top-p, typical then off)."""
    mirostat_tau: float | None = _field()
    """Mirostat target entropy."""
    mirostat_eta: float | None = _field()
    """Mirostat learning rate."""
    repeat_penalty: float | None = _field()
    """Penalty on tokens repeated in the last ``repeat_last_n`` tokens (1: off)."""
    repeat_last_n: int | None = _field()
    """Tokens the repeat penalty looks back over (0: off; -1: the whole context)."""
    dry_multiplier: float | None = _field()
    """DRY ("don't repeat yourself") penalty multiplier (0: off)."""
    dry_base: float | None = _field()
    """DRY penalty base (>= 1)."""
    dry_allowed_length: int | None = _field()
    """Repeats longer than this are penalised by DRY."""
    dry_penalty_last_n: int | None = _field()
    """Tokens DRY scans for repeats (0: off; -1: the whole context)."""
    dry_sequence_breakers: list[str] | None = _field()
    """Strings that end DRY's repeat matching (default ``["\\n", ":", "\\"", "*"]``)."""
    xtc_probability: float | None = _field()
    """Chance that XTC ("exclude top choices") removes the top tokens (0-1; 0: off)."""
    xtc_threshold: float | None = _field()
    """Probability above which XTC removes tokens (0-1; over 0.5: off)."""
    grammar: str | None = _field()
    """A GBNF grammar the reply must follow (not with tools)."""
    json_schema: dict[str, Any] | None = _field()
    """A JSON schema the reply must follow (llama-server's field, beside ``response_format``)."""
    n_probs: int | None = _field()
    """Return the n most likely tokens with each generated one (in
    ``response_metadata["logprobs"]``; 0: none)."""
    post_sampling_probs: bool | None = _field()
    """Report probabilities after the sampler chain (``prob``) instead of log-probabilities."""
    chat_template_kwargs: dict[str, Any] | None = _field()
    """Variables for the chat template; the thinking switch of Qwen3-style templates is
    ``{"enable_thinking": False}`` (gpt-oss: ``{"reasoning_effort": "low"}``)."""
    reasoning_format: str | None = _field()
    """Where thinking goes: ``"auto"``/``"deepseek"`` (``reasoning_content``), ``"none"``
    (left in the text) or ``"deepseek-legacy"`` (both)."""
    reasoning_budget_tokens: int | None = _field()
    """Most thinking tokens before the end of thinking is forced (-1: no limit; 0: no thinking)."""
    cache_prompt: bool | None = _field()
    """Reuse the KV cache of a shared prompt prefix (the server's default is on;
    ``response_metadata["timings"]["cache_n"]`` says how much was reused)."""
    id_slot: int | None = _field()
    """Run on this server slot (-1: any idle slot); echoed in ``response_metadata["id_slot"]``."""
    n_keep: int | None = _field()
    """Prompt tokens kept when the context is shifted (-1: all)."""
    lora: list[dict[str, Any]] | None = _field()
    """LoRA adapters for this request: ``[{"id": 0, "scale": 0.5}]`` (ids from the server's
    ``/lora-adapters``; an adapter left out gets scale 0)."""
    ignore_eos: bool | None = _field()
    """Keep generating past the end-of-sequence token (up to ``max_tokens``)."""
    t_max_predict_ms: int | None = _field()
    """Stop generating this many ms after the first token, at a newline (0: off)."""

    @field_validator(*LLAMA_FIELDS, mode="before")
    @classmethod
    def _check(cls, value: Any, info: Any) -> Any:
        # Before pydantic's own conversion: "5" or True is refused for a number, as in a call.
        return value if value is None else check_llama_value(info.field_name, value)


assert set(LlamaServerFields.model_fields) == set(LLAMA_FIELDS), "fields and checks differ"
