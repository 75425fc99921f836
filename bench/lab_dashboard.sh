#!/usr/bin/env bash
# bench/lab_dashboard.sh [SECONDS [ROUNDS]]: what the dashboard costs the
# tunnel (issue #12), in the NAT lab (tests/lab), as root. iperf3 -s in c1
# behind nat1, published by a burrow tcp proxy on srv:6000; iperf3 -c from
# `user`, one stream each way, SECONDS per run (default 5), median of ROUNDS
# (default 3), three server setups:
#   off      no webServer (the per-proxy counters still run: they always do)
#   idle     webServer on, nobody asks
#   polled   webServer on, /api/serverinfo, /api/proxies, /api/traffic/iperf
#            and /metrics fetched every second from `user` during the run
# Prints Mbit/s up and down and the server's CPU seconds per GB (utime +
# stime over the bytes iperf3 received, both directions pooled). Machines
# here are shared: compare the ratios. Env: BURROW_BUILD (default ./build).
set -u
cd "$(dirname "$0")/.." || exit 1
export BURROW_BUILD=${BURROW_BUILD:-$PWD/build}
DUR=${1:-5}
ROUNDS=${2:-3}
. tests/lab/lab.sh
. tests/lab/burrow.sh
lab_trap
brw_require || exit 1
command -v iperf3 >/dev/null || { echo "iperf3 not installed (scripts/deps.sh)" >&2; exit 1; }
lab_up >/dev/null 2>&1 || lab_fail "lab_up"
lab_bg c1 "$LAB_TMP/iperf.log" iperf3 -s -B 192.168.1.10 -p 5201
lab_wait_port c1 tcp 192.168.1.10 5201 5 || lab_fail "iperf3 -s"
token=$(brw_token)
BRW_LOG_LEVEL=info
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" iperf tcp 192.168.1.10 5201 6000

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
iperf_run() { # ARGS...: "bits_per_second bytes" received, or "fail 0"
    timeout $((DUR + 30)) ip netns exec "$(lab_ns user)" iperf3 -c "$SRV_ADDR" -p 6000 -t "$DUR" -J "$@" \
        >"$LAB_TMP/iperf.json" 2>&1
    python3 - "$LAB_TMP/iperf.json" <<'PY' || echo "fail 0"
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.0f %.0f" % (s["bits_per_second"], s["bytes"]))
PY
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "fail"}'; }
poller() { # fetches the dashboard every second until killed
    while :; do
        for p in /api/serverinfo /api/proxies /api/traffic/iperf /metrics; do
            curl -s -o /dev/null -u admin:pw "http://$SRV_ADDR:7500$p"
        done
        sleep 1
    done
}
start_setup() { # off|idle|polled
    local extra=()
    [ "$1" = off ] || extra=("enablePrometheus = true" "[webServer]" 'addr = "0.0.0.0"' "port = 7500"
        'user = "admin"' 'password = "pw"')
    brw_server_conf "$LAB_TMP/frps-$1.toml" "$token" "${extra[@]}"
    brw_start_server "$LAB_TMP/frps-$1.toml" "$LAB_TMP/server-$1.log" || lab_fail "server ($1)"
    brw_start_client c1 "client-$1" "$LAB_TMP/frpc.toml"
    CLIENT_PID=$LAB_LAST_PID
    lab_wait_port srv tcp "$SRV_ADDR" 6000 15 || lab_fail "tcp proxy ($1)"
    POLL_PID=
    if [ "$1" = polled ]; then
        lab_exec user bash -c "$(declare -f poller); SRV_ADDR=$SRV_ADDR poller" >/dev/null 2>&1 &
        POLL_PID=$!
    fi
}
stop_setup() {
    [ -n "$POLL_PID" ] && { kill "$POLL_PID"; wait "$POLL_PID" 2>/dev/null; }
    kill "$CLIENT_PID" "$BRW_SERVER_PID"
    wait "$CLIENT_PID" "$BRW_SERVER_PID" 2>/dev/null
}

printf '%-8s %12s %12s %10s\n' setup "up Mbit/s" "down Mbit/s" "srv s/GB"
for setup in off idle polled; do
    start_setup "$setup"
    ups="" downs="" ticks=0 bytes=0
    for ((r = 1; r <= ROUNDS; r++)); do
        for dir in up down; do
            args=()
            [ $dir = down ] && args=(-R)
            c0=$(cpu_ticks "$BRW_SERVER_PID")
            read -r bps got < <(iperf_run "${args[@]}")
            c1=$(cpu_ticks "$BRW_SERVER_PID")
            [ "$bps" = fail ] && lab_fail "iperf3 $setup $dir"
            mbps=$(awk -v b="$bps" 'BEGIN {printf "%.0f", b / 1e6}')
            [ $dir = up ] && ups="$ups $mbps" || downs="$downs $mbps"
            ticks=$((ticks + c1 - c0))
            bytes=$(awk -v a="$bytes" -v b="$got" 'BEGIN {printf "%.0f", a + b}')
        done
    done
    hz=$(getconf CLK_TCK)
    sgb=$(awk -v t="$ticks" -v hz="$hz" -v b="$bytes" 'BEGIN {printf "%.2f", t / hz / (b / 1e9)}')
    printf '%-8s %12s %12s %10s\n' "$setup" "$(echo "$ups" | median)" "$(echo "$downs" | median)" "$sgb"
    stop_setup
done
