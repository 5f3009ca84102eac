"""llama-server's own behaviour in the emulator, for a provider whose profile says llama.cpp.

Read from data like the rest of the emulator (``profile.server_kind``,
``profile.context_window``): ``GET /props`` answers with the per-slot
window and sampling defaults, a prompt larger than the window is refused with
llama-server's 400 ``exceed_context_size_error`` (``n_prompt_tokens``,
``n_ctx``), and every reply carries ``timings`` whose ``cache_n``/``prompt_n``
follow a one-slot prompt cache (the prefix shared with the previous prompt is
not evaluated again, unless the request says ``cache_prompt: false``).
Other providers answer ``/props`` with 404, as a server without it does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from langchain_compat.core.server_props import server_root
from langchain_compat.profiles import Profile, ServerKind
from langchain_compat.providers.base import Provider
from langchain_compat.testing.quirks import APIErrorReply
from langchain_compat.testing.responders import message_text, prompt_tokens, split_tokens

__all__ = ["SAMPLING_DEFAULTS", "PromptCache", "check_context", "is_llama", "props", "props_body",
           "reply_extras", "timings"]

#: The sampling defaults ``/props`` reports (llama-server's own, as built).
SAMPLING_DEFAULTS: Mapping[str, Any] = {
    "seed": 4294967295, "temperature": 0.8, "dynatemp_range": 0.0, "dynatemp_exponent": 1.0,
    "top_k": 40, "top_p": 0.95, "min_p": 0.05, "top_n_sigma": -1.0, "xtc_probability": 0.0,
    "xtc_threshold": 0.1, "typical_p": 1.0, "repeat_last_n": 64, "repeat_penalty": 1.0,
    "presence_penalty": 0.0, "frequency_penalty": 0.0, "dry_multiplier": 0.0, "dry_base": 1.75,
    "dry_allowed_length": 2, "dry_penalty_last_n": 64, "mirostat": 0, "mirostat_tau": 5.0,
    "mirostat_eta": 0.1, "max_tokens": -1, "n_keep": 0, "ignore_eos": False, "n_probs": 0,
    "min_keep": 0, "samplers": ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p",
                                "min_p", "xtc", "temperature"],
}


def is_llama(profile: Profile) -> bool:
    """Whether the emulated server is llama-server."""
    return profile.server_kind is ServerKind.LLAMA_CPP


def props_body(provider: Provider, model: str | None) -> dict[str, Any]:
    """The answer of ``GET /props`` for ``model``."""
    name = model or provider.default_model or "emulator-model"
    n_ctx = provider.profile_for(name).context_window
    return {
        "default_generation_settings": {"params": dict(SAMPLING_DEFAULTS), "n_ctx": n_ctx},
        "total_slots": 1, "model_alias": name, "model_path": f"/models/{name}.gguf",
        "build_info": "b0-emulator", "modalities": {"vision": False, "audio": False},
    }


def check_context(state: Any, profile: Profile, messages: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a prompt over the window, in llama-server's words and shape (a proxied
    request is left to the upstream server, whose tokenizer counts).

    Raises:
        APIErrorReply: 400 ``exceed_context_size_error`` with ``n_prompt_tokens`` and ``n_ctx``.
    """
    if not is_llama(profile) or state.proxy:
        return
    n_ctx, n_prompt = profile.context_window, prompt_tokens(messages)
    if n_prompt > n_ctx:
        message = (f"request ({n_prompt} tokens) exceeds the available context size "
                   f"({n_ctx} tokens), try increasing it")
        raise APIErrorReply(400, message, raw={"error": {
            "code": 400, "message": message, "type": "exceed_context_size_error",
            "n_prompt_tokens": n_prompt, "n_ctx": n_ctx}})


class PromptCache:
    """One slot's KV cache: the pseudo-tokens of the last prompt evaluated."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: list[str] = []

    def evaluate(self, messages: Sequence[Mapping[str, Any]], *,
                 cache_prompt: bool) -> tuple[int, int]:
        """``(cache_n, prompt_n)`` for a prompt: tokens reused, tokens evaluated."""
        tokens = [t for m in messages
                  for t in (f"<{m.get('role')}>", *split_tokens(message_text(m)))]
        with self._lock:
            reused = 0
            if cache_prompt:
                limit = min(len(tokens) - 1, len(self._last))  # the last token is always evaluated
                while reused < limit and tokens[reused] == self._last[reused]:
                    reused += 1
            self._last = tokens
        return reused, len(tokens) - reused


def timings(cache_n: int, prompt_n: int, predicted_n: int) -> dict[str, Any]:
    """A ``timings`` object (1 ms per prompt token, 10 ms per generated one)."""
    prompt_ms, predicted_ms = float(max(prompt_n, 1)), 10.0 * max(predicted_n, 1)
    return {"cache_n": cache_n, "prompt_n": prompt_n, "prompt_ms": prompt_ms,
            "prompt_per_token_ms": prompt_ms / max(prompt_n, 1),
            "prompt_per_second": 1000.0 * prompt_n / prompt_ms,
            "predicted_n": predicted_n, "predicted_ms": predicted_ms,
            "predicted_per_token_ms": predicted_ms / max(predicted_n, 1),
            "predicted_per_second": 1000.0 * predicted_n / predicted_ms}


async def props(ctx: Any) -> Response:
    """The emulator's ``GET /props`` handler (``?model=`` picks the model, as in router mode);
    with a proxy, the upstream server's own."""
    model = ctx.request.query_params.get("model")
    state = ctx.state
    if state.proxy:
        upstream = await state.http.get(server_root(state.proxy) + "/props")
        return ctx.body_response(upstream.content, upstream.status_code)
    body = props_body(state.provider, model or state.provider.default_model)
    return ctx.body_response(json.dumps(body).encode())


def reply_extras(state: Any, profile: Profile, body: Mapping[str, Any],
                 messages: Sequence[Mapping[str, Any]], n_tokens: int) -> dict[str, Any]:
    """What llama-server adds to a reply (invoke) or its last chunk (stream): ``timings``."""
    if not is_llama(profile):
        return {}
    cached = body.get("cache_prompt") is not False
    cache_n, prompt_n = state.prompt_cache.evaluate(messages, cache_prompt=cached)
    return {"timings": timings(cache_n, prompt_n, n_tokens)}
