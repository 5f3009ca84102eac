"""The provider-facts table of a provider page, generated from its record (see generate.py).

One two-column table per provider: connection facts (base URL, env vars, auth,
models) and the profile (tools, JSON modes, limits, refused parameters), read
from ``langchain_compat.providers.PROVIDERS`` so the page cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from langchain_compat.providers import PROVIDERS
from langchain_compat.providers.matrix import capability_matrix

__all__ = ["provider_facts"]


def _code(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def _yes(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown (probed)"}[value]


def provider_facts(name: str) -> str:
    """A two-column Markdown table of one provider's facts and profile."""
    if name not in PROVIDERS:
        known = sorted(PROVIDERS)
        raise KeyError(f"provider-facts marker names unknown provider {name!r}; known: {known}")
    provider = PROVIDERS[name]
    row = next(r for r in capability_matrix({name: provider}))
    profile = provider.profile_for(provider.default_model)
    auth = provider.auth
    if auth.header is None:
        auth_text = "none"
    else:
        auth_text = f"`{auth.header}: {auth.prefix}<key>`"
        if not provider.requires_api_key:
            auth_text += " (only when a key is set)"
    limits = profile.embeddings
    tools = {True: "native (`tools` sent)", False: "emulated (never sent)",
             None: "unknown: `tool_calling=\"auto\"` tries native once, falls back to emulation"}
    rows = [
        ("name (CLI, emulator)", f"`{provider.name}`"),
        ("base URL", _code(provider.base_url) if provider.base_url
         else "none: set it per tenant/server"),
        ("base URL env var", _code(provider.base_url_env)),
        ("API key env var", _code(provider.api_key_env)),
        ("auth header", auth_text),
        ("API key required", _yes(provider.requires_api_key)),
        ("chat path", _code(provider.chat_path)),
        ("default model", _code(provider.default_model)),
        ("chat models named in the docs", _code(list(provider.models))),
        ("embedding models", _code(list(provider.embedding_models))),
        ("tool calling", tools[profile.native_tools]),
        ("`tool` role accepted", _yes(profile.tool_role)
         + ("" if profile.tool_role else ": tool results replayed as user text")),
        ("JSON mode / JSON schema", f"{_yes(profile.json_mode)} / {_yes(profile.json_schema)}"),
        ("usage in streams (`stream_options`)", _yes(profile.stream_usage)),
        ("context window assumed for trimming", f"{profile.context_window} tokens"),
        ("client-side rate limit", f"{profile.rate_limit_rpm:g} requests/minute"
         if profile.rate_limit_rpm else "none"),
        ("parameters refused before sending", _code(row["unsupported_params"])),
    ]
    limited = sorted((k, r.max_items) for k, r in profile.params.items() if r.max_items)
    if limited:
        rows.append(("list limits", ", ".join(f"`{k}` ≤ {n} items" for k, n in limited)))
    if limits is not None:
        parts = [f"≤ {limits.max_batch} inputs/request"]
        if limits.max_input_tokens:
            parts.append(f"≤ {limits.max_input_tokens} tokens/input")
        if not limits.allow_empty:
            parts.append("empty strings refused")
        if limits.base64:
            parts.append("base64 accepted")
        model = provider.embedding_models[0] if provider.embedding_models else None
        prefixes = provider.profile_for(model).embedding_prefixes
        if prefixes:
            parts.append(f"prefixes `{prefixes[0]}` / `{prefixes[1]}` ({model})")
        if limits.dimensions:
            parts.append(f"{limits.dimensions} dimensions")
        rows.append(("embeddings limits", "; ".join(parts)))
    if profile.notes:
        rows.append(("notes", profile.notes))
    rows.append(("source", provider.docs or "—"))
    lines = ["| fact | value |", "|---|---|"]
    lines += [f"| {k} | {v.replace('|', chr(92) + '|')} |" for k, v in rows]
    return "\n".join(lines)
