#!/usr/bin/env bash
# test_stcp_restart: kill -9 and restart each of the three in turn — the
# server, then the owner, then the visitor — and the visitor's port works
# again each time without restarting the others. The owner runs in c1
# behind nat1 (port-restricted) with tcp_echo as its local service, the
# visitor in c2 behind nat2 (symmetric). While the owner is down the server
# remembers its proxy: a visitor is refused owner-offline at once (server
# and visitor log it, the port stays open), and the owner coming back takes
# the name back at once.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up port-restricted symmetric || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token" 'user = "alice"'
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "db"
type = "stcp"
secretKey = "s3cret-key"
allowUsers = ["*"]
localIP = "192.168.1.10"
localPort = 9000
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token" 'user = "bob"'
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "db-v"
type = "stcp"
serverUser = "alice"
serverName = "db"
secretKey = "s3cret-key"
bindPort = 7100
TOML

# works WHAT: 8 parallel 256 KiB echoes through the visitor's port, every byte checked.
works() {
    local out
    out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7100 8 262144 2>&1) ||
        lab_fail "$1: ${out##*$'\n'}"
}
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server1.log" || lab_fail "server did not start"
brw_start_client c1 owner1 "$LAB_TMP/owner.toml"
owner_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner1.log" "proxy registered.*name=alice.db" 15 || lab_fail "stcp proxy not registered"
brw_start_client c2 visitor1 "$LAB_TMP/visitor.toml"
visitor_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/visitor1.log" "login ok" 15 || lab_fail "visitor did not log in"
lab_wait_port c2 tcp 127.0.0.1 7100 10 || lab_fail "visitor port 7100 not open"
works "first use"
lab_pass "owner alice in c1 (port-restricted), visitor bob in c2 (symmetric): the port works"

# --- the server ---------------------------------------------------------------
lab_kill "$BRW_SERVER_PID" KILL
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server2.log" || lab_fail "server did not restart"
lab_wait_log "$LAB_TMP/owner1.log" "proxy registered.*name=alice.db" 30 2 || lab_fail "owner did not register again"
lab_wait_log "$LAB_TMP/visitor1.log" "login ok" 30 2 || lab_fail "visitor did not log in again"
works "after the server's restart"
lab_pass "server killed and restarted: the visitor's port works again"

# --- the owner: owner-offline while it is away ---------------------------------
lab_kill "$owner_pid" KILL
lab_wait_log "$LAB_TMP/server2.log" "client session ended .*user=alice" 10 || lab_fail "server did not see the owner go"
start=$(date +%s%N)
lab_exec c2 timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7100; printf x >&3; cat <&3 >/dev/null' 2>/dev/null
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -lt 4000 ] || lab_fail "owner offline: the local connection was not closed at once (${took} ms)"
lab_wait_log "$LAB_TMP/server2.log" "stcp visitor refused proxy=alice.db visitor=bob .*reason=owner-offline" 5 ||
    lab_fail "server did not log owner-offline"
lab_wait_log "$LAB_TMP/visitor1.log" "visitor refused name=db-v proxy=alice.db path=relay reason=owner-offline" 5 ||
    lab_fail "visitor did not log owner-offline"
lab_wait_port c2 tcp 127.0.0.1 7100 1 || lab_fail "owner offline: the visitor's port closed"
lab_pass "owner killed: a visitor's connection is refused owner-offline in ${took} ms, logged by server and visitor"
brw_start_client c1 owner2 "$LAB_TMP/owner.toml"
owner_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner2.log" "proxy registered.*name=alice.db" 15 || lab_fail "owner did not come back"
works "after the owner's restart"
lab_pass "owner restarted: it takes its name back at once, the visitor's port works again"

# --- the visitor ----------------------------------------------------------------
lab_kill "$visitor_pid" KILL
brw_start_client c2 visitor2 "$LAB_TMP/visitor.toml"
visitor_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/visitor2.log" "login ok" 15 || lab_fail "visitor did not log in again"
lab_wait_port c2 tcp 127.0.0.1 7100 10 || lab_fail "visitor port 7100 not open again"
works "after the visitor's restart"
lab_pass "visitor killed and restarted: its port works again"

lab_alive "$BRW_SERVER_PID" && lab_alive "$owner_pid" && lab_alive "$visitor_pid" || lab_fail "a process died"
if grep -Eq "LeakSanitizer|AddressSanitizer|runtime error" "$LAB_TMP"/*.log; then
    lab_fail "sanitizer report: $(grep -Eh 'Sanitizer|runtime error' "$LAB_TMP"/*.log | head -3)"
fi
echo "PASS test_stcp_restart"
