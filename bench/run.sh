#!/usr/bin/env bash
# bench/run.sh: measures, side by side in one run on 127.0.0.1,
#   - TCP throughput (iperf3, 1 stream, 10 s): direct, burrow TLS, burrow plain
#   - time to first byte of a new connection (connect + 1-byte echo): same paths
#   - resident memory of the burrow server and client, idle and after load
# and prints a table with ratios to direct. Machines here are shared and noisy:
# compare ratios, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
B=${BENCH_BUILD:-build}
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-2000}
work=$(mktemp -d /tmp/burrow-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
iperf_gbps() { # port [extra args]
  local port=$1; shift
  iperf3 -c 127.0.0.1 -p "$port" -t "$DUR" -J "$@" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))'
}
wait_log() { for _ in $(seq 1 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; cat "$1" >&2; return 1; }

iperf3 -s -p 15201 -D --logfile "$work/iperf.log"
sleep 0.3
pids+=($(pgrep -f "iperf3 -s -p 15201" | head -1))
$B/tcp_echo 15202 >/dev/null 2>&1 & pids+=($!)

start_tunnel() { # name tls(true|false) ctl_port iperf_pub echo_pub
  local n=$1
  cat > "$work/$n-s.toml" <<EOF2
bindAddr = "127.0.0.1"
bindPort = $3
auth.token = "bench"
EOF2
  cat > "$work/$n-c.toml" <<EOF2
serverAddr = "127.0.0.1"
serverPort = $3
auth.token = "bench"
transport.tls.enable = $2
transport.poolCount = 4
[[proxies]]
name = "iperf"
type = "tcp"
localPort = 15201
remotePort = $4
[[proxies]]
name = "echo"
type = "tcp"
localPort = 15202
remotePort = $5
EOF2
  $B/burrow server -c "$work/$n-s.toml" --state-dir "$work/$n-ss" 2>"$work/$n-s.log" & pids+=($!); eval "${n}_srv=$!"
  wait_log "$work/$n-s.log" listening
  $B/burrow client -c "$work/$n-c.toml" --state-dir "$work/$n-cs" 2>"$work/$n-c.log" & pids+=($!); eval "${n}_cli=$!"
  wait_log "$work/$n-c.log" "name=echo"
}
start_tunnel tls true 15300 15301 15302
start_tunnel plain false 15400 15401 15402
sleep 0.5
tls_idle="$(rss_kb $tls_srv)/$(rss_kb $tls_cli)"
plain_idle="$(rss_kb $plain_srv)/$(rss_kb $plain_cli)"

printf "%-14s %10s %8s %10s %8s %10s %8s\n" path "up_Gbit/s" ratio "down_Gbit/s" ratio "ttfb_p50" "p99(us)"
declare -A up down lat
for path in direct:15201:15202 tls:15301:15302 plain:15401:15402; do
  IFS=: read -r name ip ep <<<"$path"
  up[$name]=$(iperf_gbps "$ip")
  down[$name]=$(iperf_gbps "$ip" -R)
  lat[$name]=$($B/conn_latency 127.0.0.1 "$ep" "$CONNS")
done
for name in direct tls plain; do
  p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"${lat[$name]}")
  p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"${lat[$name]}")
  printf "%-14s %10s %7.0f%% %10s %7.0f%% %10s %8s\n" "$name" "${up[$name]}" \
    "$(python3 -c "print(100*${up[$name]}/${up[direct]})")" "${down[$name]}" \
    "$(python3 -c "print(100*${down[$name]}/${down[direct]})")" "$p50" "$p99"
done
echo
echo "resident memory (KiB, server/client): tls idle $tls_idle, after load $(rss_kb $tls_srv)/$(rss_kb $tls_cli); plain idle $plain_idle, after load $(rss_kb $plain_srv)/$(rss_kb $plain_cli)"
echo "binary: $(stat -c %s $B/burrow) bytes (unstripped, dynamic)"
