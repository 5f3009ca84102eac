#!/usr/bin/env bash
# Bootstrap (idempotent), then run the whole pytest suite with the venv's python.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/local -x`.
# LANGCHAIN_COMPAT_NO_LOCAL=1 skips the tests that need the real llama-server.
# The whole suite runs in file order; without arguments, tests/reliability then runs
# again in a shuffled order (pytest-randomly), so no test there leans on another, and
# the suites that need no local model run once more against the newest LangChain
# releases in a second venv (scripts/test-newest.sh; LANGCHAIN_COMPAT_SKIP_NEWEST=1 skips it).
# Every stage's exit code counts.
# Tests run on as many pytest-xdist workers as the machine has cores (at most 4;
# LANGCHAIN_COMPAT_TEST_WORKERS=N sets it, 1 runs them in one process); the tests that use
# the real llama-server stay together on one worker (tests/conftest.py says why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
venv="${LANGCHAIN_COMPAT_VENV:-$(pwd)/.venv}"
source scripts/test-workers.sh
xdist_options "$venv/bin/python"
run() {
  printf '[test] pytest %s %s\n' "${parallel[*]}" "$*"
  set +e
  "$venv/bin/python" -m pytest -q -ra --timeout="${PYTEST_TIMEOUT:-900}" "${parallel[@]}" "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then
    printf '[test] no tests were collected (pytest exit 5); not a failure\n'
    rc=0
  fi
  printf '[test] pytest exit code %s\n' "$rc"
  return "$rc"
}
rc=0
run -p no:randomly "$@" || rc=$?
if [ "$#" -eq 0 ]; then
  run -p randomly tests/reliability || rc=$?
  if [ "${LANGCHAIN_COMPAT_SKIP_NEWEST:-}" = "1" ]; then
    printf '[test] LANGCHAIN_COMPAT_SKIP_NEWEST=1: the newest-releases stage is skipped\n'
  else
    printf '[test] stage 2: the newest LangChain releases (scripts/test-newest.sh)\n'
    bash scripts/test-newest.sh || { newest=$?; printf '[test] newest-releases stage exit code %s\n' "$newest"; rc=$newest; }
  fi
fi
exit "$rc"
