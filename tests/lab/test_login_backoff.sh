#!/usr/bin/env bash
# test_login_backoff: wrong-token logins are throttled per source. From c1
# (behind nat1, so the server sees nat1's address), 8 logins with a wrong
# token in a row: the first ones are refused as "wrong token", then the
# source is barred ("too many failed logins ... retry in N s") and the server
# logs the back-off once. A failure after the bar lapses doubles it. Another
# source (user) still logs in meanwhile. Then the real client, behind the
# same address, logs in once the back-off has passed and serves its tunnel.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"
WIRE="$(dirname "$0")/brw_wire.py"

token=$(brw_token)
BRW_LOG_LEVEL=info brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
out=$(lab_exec c1 timeout 30 python3 "$WIRE" logins "$SRV_ADDR" "$SRV_PORT" "wrong-$token" 8)
wrong=$(grep -c 'wrong token' <<<"$out")
barred=$(grep -c 'too many failed logins' <<<"$out")
echo "$out" | sort | uniq -c
[ "$wrong" -ge 3 ] && [ "$wrong" -le 4 ] || lab_fail "want 3-4 'wrong token' refusals before the bar, got $wrong"
[ "$barred" -ge 4 ] || lab_fail "want the rest barred, got $barred"
lab_wait_log "$LAB_TMP/server.log" 'login back-off peer=203\.0\.113\.21:[0-9]+ failures=4 backoff_ms=2000' 5 ||
    lab_fail "server did not log the back-off"
lab_wait_log "$LAB_TMP/server.log" 'login refused peer=203\.0\.113\.21:[0-9]+ reason=login-backoff' 5 ||
    lab_fail "server did not log a barred login"
lab_pass "8 wrong logins: $wrong refused as wrong, $barred barred; $(grep -m1 'login back-off' "$LAB_TMP/server.log" | cut -c25-)"
out=$(lab_exec user timeout 10 python3 "$WIRE" logins "$SRV_ADDR" "$SRV_PORT" "$token" 1)
[ "$out" = ok ] || lab_fail "another source could not log in: $out"
lab_pass "another source (user) logs in meanwhile"

# The bar lapses after 2 s; the next failure bars for 4 s.
t0=$SECONDS
while :; do
    out=$(lab_exec c1 timeout 10 python3 "$WIRE" logins "$SRV_ADDR" "$SRV_PORT" "wrong-$token" 1)
    case $out in *'wrong token'*) break ;; esac
    [ $((SECONDS - t0)) -lt 10 ] || lab_fail "still barred after 10 s: $out"
    sleep 0.2
done
out=$(lab_exec c1 timeout 10 python3 "$WIRE" logins "$SRV_ADDR" "$SRV_PORT" "wrong-$token" 1)
case $out in *'retry in 4 s'*) ;; *) lab_fail "second bar is not 4 s: $out" ;; esac
lab_pass "after the bar lapsed, one more failure bars for 4 s: $out"

# The real client behind the same NAT address gets in after the back-off.
lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
t0=$SECONDS
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 ||
    lab_fail "the real client did not get in after the back-off"
refusals=$(lab_count_log "$LAB_TMP/client.log" 'too many failed logins')
lab_pass "the real client logged in $((SECONDS - t0)) s after start ($refusals refusal(s) while barred)"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 65536 2>&1) || lab_fail "tunnel: $out"
lab_pass "tunnel works: ${out##*$'\n'}"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_login_backoff"
