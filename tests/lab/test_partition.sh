#!/usr/bin/env bash
# test_partition: a client serving a tcp proxy loses its path to the server
# for PART_S seconds (nat1 drops everything it forwards), with the default
# heartbeat (30 s / 90 s). The client must notice the dead path by itself
# within CLIENT_USER_TIMEOUT_MS-ish (TCP keepalive / TCP_USER_TIMEOUT,
# logged reason=path-timeout, long before the 90 s heartbeat), probe the
# server every 1-2 s while the path is down, and once the rule is lifted log
# in again and serve the proxy within 5 s (measured from the lift, printed).
# Users keep trying the proxy during the outage, which uses up the idle work
# conns: without the fix the tunnel then waits for the stalled control
# connection's retransmissions (or the 90 s heartbeat) to get new ones.
# The server still holds the old session (its heartbeat timeout is 90 s): the
# new login must replace it (or the proxy would be refused).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

PART_S=${PART_S:-30}  # length of the partition
DETECT_S=25           # keepalive 5 s + user timeout 15 s, plus slack for a loaded machine
BACK_MS=5000          # from the lift to a served probe
now_ms() { echo $(($(date +%s%N) / 1000000)); }

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 2 65536 2>&1) || lab_fail "before: $out"
lab_pass "before the partition: ${out##*$'\n'}"

lab_exec nat1 nft insert rule ip natlab forward counter drop comment '"partition"' ||
    lab_fail "cannot add the drop rule"
t0=$(now_ms)
lab_pass "nat1 drops everything it forwards for $PART_S s"
lab_wait_log "$LAB_TMP/client.log" 'disconnected.*reason=path-timeout' "$DETECT_S" ||
    lab_fail "client did not notice the dead path within $DETECT_S s"
lab_pass "client noticed the dead path after $(($(now_ms) - t0)) ms (heartbeat timeout is 90 s)"
lab_wait_log "$LAB_TMP/client.log" 'reconnecting in.*probing=yes' 5 ||
    lab_fail "client is not probing"
# Users keep trying during the outage (each attempt takes an idle work conn
# on the server, as in real life); they fail, and must not delay the return.
tries=0
while [ $(($(now_ms) - t0)) -lt $((PART_S * 1000)) ]; do
    lab_exec user "$BLAST" -t 1 203.0.113.10 6080 1 64 >/dev/null 2>&1
    tries=$((tries + 1))
    sleep 0.5
done
probes=$(lab_count_log "$LAB_TMP/client.log" 'connecting to server=.*attempt=')
dropped=$(lab_exec nat1 nft list chain ip natlab forward | sed -n 's/.*counter packets \([0-9]*\).*partition.*/\1/p')
[ "${dropped:-0}" -gt 0 ] || lab_fail "the drop rule matched no packets: the partition was not real"
lab_pass "during the partition: $probes connection attempts by the client, $tries user attempts, $dropped packets dropped"
if lab_count_log "$LAB_TMP/server.log" 'client session ended' | grep -qv '^0$'; then
    lab_log "server ended the session during the partition (fine, but not expected at 90 s)"
fi

logins=$(lab_count_log "$LAB_TMP/client.log" 'login ok')
handle=$(lab_exec nat1 nft -a list chain ip natlab forward | sed -n 's/.*"partition".*# handle \([0-9]*\).*/\1/p')
[ -n "$handle" ] || lab_fail "cannot find the drop rule's handle"
lab_exec nat1 nft delete rule ip natlab forward handle "$handle" || lab_fail "cannot delete the drop rule"
t1=$(now_ms)
lab_pass "path restored"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 10 $((logins + 1)) || lab_fail "client did not log in again"
login_ms=$(($(now_ms) - t1))
lab_pass "control connection re-established $login_ms ms after the lift"
ok=
while [ $(($(now_ms) - t1)) -lt 15000 ]; do
    if out=$(lab_exec user "$BLAST" -t 1 203.0.113.10 6080 1 4096 2>&1); then ok=1; break; fi
    sleep 0.1
done
served_ms=$(($(now_ms) - t1))
[ -n "$ok" ] || lab_fail "no probe through the proxy succeeded within 15 s of the lift: $out"
lab_pass "probe through the proxy served $served_ms ms after the lift"
[ "$login_ms" -le "$BACK_MS" ] || lab_fail "re-login took $login_ms ms, want <= $BACK_MS"
[ "$served_ms" -le "$BACK_MS" ] || lab_fail "proxy served after $served_ms ms, want <= $BACK_MS"
grep -q 'client session ended.*reason=replaced-by-new-login\|client session ended' "$LAB_TMP/server.log" &&
    lab_pass "server: $(grep 'client session ended' "$LAB_TMP/server.log" | tail -1 | cut -c25-160)"
grep -E 'disconnected|probing|still unreachable|no connection within|login ok' "$LAB_TMP/client.log" |
    tail -n 8 | cut -c1-150 | sed 's/^/  client: /'
lab_alive "$client_pid" || lab_fail "the client process exited"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_partition (path-timeout after partition start; login ${login_ms} ms, served ${served_ms} ms after the lift)"
