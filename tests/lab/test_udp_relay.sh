#!/usr/bin/env bash
# test_udp_relay: the server's UDP relay (server/udp_relay.c) across the
# lab's NATs, before the rendezvous exists: the server's test hook
# (BURROW_TEST_RELAY_GRANTS) makes one allocation at start and writes its
# two grants; relay_peer (tests/tools) in c1, behind port-restricted nat1,
# echoes; relay_peer in c2, behind symmetric nat2, sends 300 x 1200 bytes
# and gets each back intact. Then c2 pauses with nat2's UDP conntrack
# timeouts cut to 2 s: its mapping expires, its next datagrams leave from a
# new port, the path binds again and 300 more come back; the server logs
# the side moving. A stranger (user) sending data and forged BINDs gets
# nothing back, counted; stopping the server tells the bound peer.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
PEER=$(lab_tool relay_peer) || exit 1
lab_up port-restricted symmetric || lab_fail "lab_up"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "p2p.relayPort = 7002"
BRW_SERVER_ENV="BURROW_TEST_RELAY_GRANTS=$LAB_TMP/grant" \
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_log "$LAB_TMP/server.log" 'udp-relay: serving udp addr=203\.0\.113\.10:7002 ' 5 ||
    lab_fail "relay not serving on 7002"
lab_wait_log "$LAB_TMP/server.log" 'udp-relay: test hook wrote grants' 5 || lab_fail "no grants"
lab_pass "relay serving on srv:7002, one allocation from the test hook"

lab_bg c1 "$LAB_TMP/echo.log" "$PEER" -e -t 60000 "$LAB_TMP/grant.0" "$SRV_ADDR"
echo_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/echo.log" '^bound' 5 || lab_fail "c1 did not bind"
lab_exec nat2 sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
lab_exec nat2 sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=2
out=$(lab_exec c2 "$PEER" -n 300 -s 1200 -p 4000 -t 30000 "$LAB_TMP/grant.1" "$SRV_ADDR" 2>&1) ||
    lab_fail "c2 relay_peer: $out"
echo "$out" | grep -q '^phase 1: 300/300 intact' || lab_fail "phase 1: $out"
lab_pass "c2 (symmetric NAT) -> relay -> c1 (port-restricted) and back: $(echo "$out" | grep '^phase 1')"
echo "$out" | grep -q '^phase 2: 300/300 intact' || lab_fail "phase 2: $out"
lab_pass "after nat2's mapping expired: $(echo "$out" | grep '^phase 2')"
lab_check "the relay moved side 1 to nat2's new port" \
    grep -Eq 'udp-relay: side moved id=[0-9a-f]+ side=1 from=203\.0\.113\.22:[0-9]+ to=203\.0\.113\.22:' \
    "$LAB_TMP/server.log"

# A stranger: data and a BIND with a made-up id and MAC; nothing may come back.
lab_exec user python3 - <<'PY' || lab_fail "the stranger got an answer"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for d in (b"\x40" + b"x" * 100, bytes([1, 1, 0, 0]) + bytes(range(32)), b"\x00\x01\x00\x00"):
    s.sendto(d, ("203.0.113.10", 7002))
try:
    s.recvfrom(2048)
    sys.exit(1)
except socket.timeout:
    sys.exit(0)
PY
lab_pass "a stranger's data and forged BIND get no answer"

lab_kill "$BRW_SERVER_PID" TERM
lab_wait_log "$LAB_TMP/server.log" 'udp-relay: stopped ' 5 || lab_fail "no relay totals at stop"
lab_check "totals count the stranger and one rebind" \
    grep -Eq 'udp-relay: stopped .* rebinds=1 .*stranger=[1-9]' "$LAB_TMP/server.log"
lab_wait_log "$LAB_TMP/echo.log" 'path down: relay-closed:server-stopping' 5 ||
    lab_fail "c1 was not told the relay stopped"
lab_pass "c1's path went down with relay-closed:server-stopping"
lab_kill "$echo_pid"
echo "PASS test_udp_relay"
