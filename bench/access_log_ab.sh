#!/usr/bin/env bash
# bench/access_log_ab.sh [ROUNDS=3]: what the server's access log (one INFO
# line per relayed connection, log.accessLog) costs. On 127.0.0.1, a server
# and a client (TLS) relay a tcp proxy to an echo server and to iperf3; each
# round runs the same load with log.accessLog = true and = false, interleaved
# (the machine is shared: compare the pairs, not the absolute figures):
#   - conn_latency: BENCH_CONNS (2000) new connections, one after another,
#     time to first byte p50/p99 (every one is an access line);
#   - iperf3: 1 stream, BENCH_SECONDS (3) s, Gbit/s (one line in all).
# The server logs to a file, as a service would. Prints one line per run.
set -u
ROUNDS=${1:-3}
B=${BENCH_BUILD:-build}
N=${BENCH_CONNS:-2000}
DUR=${BENCH_SECONDS:-3}
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 100); do ss -ltn "sport = :$1" | grep -q LISTEN && return 0; sleep 0.05; done; return 1; }

"$B/tcp_echo" 27711 >/dev/null 2>&1 & PIDS+=($!)
iperf3 -s -p 27712 >/dev/null 2>&1 & PIDS+=($!)
wait_port 27711 && wait_port 27712 || { echo "services did not start" >&2; exit 1; }

# run ON|OFF: one server+client pair, both loads, one result line.
run() {
    local on=$1 sp cp
    rm -f "$T/server-$on.log"
    cat >"$T/s.toml" <<EOF
bindAddr = "127.0.0.1"
bindPort = 27700
auth.token = "bench"
log.to = "$T/server-$on.log"
log.accessLog = $on
EOF
    cat >"$T/c.toml" <<EOF
serverAddr = "127.0.0.1"
serverPort = 27700
auth.token = "bench"
transport.poolCount = 8
log.to = "$T/client.log"
[[proxies]]
name = "echo"
type = "tcp"
localPort = 27711
remotePort = 27721
[[proxies]]
name = "iperf"
type = "tcp"
localPort = 27712
remotePort = 27722
EOF
    "$B/burrow" server -c "$T/s.toml" --state-dir "$T" & sp=$!
    wait_port 27700 || return 1
    "$B/burrow" client -c "$T/c.toml" --state-dir "$T" & cp=$!
    wait_port 27721 && wait_port 27722 || return 1
    sleep 0.5
    local lat gbit lines
    lat=$("$B/conn_latency" 127.0.0.1 27721 "$N")
    gbit=$(iperf3 -c 127.0.0.1 -p 27722 -t "$DUR" -J | python3 -c \
        'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))')
    kill "$cp" "$sp"
    wait "$cp" "$sp" 2>/dev/null
    lines=$(grep -c ' access ' "$T/server-$on.log")
    echo "accessLog=$on $lat iperf3_gbit=$gbit access_lines=$lines"
}

for r in $(seq "$ROUNDS"); do
    run true
    run false
done
