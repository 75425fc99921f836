#!/usr/bin/env bash
# test.sh: builds burrow with gcc and with clang (warnings are errors), runs
# every test (unit, fuzz-corpus replay, NAT lab end to end), then runs the
# whole suite again in an ASan+UBSan build. Needs root for the NAT lab.
# Tests labelled `long` (e.g. the 90 s camera stream) are left out; run them
# with `ctest --test-dir build -L long`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

jobs=$(nproc)
run_suite() { # build-dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DBURROW_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  # Two tests at a time: lab tests spend most of their time waiting (timeouts,
  # NAT mappings expiring) and each runs in its own per-pid namespaces, so
  # they can overlap; this halves the suite's wall time on 2 cores.
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" -LE long
}

echo "== gcc build: all tests"
run_suite build -DCMAKE_C_COMPILER=gcc
echo "== clang build: compile check (with the libFuzzer targets)"
cmake -S . -B build-clang -DBURROW_WERROR=ON -DCMAKE_C_COMPILER=clang -DBURROW_FUZZ=ON >/dev/null
cmake --build build-clang -j"$jobs"
echo "== ASan+UBSan build: all tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build-asan -DCMAKE_C_COMPILER=clang -DBURROW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== all suites passed"
