#!/usr/bin/env bash
# bench/lab_p2p.sh [SECONDS [ROUNDS]]: the benchmark's P2P row (issue #11):
# throughput and CPU seconds per GB of xtcp over QUIC on the direct (punched)
# path, against a burrow tcp proxy and a direct TCP connection, in the NAT
# lab (tests/lab), as root. xtcp needs two NATed hosts and a server apart,
# which bench/run.sh's 127.0.0.1 setup does not have: hence this script.
# The owner runs in c1 behind nat1, the visitor in c2 behind nat2, both
# port-restricted (a direct path in ~0.1 s); iperf3 -s in c1. From c2, one
# iperf3 stream each way, SECONDS per run (default 5), median of ROUNDS
# (default 3):
#   direct      c2 -> nat1's port forward 203.0.113.21:5201 -> c1 (no burrow;
#               the same routers and links as the punched path)
#   tcp proxy   c2 -> srv:6000 -> the owner's work connection (TLS) -> c1
#   xtcp        c2 -> the visitor's 127.0.0.1:7200 -> QUIC, direct path -> c1
# CPU s/GB: utime+stime of the burrow processes on the path (server + owner;
# xtcp: + visitor) over the bytes iperf3 received, both directions pooled.
# The lab's links add no delay and no cap. Env: BURROW_BUILD (default
# ./build). Machines here are shared: compare the ratios.
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
lab_up port-restricted port-restricted >/dev/null 2>&1 || lab_fail "lab_up"
lab_srv_alt || lab_fail "second server address"
lab_bg c1 "$LAB_TMP/iperf.log" iperf3 -s -B 192.168.1.10 -p 5201
lab_wait_port c1 tcp 192.168.1.10 5201 5 || lab_fail "iperf3 -s"
# the reference: a port forward on nat1 (a router rule, no burrow)
lab_exec nat1 nft -f - <<'EOF' || lab_fail "port forward on nat1"
table ip portfwd {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" tcp dport 5201 dnat ip to 192.168.1.10
  }
}
EOF
lab_exec nat1 nft insert rule ip natlab forward ct status dnat accept || lab_fail "forward rule on nat1"

token=$(brw_token)
BRW_LOG_LEVEL=info
brw_server_conf "$LAB_TMP/frps.toml" "$token" 'natDiscovery.altAddr = "203.0.113.11"'
brw_client_conf "$LAB_TMP/owner.toml" "$token"
brw_proxy "$LAB_TMP/owner.toml" iperf tcp 192.168.1.10 5201 6000
printf '\n[[proxies]]\nname = "p2p"\ntype = "xtcp"\nsecretKey = "k"\nlocalIP = "192.168.1.10"\nlocalPort = 5201\n' \
    >>"$LAB_TMP/owner.toml"
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
printf '\n[[visitors]]\nname = "v"\ntype = "xtcp"\nserverName = "p2p"\nsecretKey = "k"\nbindPort = 7200\nkeepTunnelOpen = true\n' \
    >>"$LAB_TMP/visitor.toml"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server"
SRV_PID=$BRW_SERVER_PID
brw_start_client c1 owner "$LAB_TMP/owner.toml"; OWNER_PID=$LAB_LAST_PID
lab_wait_port srv tcp "$SRV_ADDR" 6000 15 || lab_fail "tcp proxy"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"; VISITOR_PID=$LAB_LAST_PID
lab_wait_port c2 tcp 127.0.0.1 7200 10 || lab_fail "visitor port"
lab_wait_log "$LAB_TMP/visitor.log" "xtcp quic path=direct" 15 || lab_fail "xtcp: no direct path"

cpu_ticks() { # PID...: utime+stime, summed (fields after the last ')')
    local p s=0 t
    for p in "$@"; do
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
        s=$((s + ${t:-0}))
    done
    echo "$s"
}
# iperf_run HOST PORT ARGS...: "bits_per_second bytes" received, or "fail 0"
iperf_run() {
    local host=$1 port=$2; shift 2
    timeout $((DUR + 30)) ip netns exec "$(lab_ns c2)" iperf3 -c "$host" -p "$port" -t "$DUR" -J "$@" \
        >"$LAB_TMP/iperf.json" 2>&1
    python3 - "$LAB_TMP/iperf.json" <<'EOF' || echo "fail 0"
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.0f %.0f" % (s["bits_per_second"], s["bytes"]))
EOF
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "fail"}'; }

