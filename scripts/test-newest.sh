#!/usr/bin/env bash
# The suites that need no local model, again, against the NEWEST LangChain releases.
#
# scripts/test.sh runs this after the pinned run (only when called with no arguments), so
# users who `pip install` today are covered too. A second venv (default <repo>/.venv-newest,
# LANGCHAIN_COMPAT_NEWEST_VENV moves it) gets the package (editable) with the extras [dev]
# names (testing, memory, progress, docs, redis, postgres), plus every dev dependency of
# pyproject.toml with its version pin removed: langchain-core, langchain-openai, langgraph, langchain-tests, pytest, ... resolve
# to whatever pip picks as newest. Installed versions are printed before the tests run.
#
# Idempotent: the install is redone only when pyproject.toml changed or the stamp is older
# than a day (LANGCHAIN_COMPAT_NEWEST_MAX_AGE seconds), so "newest" stays new.
# A failed resolution or install is reported as such and fails this stage.
# Env: PYTHON (interpreter for the venv), LANGCHAIN_COMPAT_NEWEST_TESTS (what pytest runs;
#      default: tests/ without tests/docs, a site build, and tests/bench, benchmarks of the
#      local model), PYTEST_TIMEOUT. Extra arguments go to pytest.
# Where the newest releases a user gets are the pinned ones, pytest is not run again (below).
# Measured on a 2-core machine: venv ~60 s; first install ~10 min (a refresh ~2.5 min, an
# up-to-date venv ~10 s before pytest starts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
venv="${LANGCHAIN_COMPAT_NEWEST_VENV:-$root/.venv-newest}"
max_age="${LANGCHAIN_COMPAT_NEWEST_MAX_AGE:-86400}"
say() { printf '[newest] %s\n' "$*"; }
t0=$(date +%s)

py="${PYTHON:-}"
if [ -z "$py" ]; then
  if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
fi
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $($py --version 2>&1)"
  "$py" -m venv "$venv"
fi
vpy="$venv/bin/python"

# The dev dependencies without their pins, and the package's own extras that [dev] names
# (langchain-compat[testing,...,redis,postgres]), so both stages install the same things.
read -r own reqs < <("$vpy" - <<'PY'
import re, tomllib
data = tomllib.load(open("pyproject.toml", "rb"))
extras = data["project"]["optional-dependencies"]
names, own = [], "testing"
for req in extras["dev"]:
    name = re.match(r"[A-Za-z0-9_.\-]+(\[[^\]]*\])?", req).group(0)
    if name.startswith("langchain-compat"):
        own = name[name.index("[") + 1:-1] if "[" in name else own
    else:
        names.append(name)
print(own, " ".join(names))
PY
)

stamp="$venv/.langchain-compat-newest"
want="$(sha256sum pyproject.toml | cut -c1-64) $root"
fresh=0
if [ -f "$stamp" ] && [ "$(head -c 200 "$stamp")" = "$want" ] \
   && [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) -lt "$max_age" ]; then
  fresh=1
fi
if [ "$fresh" -eq 0 ]; then
  say "installing langchain-compat[$own] + newest: $reqs"
  log="$venv/pip-install.log"
  set +e
  # (this machine's pip config may list index dirs that are absent: drop those warnings)
  "$vpy" -m pip install --disable-pip-version-check --upgrade --upgrade-strategy eager \
    -e ".[$own]" $reqs >"$log" 2>&1
  pip_rc=$?
  set -e
  grep -v "^WARNING: Location 'file://" "$log" | grep -iE "error|conflict|incompatible" || true
  if [ "$pip_rc" -ne 0 ]; then
    say "FAILED: pip could not resolve or install the newest releases (exit $pip_rc); last lines of $log:"
    grep -v "^WARNING: Location 'file://" "$log" | tail -n 25
    exit "$pip_rc"
  fi
  # pip backtracks silently when the newest release cannot be installed (e.g. a dependency
  # missing on the index): say which and why, so "newest" is never newer than it looks.
  report="$venv/held-back.txt"
  : > "$report"
  for name in langchain-core langchain-openai langgraph langchain-tests; do
    info=$("$vpy" -m pip index versions "$name" 2>/dev/null | grep -E "INSTALLED|LATEST" || true)
    have=$(printf '%s\n' "$info" | awk '/INSTALLED/ {print $2}')
    latest=$(printf '%s\n' "$info" | awk '/LATEST/ {print $2}')
    if [ -n "$latest" ] && [ "$have" != "$latest" ]; then
      why=$("$vpy" -m pip install --dry-run --disable-pip-version-check "$name==$latest" 2>&1 \
        | grep -E "^ERROR" | head -n 2 || true)
      printf '%s %s is the newest release but pip resolved %s: %s\n' \
        "$name" "$latest" "${have:-nothing}" "${why:-(no reason given)}" >> "$report"
    fi
  done
  printf '%s' "$want" > "$stamp"
  say "installed in $(( $(date +%s) - t0 )) s"
