#!/usr/bin/env bash
# test_stcp: a secret proxy (stcp) and its visitor across two NATs. The owner
# runs in c1 behind nat1 with tcp_echo as its local service; the visitor runs
# in c2 behind nat2 with a local port for the owner's proxy. 200 parallel
# 1 MiB transfers through the visitor's port, every byte checked; then a
# visitor entry with a wrong key is refused, with a line on both sides, and
# the good port still serves.
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
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
lab_wait_log "$LAB_TMP/owner.log" "proxy registered.*name=db" 15 || lab_fail "stcp proxy not registered"
lab_check "no public port for the stcp proxy" grep -q "proxy listening name=db type=stcp port=0" "$LAB_TMP/server.log"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
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

out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7100 4 65536 2>&1) || lab_fail "visitor port after the refusal: ${out##*$'\n'}"
lab_pass "visitor port still serves after the refusal"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_stcp"
