#!/usr/bin/env bash
# bench/lab_ttfb.sh [COUNT]: time to first byte in the NAT lab (tests/lab),
# through an stcp visitor against the references, from c2 (behind nat2,
# symmetric) to tcp_echo services; COUNT fresh connections one after another
# per path (default 500), p50/p99 from tests/tools/conn_latency:
#   srv echo   c2 → an echo on srv itself (the visitor's first leg alone)
#   tcp proxy  c2 → srv:6000 → work conn → c1's echo (burrow tcp, TLS)
#   stcp       c2 → the visitor's 127.0.0.1:7100 → srv → c1's echo (TLS + e2e)
# The owner runs in c1 behind nat1 (port-restricted). Needs root; the lab's
# links add no delay, so the differences are burrow's own. Env: BURROW_BUILD
# (default ./build). Machines here are shared: compare the differences.
set -u
cd "$(dirname "$0")/.."
export BURROW_BUILD=${BURROW_BUILD:-$PWD/build}
N=${1:-500}
. tests/lab/lab.sh
. tests/lab/burrow.sh
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
LAT=$(lab_tool conn_latency) || exit 1
lab_up port-restricted symmetric >/dev/null 2>&1 || lab_fail "lab_up"
lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_bg srv "$LAB_TMP/srv-echo.log" "$ECHO" -b 203.0.113.10 9100
lab_wait_port c1 tcp 192.168.1.10 9000 5 && lab_wait_port srv tcp 203.0.113.10 9100 5 || lab_fail "echo"
token=$(brw_token)
BRW_LOG_LEVEL=info # the server's start is seen by its info line; clients log warnings only
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token"
brw_proxy "$LAB_TMP/owner.toml" echo tcp 192.168.1.10 9000 6000
printf '\n[[proxies]]\nname = "secho"\ntype = "stcp"\nsecretKey = "k"\nlocalIP = "192.168.1.10"\nlocalPort = 9000\n' \
    >>"$LAB_TMP/owner.toml"
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
printf '\n[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "secho"\nsecretKey = "k"\nbindPort = 7100\n' \
    >>"$LAB_TMP/visitor.toml"
sed -i 's/^log.level = .*/log.level = "warn"/' "$LAB_TMP/owner.toml" "$LAB_TMP/visitor.toml"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
lab_wait_port srv tcp "$SRV_ADDR" 6000 15 || lab_fail "tcp proxy"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
lab_wait_port c2 tcp 127.0.0.1 7100 10 || lab_fail "visitor port"
sleep 1 # pools fill
lab_exec c2 "$LAT" 127.0.0.1 7100 20 >/dev/null # warm-up (TLS session cache)
printf '| path (from c2, %s conns) | TTFB p50 (µs) | p99 (µs) | failed |\n|---|---|---|---|\n' "$N"
for spec in "srv echo:$SRV_ADDR:9100" "tcp proxy:$SRV_ADDR:6000" "stcp via visitor:127.0.0.1:7100"; do
    IFS=: read -r name host port <<<"$spec"
    out=$(lab_exec c2 "$LAT" "$host" "$port" "$N")
    p50=$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$out")
    p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
    printf '| %s | %s | %s | %s |\n' "$name" "$p50" "$p99" "$failed"
done
