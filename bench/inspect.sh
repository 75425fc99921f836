#!/usr/bin/env bash
# bench/inspect.sh: what the HTTP inspector costs. Two burrow vhost tunnels
# on 127.0.0.1 to the same nginx (1 KiB file), one plain http proxy and one
# with inspect = true (every exchange recorded: heads and bodies into the
# 16 MiB ring); wrk with 64 keep-alive connections against each, rounds
# alternating, medians reported with the client's CPU seconds per 100k
# requests. Also one run while the inspector's list API is polled every
# second. Env: BENCH_BUILD (default ./build), BENCH_SECONDS (default 5),
# BENCH_REPEAT (default 3). Shared machines are noisy: compare the two rows.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/paths.sh"
exec 8>/tmp/.burrow-bench.lock
flock -w 900 8 || say "another bench holds the lock: running anyway"
WORK=$(mktemp -d /tmp/burrow-bench.XXXXXX)
RESULTS=$WORK/results.tsv
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
B=${BENCH_BUILD:-$ROOT/build}
BIN=$B
DUR=${BENCH_SECONDS:-5}
REPEAT=${BENCH_REPEAT:-3}
BENCH_POOL=${BENCH_POOL:-4}
CLK_TCK=$(getconf CLK_TCK)
cmake --build "$B" --target burrow tcp_echo >/dev/null

start_services
start_burrow off true "http" vhost
start_burrow on true "http" vhost-inspect
IPORT=$(sed -n 's/^inspector.port = //p' "$WORK/on/client.toml")
curl -fsS "http://127.0.0.1:$IPORT/api/requests?limit=1" >/dev/null || { say "no inspector"; exit 1; }

wrk_run() { # NAME: "requests/s client-cpu-ticks requests"
  local name=$1 c0 c1
  c0=$(cpu_ticks $(cli_pids "$name"))
  wrk -t 2 -c 64 -d "${DUR}s" -H "Host: bench.example" "http://127.0.0.1:${P_HTTP[$name]}/1k.bin" \
    >"$WORK/wrk.txt" 2>&1
  c1=$(cpu_ticks $(cli_pids "$name"))
  local rps n
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
  n=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
  echo "$rps $((c1 - c0)) $n"
}
declare -A RPS CPU
for ((rep = 1; rep <= REPEAT; rep++)); do
  for name in off on; do
    say "wrk $name (round $rep of $REPEAT)"
    read -r rps t n < <(wrk_run "$name")
    RPS[$name]+="$rps "
    CPU[$name]+="$(python3 -c "print('%.2f' % ($t / $CLK_TCK / ($n / 1e5)))") "
  done
done
say "wrk on, with the inspector's list polled every second"
( while :; do curl -fsS -o /dev/null "http://127.0.0.1:$IPORT/api/requests?limit=100"; sleep 1; done ) &
poller=$!
read -r rps_polled _ _ < <(wrk_run on)
kill "$poller"
stored=$(curl -fsS "http://127.0.0.1:$IPORT/api/requests?limit=1" |
  python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["stored"], "stored,", j["evicted"], "evicted,", j["bytes"], "bytes")')
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
off=$(median <<<"${RPS[off]}"); on=$(median <<<"${RPS[on]}")
printf '| http proxy (vhost, 64 conns, 1 KiB) | requests/s (median of %s) | client CPU s per 100k requests |\n|---|---|---|\n' "$REPEAT"
printf '| inspect off | %s | %s |\n' "$off" "$(median <<<"${CPU[off]}")"
printf '| inspect on | %s (%s%%) | %s |\n' "$on" "$(python3 -c "print('%+.1f' % (($on / $off - 1) * 100))")" "$(median <<<"${CPU[on]}")"
printf '| inspect on, list polled every second | %s |  |\n' "$rps_polled"
printf '\nrounds: off %s; on %s. The ring after the runs: %s.\n' "${RPS[off]}" "${RPS[on]}" "$stored"
