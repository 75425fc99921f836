#!/usr/bin/env bash
# test_stcp: a secret proxy (stcp) and its visitor across two NATs. The owner
# runs in c1 behind nat1 with tcp_echo as its local service; the visitor runs
# in c2 behind nat2 with a local port for the owner's proxy. 200 parallel
# 1 MiB transfers through the visitor's port, every byte checked; then
# visitor entries with a wrong key and an unknown serverName are refused,
# with a line on both sides, and the good port still serves. With the server down the visitor's port stays
# open and a connection waits a few seconds, then closes with a log line;
# after the server restarts the port works again. Both clients stop cleanly.
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
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token"
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "db"
type = "stcp"
secretKey = "s3cret-key"
localIP = "192.168.1.10"
localPort = 9000
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "db-visitor"
type = "stcp"
serverName = "db"
secretKey = "s3cret-key"
bindPort = 7100

[[visitors]]
name = "db-wrong"
type = "stcp"
serverName = "db"
secretKey = "not-the-key"
bindPort = 7101

[[visitors]]
name = "nope"
type = "stcp"
serverName = "no-such-proxy"
secretKey = "s3cret-key"
bindPort = 7102
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
owner_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner.log" "proxy registered.*name=db" 15 || lab_fail "stcp proxy not registered"
lab_check "no public port for the stcp proxy" grep -q "proxy listening name=db type=stcp port=0" "$LAB_TMP/server.log"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
visitor_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/visitor.log" "login ok" 15 || lab_fail "visitor did not log in"
lab_wait_port c2 tcp 127.0.0.1 7100 10 || lab_fail "visitor port 7100 not open"
lab_pass "owner in c1 (nat1), visitor port 127.0.0.1:7100 in c2 (nat2)"

out=$(lab_exec c2 "$BLAST" -t 45 127.0.0.1 7100 200 1048576 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  tcp_blast: /'
[ "$rc" = 0 ] || lab_fail "200 parallel transfers through the visitor: ${out##*$'\n'}"
lab_pass "200 parallel 1 MiB transfers through the visitor verified: ${out##*$'\n'}"
lab_check "visitor log names the path" grep -q "visitor connected name=db-visitor proxy=db .*path=relay" "$LAB_TMP/visitor.log"
lab_check "owner log names the path" grep -q "stcp visitor accepted proxy=db .*path=relay" "$LAB_TMP/owner.log"

# A wrong key: the visitor's local connection closes at once, both sides say why.
start=$(date +%s%N)
lab_exec c2 timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7101; printf x >&3; cat <&3 >/dev/null' 2>/dev/null
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -lt 4000 ] || lab_fail "wrong key: the local connection was not closed at once (${took} ms)"
lab_wait_log "$LAB_TMP/owner.log" "stcp visitor refused proxy=db .*reason=wrong-key" 5 || lab_fail "owner did not log the wrong key"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=db-wrong proxy=db path=relay reason=wrong-key" 5 || lab_fail "visitor did not log the wrong key"
lab_pass "wrong key refused in ${took} ms, logged by owner and visitor"

# An unknown serverName: the server answers, both it and the visitor say so.
start=$(date +%s%N)
lab_exec c2 timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7102; cat <&3 >/dev/null' 2>/dev/null
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -lt 4000 ] || lab_fail "unknown proxy: the local connection was not closed at once (${took} ms)"
lab_wait_log "$LAB_TMP/server.log" "stcp visitor refused proxy=no-such-proxy .*reason=unknown-proxy" 5 || lab_fail "server did not log the unknown proxy"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=nope proxy=no-such-proxy path=relay reason=unknown-proxy" 5 || lab_fail "visitor did not log the unknown proxy"
lab_pass "unknown serverName refused in ${took} ms, logged by server and visitor"

out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7100 4 65536 2>&1) || lab_fail "visitor port after the refusal: ${out##*$'\n'}"
lab_pass "visitor port still serves after the refusal"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"

# The server goes away: the port stays open, a connection waits, then closes.
lab_kill "$BRW_SERVER_PID" KILL
lab_wait_log "$LAB_TMP/visitor.log" "disconnected from server" 20 || lab_fail "visitor did not notice the server's loss"
start=$(date +%s%N)
lab_exec c2 timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7100; cat <&3 >/dev/null' 2>/dev/null ||
    lab_fail "visitor port closed while the server was down"
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -ge 2000 ] && [ "$took" -lt 6000 ] || lab_fail "waiting connection closed after ${took} ms (want about 3 s)"
lab_wait_log "$LAB_TMP/visitor.log" "visitor connection closed: not connected to the server name=db-visitor" 5 ||
    lab_fail "no log line for the connection that waited"
lab_pass "server down: the visitor's connection waited ${took} ms, then closed with a log line"

brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server2.log" || lab_fail "server did not restart"
lab_wait_log "$LAB_TMP/owner.log" "proxy registered.*name=db" 30 2 || lab_fail "owner did not register again"
lab_wait_log "$LAB_TMP/visitor.log" "login ok" 30 2 || lab_fail "visitor did not log in again"
out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7100 8 262144 2>&1) || lab_fail "visitor port after the server restart: ${out##*$'\n'}"
lab_pass "server restarted: the visitor's port works again, neither client restarted"

brw_stop_clean "$visitor_pid" "$LAB_TMP/visitor.log" "visitor"
brw_stop_clean "$owner_pid" "$LAB_TMP/owner.log" "owner"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server2.log" "server"
lab_pass "SIGTERM: visitor, owner and server exit 0 with every handle closed"
echo "PASS test_stcp"