else
  say "newest releases installed $(( ($(date +%s) - $(stat -c %Y "$stamp")) / 60 )) min ago (stamp $stamp)"
fi

if [ -s "$venv/held-back.txt" ]; then
  say "WARNING: not every newest release could be installed (pip resolved older ones):"
  sed 's/^/[newest]   /' "$venv/held-back.txt"
fi
say "versions under test:"
"$vpy" - <<'PY'
from importlib.metadata import version, PackageNotFoundError
for name in ("langchain-core", "langchain-openai", "langgraph", "langchain-tests", "langchain",
             "httpx", "pydantic", "pytest"):
    try:
        print(f"[newest]   {name}=={version(name)}")
    except PackageNotFoundError:
        print(f"[newest]   {name}: not installed")
PY

# Where the newest releases a user would install are exactly what the pinned venv has (every
# runtime dependency, recursively, and langchain-tests; scripts/user_versions.py), pytest here
# would run the same tests on the same libraries as the pinned stages: say so and stop.
# LANGCHAIN_COMPAT_NEWEST_ALWAYS=1 runs them anyway.
pinned_py="${LANGCHAIN_COMPAT_VENV:-$root/.venv}/bin/python"
if [ "${LANGCHAIN_COMPAT_NEWEST_ALWAYS:-}" != "1" ] && [ -x "$pinned_py" ]; then
  newest_set=$("$vpy" scripts/user_versions.py "$own" 2>&1 || echo "unreadable newest")
  pinned_set=$("$pinned_py" scripts/user_versions.py "$own" 2>&1 || echo "unreadable pinned")
  if [ "$newest_set" = "$pinned_set" ]; then
    say "the newest releases are the pinned ones: all $(printf '%s\n' "$newest_set" | wc -l) distributions a user gets"
    say "(the package's runtime closure with [$own], langchain-openai, langchain, langgraph, and"
    say "langchain-tests) have the versions the pinned stages just tested; pytest would repeat them."
    say "Skipped (LANGCHAIN_COMPAT_NEWEST_ALWAYS=1 runs it anyway). Stage took $(( $(date +%s) - t0 )) s"
    exit 0
  fi
  say "newer than the pinned venv (pinned -> newest):"
  diff <(printf '%s\n' "$pinned_set") <(printf '%s\n' "$newest_set") \
    | awk '/^[<>]/ {print "[newest]   " $0}' || true
fi

read -r -a selection <<< "${LANGCHAIN_COMPAT_NEWEST_TESTS:-tests --ignore=tests/docs --ignore=tests/bench --ignore=tests/local}"
source "$root/scripts/test-workers.sh"
xdist_options "$vpy"
say "pytest ${parallel[*]} ${selection[*]} $* (LANGCHAIN_COMPAT_NO_LOCAL=1)"
set +e
LANGCHAIN_COMPAT_NO_LOCAL=1 "$vpy" -m pytest -q -ra -p no:randomly -p no:cacheprovider \
  --timeout="${PYTEST_TIMEOUT:-900}" "${parallel[@]}" "${selection[@]}" "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  say "no tests were collected (pytest exit 5); not a failure"
  rc=0
fi
say "pytest exit code $rc (stage took $(( $(date +%s) - t0 )) s)"
exit "$rc"
