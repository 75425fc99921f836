#!/usr/bin/env bash
# test_tls_policy: transport.tls.force on the server.
#  force = true:  a client with transport.tls.enable = false is refused (server
#                 log reason=tls-required, the client never logs in, its port
#                 stays closed) while a TLS client logs in and its proxy works;
#  force = false: the plain client logs in (tls=no on both sides), its proxy
#                 works, and its log warns that TLS is disabled.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

conf_set() { # FILE KEY VALUE: replace the top-level `KEY = ...` line or append it
    if grep -q "^$2 = " "$1"; then sed -i "s|^$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}
blast() { lab_exec user "$BLAST" -t 10 203.0.113.10 "$1" 2 65536 2>&1; }

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/forced.toml" "$token" "transport.tls.force = true"
brw_server_conf "$LAB_TMP/optional.toml" "$token" "transport.tls.force = false"
brw_client_conf "$LAB_TMP/tls.toml" "$token"
brw_proxy "$LAB_TMP/tls.toml" sec tcp 192.168.1.10 9000 6001
brw_client_conf "$LAB_TMP/plain.toml" "$token"
conf_set "$LAB_TMP/plain.toml" transport.tls.enable false
brw_proxy "$LAB_TMP/plain.toml" clear tcp 192.168.1.10 9000 6002

# --- force = true -------------------------------------------------------------
brw_start_server "$LAB_TMP/forced.toml" "$LAB_TMP/server1.log" || lab_fail "server (force) did not start"
grep -q 'listening .*tls=required' "$LAB_TMP/server1.log" || lab_fail "server with force=true does not say tls=required"
brw_start_client c1 plain1 "$LAB_TMP/plain.toml"
plain1=$LAB_LAST_PID
brw_start_client c1 tls1 "$LAB_TMP/tls.toml"
tls1=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/tls1.log" "$LAB_TMP/server1.log" sec tcp 6001 || lab_fail "TLS client not registered under force"
lab_wait_log "$LAB_TMP/tls1.log" 'login ok.*tls=yes' 1 || lab_fail "TLS client login not tls=yes"
out=$(blast 6001) || lab_fail "force: TLS client's proxy: $out"
lab_pass "force=true: TLS client logs in, proxy works: ${out##*$'\n'}"
lab_wait_log "$LAB_TMP/server1.log" 'connection closed peer=203\.0\.113\.21:[0-9]+ reason=tls-required' 10 2 ||
    lab_fail "force=true: server did not refuse the plain client twice with reason=tls-required"
lab_pass "force=true: server: $(grep -m1 'reason=tls-required' "$LAB_TMP/server1.log" | cut -c25-140)"
lab_wait_log "$LAB_TMP/plain1.log" 'reconnecting in' 5 2 || lab_fail "force=true: plain client did not retry"
# The plain client is told why, not just disconnected.
grep -q 'code=tls: this server requires TLS' "$LAB_TMP/plain1.log" ||
    lab_fail "force=true: the plain client was not told that TLS is required"
lab_pass "force=true: plain client told: $(grep -m1 'requires TLS' "$LAB_TMP/plain1.log" | cut -c25-160)"
if grep -q 'login ok' "$LAB_TMP/plain1.log"; then lab_fail "force=true: the plain client logged in"; fi
if grep -Eq 'client logged in.*tls=no' "$LAB_TMP/server1.log"; then lab_fail "force=true: server accepted a plain login"; fi
if grep -q 'proxy listening name=clear' "$LAB_TMP/server1.log"; then lab_fail "force=true: plain client's proxy opened"; fi
if out=$(lab_exec user "$BLAST" -t 3 203.0.113.10 6002 1 1024 2>&1); then lab_fail "force=true: srv:6002 answers: $out"; fi
lab_pass "force=true: the plain client never logs in ($(grep -m1 -E 'login failed|refused' "$LAB_TMP/plain1.log" | cut -c25-120)); srv:6002 closed"
out=$(blast 6001) || lab_fail "force: TLS client's proxy after the refusals: $out"
lab_kill "$plain1"
lab_kill "$tls1"
lab_kill "$BRW_SERVER_PID"

# --- force = false ------------------------------------------------------------
brw_start_server "$LAB_TMP/optional.toml" "$LAB_TMP/server2.log" || lab_fail "server (no force) did not start"
grep -q 'listening .*tls=preferred' "$LAB_TMP/server2.log" || lab_fail "server with force=false does not say tls=preferred"
brw_start_client c1 plain2 "$LAB_TMP/plain.toml"
brw_wait_proxy "$LAB_TMP/plain2.log" "$LAB_TMP/server2.log" clear tcp 6002 || lab_fail "force=false: plain client not registered"
lab_wait_log "$LAB_TMP/plain2.log" 'login ok.*tls=no' 1 || lab_fail "force=false: plain client login not tls=no"
grep -Eq 'client logged in .*peer=203\.0\.113\.21:.*tls=no' "$LAB_TMP/server2.log" || lab_fail "force=false: server did not log a tls=no login"
out=$(blast 6002) || lab_fail "force=false: plain client's proxy: $out"
lab_pass "force=false: plain client logs in (tls=no), proxy works: ${out##*$'\n'}"
grep -Eq 'WARN .*TLS is disabled' "$LAB_TMP/plain2.log" || lab_fail "force=false: plain client did not warn that TLS is disabled"
lab_pass "plain client warns: $(grep -m1 'TLS is disabled' "$LAB_TMP/plain2.log" | cut -c25-160)"
if grep -q 'TLS is disabled' "$LAB_TMP/tls1.log"; then lab_fail "the TLS client warned about disabled TLS"; fi
brw_start_client c1 tls2 "$LAB_TMP/tls.toml"
brw_wait_proxy "$LAB_TMP/tls2.log" "$LAB_TMP/server2.log" sec tcp 6001 || lab_fail "force=false: TLS client not registered"
lab_wait_log "$LAB_TMP/tls2.log" 'login ok.*tls=yes' 1 || lab_fail "force=false: TLS client login not tls=yes"
out=$(blast 6001) || lab_fail "force=false: TLS client's proxy: $out"
lab_pass "force=false: a TLS client still logs in with TLS alongside: ${out##*$'\n'}"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_tls_policy"
