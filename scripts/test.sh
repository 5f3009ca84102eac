#!/usr/bin/env bash
# Bootstrap (idempotent), then run the whole pytest suite with the venv's python.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/local -x`.
# LANGCHAIN_COMPAT_NO_LOCAL=1 skips the tests that need the real llama-server.
#
# Without arguments, the suite runs in stages, each test once (every stage's exit code counts):
#   1. every test that needs no llama-server, in file order, on all cores (pytest-xdist),
#      tests/reliability aside;
#   2. tests/reliability in a shuffled order (pytest-randomly), so no test there leans on
#      another, also on all cores;
#   3. the tests that use the real llama-server (marker llama_server), in file order, in one
#      process with the machine to themselves: llama-server's threads need every core
#      (tests/conftest.py has the measurement);
#   4. the suites that need no local model again, against the newest LangChain releases in a
#      second venv (scripts/test-newest.sh; LANGCHAIN_COMPAT_SKIP_NEWEST=1 skips it). Where
#      those releases are exactly the pinned ones (every runtime dependency, recursively, and
#      langchain-tests), stages 1-3 already tested them: the stage says so and runs no pytest.
# With arguments, one pytest run on all cores, the llama-server tests grouped on one worker.
# Workers: one per core, at most 4 (LANGCHAIN_COMPAT_TEST_WORKERS=N sets it; 1 = one process).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
venv="${LANGCHAIN_COMPAT_VENV:-$(pwd)/.venv}"
source scripts/test-workers.sh
xdist_options "$venv/bin/python"
run() {  # run [--serial] PYTEST-ARGS...: on all cores unless --serial
  local opts=("${parallel[@]}")
  if [ "${1:-}" = "--serial" ]; then opts=(); shift; fi
  printf '[test] pytest %s %s\n' "${opts[*]}" "$*"
  local t0=$SECONDS
  set +e
  "$venv/bin/python" -m pytest -q -ra --timeout="${PYTEST_TIMEOUT:-900}" "${opts[@]}" "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then
    printf '[test] no tests were collected (pytest exit 5); not a failure\n'
    rc=0
  fi
  printf '[test] pytest exit code %s (%s s)\n' "$rc" "$((SECONDS - t0))"
  return "$rc"
}
rc=0
if [ "$#" -gt 0 ]; then
  run -p no:randomly "$@" || rc=$?
  exit "$rc"
fi
run -p no:randomly -m "not llama_server" --ignore=tests/reliability || rc=$?
run -p randomly -m "not llama_server" tests/reliability || rc=$?
run --serial -p no:randomly -m llama_server || rc=$?
if [ "${LANGCHAIN_COMPAT_SKIP_NEWEST:-}" = "1" ]; then
  printf '[test] LANGCHAIN_COMPAT_SKIP_NEWEST=1: the newest-releases stage is skipped\n'
else
  printf '[test] stage 4: the newest LangChain releases (scripts/test-newest.sh)\n'
  bash scripts/test-newest.sh || { newest=$?; printf '[test] newest-releases stage exit code %s\n' "$newest"; rc=$newest; }
fi
exit "$rc"
