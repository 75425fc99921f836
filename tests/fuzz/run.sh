#!/bin/sh
# Runs libFuzzer targets one after another, each for SECONDS (default 120),
# one job each; new inputs go to tests/fuzz/out/<target>/ (never into the
# committed corpus), crashes to tests/fuzz/out/<target>-crash-*.
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DBURROW_FUZZ=ON
#   cmake --build build-fuzz -j2
#   tests/fuzz/run.sh build-fuzz 120 fuzz_server_gate fuzz_client ...
set -eu
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}
secs=${2:-120}
shift $(($# < 2 ? $# : 2))
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
[ $# -gt 0 ] || set -- $(cd "$src/corpus" && ls)
mkdir -p "$src/out"
for t in "$@"; do
    mkdir -p "$src/out/$t"
    (cd "$src/out" && "$build/$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$t-" "$t" "$src/corpus/$t" >"$t.log" 2>&1) || echo "$t: FAILED (see tests/fuzz/out/$t.log)"
    printf '%s: %s\n' "$t" "$(grep -E '^stat::number_of_executed_units|^Done' "$src/out/$t.log" | tr '\n' ' ')"
done
