#!/usr/bin/env bash
# test_heartbeat_loss: short heartbeats (interval 1 s, timeout 3 s on both
# sides). nat1 silently drops everything it forwards (an nft drop rule at the
# head of its forward chain): the server ends the session with
# reason=heartbeat-timeout within timeout+2 s and stops listening on the
# public port; the client logs `disconnected ... reason=heartbeat-timeout` and
# `reconnecting in`. Once the rule is removed the same client process logs in
# again, re-registers the proxy, and the port carries data again.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

HB_TIMEOUT=3
# conf_set FILE KEY VALUE: replace the top-level `KEY = ...` line or append it.
conf_set() {
    if grep -q "^$2 = " "$1"; then sed -i "s|^$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
port_listening() { lab_exec srv ss -Hltn "sport = :$1" | grep -q .; }

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
conf_set "$LAB_TMP/frps.toml" transport.heartbeatTimeout "$HB_TIMEOUT"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
conf_set "$LAB_TMP/frpc.toml" transport.heartbeatInterval 1
conf_set "$LAB_TMP/frpc.toml" transport.heartbeatTimeout "$HB_TIMEOUT"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 65536 2>&1) || lab_fail "before: $out"
lab_pass "before the loss: ${out##*$'\n'}"
# Heartbeats keep an idle session alive well past the timeout.
sleep $((HB_TIMEOUT + 2))
if grep -q 'client session ended' "$LAB_TMP/server.log"; then lab_fail "idle session ended despite heartbeats"; fi
if grep -q 'disconnected' "$LAB_TMP/client.log"; then lab_fail "idle client disconnected despite heartbeats"; fi
lab_pass "idle for $((HB_TIMEOUT + 2)) s with heartbeats: session stays up"

lab_exec nat1 nft insert rule ip natlab forward counter drop comment '"hbloss"' || lab_fail "cannot add the drop rule"
t0=$(now_ms)
lab_pass "nat1 now drops everything it forwards"
lab_wait_log "$LAB_TMP/server.log" 'client session ended.*reason=heartbeat-timeout' $((HB_TIMEOUT + 6)) ||
    lab_fail "server did not end the session with reason=heartbeat-timeout"
dt=$(($(now_ms) - t0))
[ "$dt" -le $(((HB_TIMEOUT + 2) * 1000)) ] ||
    lab_fail "server ended the session after $dt ms, want <= $(((HB_TIMEOUT + 2) * 1000))"
lab_pass "server ended the session after $dt ms: $(grep -m1 'client session ended' "$LAB_TMP/server.log" | cut -c25-160)"
deadline=$((SECONDS + 3))
while port_listening 6080; do
    [ "$SECONDS" -lt "$deadline" ] || lab_fail "srv still listens on 6080 after the session ended"
    sleep 0.05
done
lab_pass "srv no longer listens on 6080 ($(lab_exec srv ss -Hltn | wc -l) tcp listeners left)"
lab_wait_log "$LAB_TMP/client.log" 'disconnected.*reason=heartbeat-timeout' $((HB_TIMEOUT + 3)) ||
    lab_fail "client did not log 'disconnected ... reason=heartbeat-timeout'"
lab_pass "client: $(grep -m1 'disconnected' "$LAB_TMP/client.log" | cut -c25-160)"
lab_wait_log "$LAB_TMP/client.log" 'reconnecting in' 5 || lab_fail "client did not log 'reconnecting in'"
dropped=$(lab_exec nat1 nft list chain ip natlab forward | sed -n 's/.*counter packets \([0-9]*\).*hbloss.*/\1/p')
[ "${dropped:-0}" -gt 0 ] || lab_fail "the drop rule matched no packets: the loss was not real"
lab_pass "the drop rule ate $dropped packets"

# Restore the path.
handle=$(lab_exec nat1 nft -a list chain ip natlab forward | sed -n 's/.*"hbloss".*# handle \([0-9]*\).*/\1/p')
[ -n "$handle" ] || lab_fail "cannot find the drop rule's handle"
lab_exec nat1 nft delete rule ip natlab forward handle "$handle" || lab_fail "cannot delete the drop rule"
t1=$(now_ms)
lab_pass "path restored"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 30 2 || lab_fail "client did not log in again"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 2 || lab_fail "proxy not re-registered"
lab_pass "client logged in again and re-registered echo $(($(now_ms) - t1)) ms after the restore"
lab_alive "$client_pid" || lab_fail "the client process exited"
# Order in the client log: disconnected -> reconnecting in -> login ok -> proxy registered.
order=$(grep -nE 'disconnected|reconnecting in|login ok|proxy registered' "$LAB_TMP/client.log" |
    sed -E 's/^([0-9]+):.*(disconnected|reconnecting in|login ok|proxy registered).*/\2/' | uniq | tr '\n' ',')
case $order in
    "login ok,proxy registered,disconnected,reconnecting in,"*"login ok,proxy registered,") ;;
    *) lab_fail "unexpected event order in the client log: $order" ;;
esac
lab_pass "client log order: $order"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 65536 2>&1) || lab_fail "after: $out"
lab_pass "after the restore: ${out##*$'\n'}"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_heartbeat_loss"
