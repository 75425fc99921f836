#!/usr/bin/env bash
# test_malformed (e): hostile input on the server's control port from user.
# Each connection must be closed by the server (EOF or reset seen by the
# sender, within a deadline) with the matching `connection closed reason=`
# log line:
#   1. garbage (an HTTP request)                     -> bad-magic
#   2. slow-loris: `BRW1` + one byte, then silence    -> handshake-timeout
#   3. `BRW1` + frame length 0x7fffffff               -> frame-too-large
#   4. `BRW1` + frame length 65601 (max + 1)          -> frame-too-large
#   5. a TLS record header (0x16) followed by junk    -> tls-handshake-failed
# The good client stays logged in and a tunnelled transfer works afterwards.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
PROBE="$(dirname "$(readlink -f "$0")")/wire_probe.py"
HS_TIMEOUT=3
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
BRW_SERVER_ENV="BURROW_HANDSHAKE_TIMEOUT=$HS_TIMEOUT" \
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
lab_pass "client logged in, proxy echo on srv:6080"

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
BRW1=$(hex BRW1)

# attack NAME HEXPAYLOAD REASON PROBE_TIMEOUT [MIN_SECONDS]
attack() {
    local name=$1 payload=$2 reason=$3 ptimeout=$4 min=${5:-0} out secs
    local re="connection closed.*reason=$reason"
    local before
    before=$(lab_count_log "$LAB_TMP/server.log" "$re")
    out=$(lab_exec user python3 "$PROBE" "$SRV_ADDR" "$SRV_PORT" "$payload" "$ptimeout") ||
        lab_fail "$name: not closed by the server: $out"
    secs=$(sed -n 's/.* after \([0-9.]*\) s$/\1/p' <<<"$out")
    if [ "$min" != 0 ] && ! awk -v s="$secs" -v m="$min" 'BEGIN { exit !(s >= m) }'; then
        lab_fail "$name: closed after $secs s, before the ${min} s it should have waited"
    fi
    lab_wait_log "$LAB_TMP/server.log" "$re" 5 $((before + 1)) ||
        lab_fail "$name: no '$re' in the server log"
    lab_pass "$name: $out; server logged reason=$reason"
}

attack "garbage" "$(hex 'GET / HTTP/1.0')0d0a0d0a00ff13a7" bad-magic 5
attack "slow-loris" "${BRW1}00" handshake-timeout $((HS_TIMEOUT + 7)) $((HS_TIMEOUT - 1))
attack "huge frame length" "${BRW1}7fffffff01" frame-too-large 5
attack "frame length max+1" "${BRW1}0001004101" frame-too-large 5
attack "TLS record with junk" "1603010008$(hex 'notahell')" tls-handshake-failed 5

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
if grep -Eq 'disconnected|reconnecting in' "$LAB_TMP/client.log"; then
    lab_fail "the good client lost its session"
fi
out=$(lab_exec user "$BLAST" -t 20 203.0.113.10 6080 4 262144 2>&1) || lab_fail "tunnel after attacks: $out"
lab_pass "tunnel still works: ${out##*$'\n'}"
echo "PASS test_malformed"
