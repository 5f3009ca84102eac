#!/usr/bin/env bash
# Time README command 1 (`bash scripts/demo.sh`) the way a newcomer meets it: a fresh clone,
# an empty langchain-compat cache (so llama.cpp is compiled), a new venv, no pip cache.
#
#   bash scripts/measure-first-run.sh [REF] [WORKDIR]
#
# REF (default HEAD) is cloned from this repository into WORKDIR (default a new temp dir,
# removed at the end unless KEEP=1). The shared cache (~/.cache/langchain-compat) is not
# touched: LANGCHAIN_COMPAT_CACHE points into WORKDIR. Prints the bootstrap time, the demo
# time, the total, and the load average before and after (other work on the machine makes
# every figure longer: measure on an idle machine for the final figures).
#
# demo.sh = bootstrap.sh + recipes/demo_chat.py; they are run here one after the other, the
# same thing timed in two parts. When port 8089 is taken (a llama-server already running
# for other work), the demo part runs in a private network namespace (`unshare -n`, needs
# root) so the demo starts its own server exactly as on a fresh machine.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${1:-HEAD}"
work="${2:-$(mktemp -d /tmp/first-run.XXXXXX)}"
[ "${KEEP:-}" = "1" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
load() { cut -d' ' -f1-3 /proc/loadavg; }

git clone -q "$src" "$work/c"
git -C "$work/c" checkout -q "$ref"
export LANGCHAIN_COMPAT_CACHE="$work/cache" PIP_NO_CACHE_DIR=1
unset LANGCHAIN_COMPAT_VENV LANGCHAIN_COMPAT_LOCAL_BASE_URL LANGCHAIN_COMPAT_NO_LOCAL
cd "$work/c"
echo "[measure] $(git log -1 --format='%h %s' | cut -c1-72)"
echo "[measure] cores: $(nproc); load average before: $(load)"

t0=$(date +%s)
bash scripts/bootstrap.sh
t1=$(date +%s)
echo "[measure] bootstrap: $(( t1 - t0 )) s; load average: $(load)"

demo=(.venv/bin/python recipes/demo_chat.py --fresh --db "$work/demo.sqlite")
if (exec 3<>/dev/tcp/127.0.0.1/8089) 2>/dev/null; then
  echo "[measure] port 8089 is taken: the demo runs in a private network namespace"
  unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${demo[@]}"
else
  "${demo[@]}"
fi
t2=$(date +%s)
echo "[measure] demo: $(( t2 - t1 )) s; load average: $(load)"
left="$LANGCHAIN_COMPAT_CACHE/run/server-8089.json"
if [ -f "$left" ]; then
  pid=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$left")
  if kill -0 "$pid" 2>/dev/null; then
    echo "[measure] the demo left its llama-server running (pid $pid): stopping it"
    kill "$pid"
  fi
fi
echo "[measure] README command 1 on a fresh clone: $(( t2 - t0 )) s ($(( (t2 - t0) / 60 )) min $(( (t2 - t0) % 60 )) s)"
