#!/usr/bin/env bash
# test_reconnect (c): kill -9 the server, restart it with the same state dir
# (same certificate, so the client's pinned fingerprint still matches). The
# same client process logs `reconnecting in`, then `login ok` and
# `proxy registered` again, and tunnelled connections work again.
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
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server1.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server1.log" echo tcp 6080 || lab_fail "proxy not registered"
out=$(lab_exec user "$BLAST" -t 20 203.0.113.10 6080 4 262144 2>&1) || lab_fail "before restart: $out"
lab_pass "before restart: ${out##*$'\n'}"

lab_kill "$BRW_SERVER_PID" KILL
lab_pass "server killed with SIGKILL"
lab_wait_log "$LAB_TMP/client.log" 'reconnecting in' 20 || lab_fail "client did not log 'reconnecting in'"
lab_pass "client logs: $(grep -m1 'reconnecting in' "$LAB_TMP/client.log" | cut -c1-120)"
if out=$(lab_exec user "$BLAST" -t 3 203.0.113.10 6080 1 1024 2>&1); then
    lab_fail "srv:6080 still answers with the server dead: $out"
fi
lab_pass "srv:6080 is down while the server is"

brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server2.log" || lab_fail "server did not restart"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 30 2 || lab_fail "client did not log in again"
lab_wait_log "$LAB_TMP/server2.log" 'client logged in' 5 || lab_fail "restarted server did not log the login"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server2.log" echo tcp 6080 2 || lab_fail "proxy not registered again"
lab_alive "$client_pid" || lab_fail "the client process exited"
fp() { sed -n 's/.*tls certificate fingerprint=\([^ ]*\).*/\1/p' "$1" | head -n1; }
fp1=$(fp "$LAB_TMP/server1.log") fp2=$(fp "$LAB_TMP/server2.log")
[ -n "$fp1" ] && [ "$fp1" = "$fp2" ] || lab_fail "certificate changed across the restart: '$fp1' vs '$fp2'"
lab_pass "restarted server kept its certificate ($fp1)"
lab_wait_log "$LAB_TMP/client.log" 'login ok.*tls=yes' 1 2 || lab_fail "second login was not over TLS"
lab_pass "same client process logged in again and re-registered the proxy"
out=$(lab_exec user "$BLAST" -t 20 203.0.113.10 6080 4 262144 2>&1) || lab_fail "after restart: $out"
lab_pass "after restart: ${out##*$'\n'}"
echo "PASS test_reconnect"
