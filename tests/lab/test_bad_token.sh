#!/usr/bin/env bash
# test_bad_token (d): while a good client (c1) serves a steady stream of
# tunnelled connections, a second client (c2, behind nat2) with a wrong token
# is refused: the server logs `login refused ... reason=bad-token`, the bad
# client logs the refusal and never logs in, its proxy port never opens, and
# the good client's connections keep working during and after.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c2 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.2.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c2 tcp 192.168.2.10 9000 5 || lab_fail "tcp_echo in c2 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/good.toml" "$token"
brw_proxy "$LAB_TMP/good.toml" echo tcp 192.168.1.10 9000 6080
brw_client_conf "$LAB_TMP/bad.toml" "wrong-$token"
brw_proxy "$LAB_TMP/bad.toml" intruder tcp 192.168.2.10 9000 6081
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 good "$LAB_TMP/good.toml"
brw_wait_proxy "$LAB_TMP/good.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "good proxy not registered"
lab_pass "good client registered proxy echo on srv:6080"

# Steady load through the good tunnel until told to stop.
stop="$LAB_TMP/stop-load"
lab_bg user "$LAB_TMP/load.log" bash -c \
    "while [ ! -e '$stop' ]; do '$BLAST' -t 20 203.0.113.10 6080 4 131072 2>&1 | tail -n1; done"
load_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/load.log" '^(ok|FAIL) ' 20 || lab_fail "no load result"

brw_start_client c2 bad "$LAB_TMP/bad.toml"
bad_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/server.log" 'login refused.*reason=bad-token' 15 || lab_fail "server did not refuse the bad token"
lab_pass "server: $(grep -m1 'login refused' "$LAB_TMP/server.log" | cut -c1-160)"
lab_wait_log "$LAB_TMP/bad.log" '[Rr]efused|bad.token|(login|auth[a-z]*) failed' 10 ||
    lab_fail "bad client did not log the refusal"
lab_pass "bad client: $(grep -m1 -E '[Rr]efused|bad.token|(login|auth[a-z]*) failed' "$LAB_TMP/bad.log" | cut -c1-160)"
# Let the load run across the refusal and a retry of the bad client, if it retries.
before=$(lab_count_log "$LAB_TMP/load.log" '^(ok|FAIL) ')
lab_wait_log "$LAB_TMP/load.log" '^(ok|FAIL) ' 20 $((before + 2)) || lab_fail "load stalled after the refusal"
touch "$stop"
wait "$load_pid" 2>/dev/null
runs=$(lab_count_log "$LAB_TMP/load.log" '^(ok|FAIL) ')
fails=$(lab_count_log "$LAB_TMP/load.log" '^FAIL ')
[ "$fails" = 0 ] || lab_fail "$fails of $runs load rounds failed during the bad login"
lab_pass "good tunnel: $runs load rounds (4 conns x 128 KiB) all verified while the bad client tried"

if grep -q 'login ok' "$LAB_TMP/bad.log"; then lab_fail "bad client logged 'login ok'"; fi
if grep -Eq 'proxy (registered|listening).*(intruder|port=6081)' "$LAB_TMP/bad.log" "$LAB_TMP/server.log"; then
    lab_fail "the bad client's proxy got registered"
fi
if lab_exec user "$BLAST" -t 3 203.0.113.10 6081 1 1024 >/dev/null 2>&1; then
    lab_fail "srv:6081 (the bad client's remotePort) answers"
fi
lab_pass "bad client never logged in; srv:6081 stays closed"
if grep -q 'disconnected' "$LAB_TMP/good.log"; then lab_fail "good client got disconnected"; fi
out=$(lab_exec user "$BLAST" -t 20 203.0.113.10 6080 8 262144 2>&1) || lab_fail "after: $out"
lab_pass "after the refusal: ${out##*$'\n'}"
lab_kill "$bad_pid"
echo "PASS test_bad_token"