declare -A UP DOWN TICKS BYTES
PATHS=(direct tcp xtcp)
declare -A HOST=([direct]=203.0.113.21 [tcp]=$SRV_ADDR [xtcp]=127.0.0.1)
declare -A PORT=([direct]=5201 [tcp]=6000 [xtcp]=7200)
declare -A PIDS=([direct]="" [tcp]="$SRV_PID $OWNER_PID" [xtcp]="$SRV_PID $OWNER_PID $VISITOR_PID")
declare -A NAME=([direct]="direct TCP (port forward on nat1)" [tcp]="burrow tcp proxy via srv (TLS)"
    [xtcp]="burrow xtcp, QUIC on the direct path")
for ((r = 1; r <= ROUNDS; r++)); do
    for p in "${PATHS[@]}"; do
        for dir in up down; do
            args=()
            [ $dir = down ] && args=(-R)
            c0=$(cpu_ticks ${PIDS[$p]})
            split0=$(for q in ${PIDS[$p]}; do cpu_ticks "$q"; done)
            read -r bps bytes < <(iperf_run "${HOST[$p]}" "${PORT[$p]}" "${args[@]}")
            c1=$(cpu_ticks ${PIDS[$p]})
            split1=$(for q in ${PIDS[$p]}; do cpu_ticks "$q"; done)
            # CPU ticks per process (server, owner[, visitor]), to see who pays
            lab_log "round $r $p $dir: $bps bit/s, ticks per process: $(paste -d- <(echo "$split1") <(echo "$split0") | bc | tr '\n' ' ')"
            if [ $dir = up ]; then UP[$p]+=" $bps"; else DOWN[$p]+=" $bps"; fi
            [ "$bps" = fail ] && continue
            TICKS[$p]=$(( ${TICKS[$p]:-0} + c1 - c0 ))
            BYTES[$p]=$(( ${BYTES[$p]:-0} + bytes ))
        done
    done
done
grep -q "xtcp quic path=direct" "$LAB_TMP/visitor.log" && ! grep -q "xtcp quic path=relay" "$LAB_TMP/visitor.log" ||
    lab_log "warning: the xtcp pair left the direct path during the runs"

CLK=$(getconf CLK_TCK)
d_up=$(median <<<"${UP[direct]}") d_down=$(median <<<"${DOWN[direct]}")
printf '| path (c2 → c1, 1 stream, %s s, median of %s) | to service (Mbit/s) | from service (Mbit/s) | CPU s per GB (burrow processes) |\n' "$DUR" "$ROUNDS"
printf '|---|---|---|---|\n'
for p in "${PATHS[@]}"; do
    up=$(median <<<"${UP[$p]}") down=$(median <<<"${DOWN[$p]}")
    cpu="—"
    if [ "$p" != direct ] && [ "${BYTES[$p]:-0}" -gt 0 ]; then
        cpu=$(awk -v t="${TICKS[$p]}" -v c="$CLK" -v b="${BYTES[$p]}" 'BEGIN { printf "%.2f", t / c / (b / 1e9) }')
    fi
    awk -v n="${NAME[$p]}" -v u="$up" -v d="$down" -v du="$d_up" -v dd="$d_down" -v c="$cpu" 'BEGIN {
        if (u == "fail" || d == "fail") { printf "| %s | %s | %s | %s |\n", n, u, d, c; exit }
        printf "| %s | %.0f (%.0f%%) | %.0f (%.0f%%) | %s |\n", n, u / 1e6, 100 * u / du, d / 1e6, 100 * d / dd, c }'
done
printf '\nRun %s at %s on a shared machine (2 cores): `bench/lab_p2p.sh %s %s`.\n' \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$DUR" "$ROUNDS"
