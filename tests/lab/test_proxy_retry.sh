#!/usr/bin/env bash
# test_proxy_retry: a proxy name held by another client is refused, and the
# refused client retries by itself with backoff (logging `proxy refused ...
# retrying in Ns`); once the holder leaves, the name is picked up without any
# restart and the tunnel carries data.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo1.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c2 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.2.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c2 tcp 192.168.2.10 9000 5 || lab_fail "tcp_echo in c2 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/a.toml" "$token"
brw_proxy "$LAB_TMP/a.toml" web tcp 192.168.1.10 9000 6081
brw_client_conf "$LAB_TMP/b.toml" "$token"
brw_proxy "$LAB_TMP/b.toml" web tcp 192.168.2.10 9000 6082
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 a "$LAB_TMP/a.toml"
a_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/a.log" "$LAB_TMP/server.log" web tcp 6081 || lab_fail "client a: proxy not registered"
brw_start_client c2 b "$LAB_TMP/b.toml"
b_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/b.log" 'proxy refused name=web reason="proxy name already in use" retrying in 2s' 15 ||
    lab_fail "client b: no refusal with a retry"
lab_wait_log "$LAB_TMP/b.log" 'proxy refused name=web .*retrying in 4s' 10 || lab_fail "client b: no second, longer retry"
lab_pass "client b: $(grep -m1 'proxy refused' "$LAB_TMP/b.log" | cut -c25-)"
lab_pass "client b: $(grep 'proxy refused' "$LAB_TMP/b.log" | sed -n 2p | cut -c25-)"
if lab_exec user "$BLAST" -t 2 203.0.113.10 6082 1 1024 >/dev/null 2>&1; then lab_fail "6082 serves while refused"; fi

lab_kill "$a_pid" TERM
lab_wait_log "$LAB_TMP/server.log" 'client session ended.*reason=client-closed' 10 || lab_fail "client a's session did not end"
lab_pass "client a left"
brw_wait_proxy "$LAB_TMP/b.log" "$LAB_TMP/server.log" web tcp 6082 1 || lab_fail "client b did not pick the name up"
lab_pass "client b: $(grep -m1 'proxy registered' "$LAB_TMP/b.log" | cut -c25-) (after $(lab_count_log "$LAB_TMP/b.log" 'proxy refused') refusals)"
lab_alive "$b_pid" || lab_fail "client b exited"
[ "$(lab_count_log "$LAB_TMP/b.log" 'login ok')" = 1 ] || lab_fail "client b logged in again instead of retrying"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6082 4 65536 2>&1) || lab_fail "through b: $out"
lab_pass "through client b: ${out##*$'\n'}"
echo "PASS test_proxy_retry"
