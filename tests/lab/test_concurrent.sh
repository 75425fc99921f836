#!/usr/bin/env bash
# test_concurrent (f): 200 concurrent connections from user through a burrow
# tcp proxy to tcp_echo in c1, 1 MiB of distinct pseudo-random data each way
# per connection, every byte verified (tcp_blast).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
# info level: 200 connections' worth of debug lines are not needed here
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
lab_pass "proxy echo on srv:6080"

out=$(lab_exec user "$BLAST" -t 45 203.0.113.10 6080 200 1048576 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  tcp_blast: /'
[ "$rc" = 0 ] || lab_fail "200 concurrent connections: ${out##*$'\n'}"
lab_pass "200 concurrent connections x 1 MiB verified: ${out##*$'\n'}"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_concurrent"
