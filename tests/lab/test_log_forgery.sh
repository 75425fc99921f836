#!/usr/bin/env bash
# test_log_forgery: a logged-in client sends 2,000 NEW_PROXY messages whose
# names carry a forged ` user=admin` field and a newline starting a fake
# line, with a type that carries one too. Every one is refused; the server's
# log grows by a few KB at most (the refusal line is rate-limited and says
# how many it suppressed), no line carries a bare `user=admin` field or
# starts with the forged text, and the peer-supplied strings that are
# logged appear escaped (\x20, \x0a).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

token=$(brw_token)
BRW_LOG_LEVEL=info brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
before=$(wc -c <"$LAB_TMP/server.log")
name=$'x user=admin\n2026-01-01 00:00:00.000 INFO  server: forged user=admin '
out=$(lab_exec user timeout 60 python3 "$(dirname "$0")/brw_wire.py" proxies "$SRV_ADDR" "$SRV_PORT" "$token" 2000 "$name") ||
    lab_fail "wire client: $out"
[ "$out" = "answers=2000 refused=2000" ] || lab_fail "wire client: $out"
lab_pass "2000 forged NEW_PROXY messages, all refused: $out"
after=$(wc -c <"$LAB_TMP/server.log")
grew=$((after - before))
[ "$grew" -le 8192 ] || lab_fail "server log grew by $grew bytes for 2000 refusals"
lab_pass "server log grew by $grew bytes (bound 8192)"
n=$(lab_count_log "$LAB_TMP/server.log" '(^| )user=admin')
[ "$n" = 0 ] || lab_fail "$n log lines carry a forged user=admin field: $(grep -m1 -E '(^| )user=admin' "$LAB_TMP/server.log")"
n2=$(lab_count_log "$LAB_TMP/server.log" '^(2026-01-01|INFO forged)')
[ "$n2" = 0 ] || lab_fail "a forged line starts the log: $(grep -m1 -E '^(2026-01-01|INFO forged)' "$LAB_TMP/server.log")"
lab_count_log "$LAB_TMP/server.log" 'proxy refused name=x\\x20user\\x3dadmin\\x0a' | grep -qv '^0$' ||
    lab_fail "no escaped refusal line in the log"
lab_pass "no forged field or line; e.g. $(grep -m1 'proxy refused' "$LAB_TMP/server.log" | cut -c1-150)"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_log_forgery"
