# Sourced by test.sh and test-newest.sh: `xdist_options PYTHON` sets the array `parallel`,
# the pytest-xdist options for that interpreter's pytest.
# Workers: LANGCHAIN_COMPAT_TEST_WORKERS, else the cores this process may use, at most 4
# (each worker starts its own PostgreSQL, Redis and e5 servers where its tests ask for them).
# 1 worker, or a venv without pytest-xdist, runs the tests in one process in file order.
xdist_options() {
  local workers="${LANGCHAIN_COMPAT_TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
  if [ -z "${LANGCHAIN_COMPAT_TEST_WORKERS:-}" ] && [ "$workers" -gt 4 ]; then workers=4; fi
  parallel=()
  if [ "$workers" -gt 1 ] && "$1" -c "import xdist" 2>/dev/null; then
    parallel=(-n "$workers" --dist loadgroup)
  fi
}
