#!/usr/bin/env bash
# test_xtcp_failover: an xtcp pair's QUIC leaves a dead direct path for the
# relay without breaking its stream, comes back, and a dead owner is
# noticed within seconds. Owner in c1 behind nat1, visitor in c2 behind
# nat2, both port-restricted (punchable); nat2's WAN capped at 40 Mbit/s by
# `tc tbf` so that one transfer lasts several seconds.
#   1. QUIC on the direct path; one 32 MB transfer each way (tcp_blast
#      through tcp_echo, every byte checked) starts;
#   2. UDP between nat1 and nat2 dropped at nat1 (nft; the server stays
#      reachable): the visitor logs `path=direct-tcp ... reason=stalled`
#      (the punched TCP path is preferred to the relay); then UDP and TCP
#      dropped: `path=relay ... reason=stalled`, the stream open all along,
#      the transfer going on over the relay;
#   3. the block lifted: `path=direct ... reason=recovered`; the transfer
#      completes, every byte correct;
#   4. the owner killed (-9): the visitor logs the pair closing
#      (`reason=quic-ended`) within 10 s (QUIC_PEER_SILENT_MS and the
#      QUIC_PROBE_MS PING, about 5 s); the owner restarted: connections
#      through the visitor work, and ride a new pair's QUIC.
# Prints the times measured (detection, return, dead owner).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
LAT=$(lab_tool conn_latency) || exit 1
lab_up port-restricted port-restricted || lab_fail "lab_up"
lab_srv_alt || lab_fail "second server address"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token" 'natDiscovery.altAddr = "203.0.113.11"'
brw_client_conf "$LAB_TMP/owner.toml" "$token"
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "ssh"
type = "xtcp"
secretKey = "xtcp-s3cret"
localIP = "192.168.1.10"
localPort = 9000
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "p2p-ssh"
type = "xtcp"
serverName = "ssh"
secretKey = "xtcp-s3cret"
bindPort = 7200
minRetryInterval = 0
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_log "$LAB_TMP/server.log" "udp-relay: serving" 5 || lab_fail "the server's UDP relay is off"
OL="$LAB_TMP/owner.log" VL="$LAB_TMP/visitor.log"
brw_start_client c1 owner "$LAB_TMP/owner.toml"; OPID=$LAB_LAST_PID
lab_wait_log "$OL" "proxy registered.*name=ssh" 15 || lab_fail "xtcp proxy not registered"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"; VPID=$LAB_LAST_PID
lab_wait_port c2 tcp 127.0.0.1 7200 10 || lab_fail "visitor port 7200 not open"
lab_wait_log "$VL" "login ok" 15 || lab_fail "visitor did not log in"

now_ms() { date +%s%3N; }
# ms from $1 until the visitor log has $2 ($4 times), at most $3 s; 0 if not
wait_ms() {
    local t0=$1
    lab_wait_log "$VL" "$2" "$3" "${4:-1}" || { echo 0; return 1; }
    echo $(($(now_ms) - t0))
}
# block udp | block "udp, tcp": drop those between the sites at nat1
block() {
    lab_exec nat1 nft -f - <<NFT
table ip failover {
  chain gate {
    type filter hook forward priority -10; policy accept;
    ip saddr 203.0.113.22 meta l4proto { $1 } drop
    ip daddr 203.0.113.22 meta l4proto { $1 } drop
  }
}
NFT
}
unblock() { lab_exec nat1 nft delete table ip failover; }

# 1. the pair on the direct path, then the long transfer
out=$(lab_exec c2 "$LAT" 127.0.0.1 7200 1 3000) || lab_fail "first connection: $out"
lab_wait_log "$VL" "xtcp quic path=direct" 15 || lab_fail "QUIC never moved to the direct path"
lab_pass "the pair's QUIC is on the direct path"
lab_exec nat2 tc qdisc add dev wan root tbf rate 40mbit burst 64kb latency 200ms || lab_fail "tc tbf on nat2"
BIG=$((32 * 1024 * 1024))
n=$(lab_count_log "$VL" "visitor connected .*path=quic")
lab_bg c2 "$LAB_TMP/blast.log" "$BLAST" -t 50 127.0.0.1 7200 1 "$BIG"; BPID=$LAB_LAST_PID
lab_wait_log "$VL" "visitor connected .*path=quic" 5 $((n + 1)) || lab_fail "the transfer did not ride QUIC"
sleep 2
lab_alive "$BPID" || lab_fail "the transfer ended before the block: $(tail -1 "$LAB_TMP/blast.log")"

# 2. UDP between the sites dropped: over to the punched TCP path (preferred
#    to the relay), stream open; then TCP too: over to the relay
t0=$(now_ms)
block udp || lab_fail "nft: block UDP between nat1 and nat2"
detect=$(wait_ms "$t0" "quic pair=.* path=direct-tcp .*streams=[1-9].* reason=stalled" 10) ||
    lab_fail "no move to the TCP path with the stream open within 10 s"
lab_alive "$BPID" || lab_fail "the transfer was not running when the path moved"
lab_pass "direct UDP path dropped: on the TCP path after ${detect} ms, stream open"
sleep 1
t0=$(now_ms) # TCP dropped too, in the same chain (no gap for UDP to come back)
lab_exec nat1 nft add rule ip failover gate ip saddr 203.0.113.22 tcp flags != 0 drop &&
    lab_exec nat1 nft add rule ip failover gate ip daddr 203.0.113.22 tcp flags != 0 drop ||
    lab_fail "nft: block TCP between nat1 and nat2 too"
detect=$(wait_ms "$t0" "quic pair=.* path=relay .*streams=[1-9].* reason=stalled" 10) ||
    lab_fail "no move to the relay with the stream open within 10 s"
lab_alive "$BPID" || lab_fail "the transfer was not running when the path moved"
lab_pass "direct UDP and TCP dropped: on the relay after ${detect} ms, stream open"
sleep 3
lab_alive "$BPID" || lab_fail "the transfer ended while on the relay: $(tail -1 "$LAB_TMP/blast.log")"

# 3. the block lifted: back to the direct path; the transfer completes
t0=$(now_ms)
unblock || lab_fail "nft: lift the block"
back=$(wait_ms "$t0" "quic pair=.* path=direct .*reason=recovered" 20) ||
    lab_fail "QUIC did not return to the direct path within 20 s"
lab_pass "block lifted: back on the direct path after ${back} ms"
wait "$BPID"; rc=$?
[ "$rc" = 0 ] || lab_fail "the transfer failed (rc=$rc): $(tail -2 "$LAB_TMP/blast.log")"
grep -q "ok 1/1" "$LAB_TMP/blast.log" || lab_fail "the transfer: $(tail -2 "$LAB_TMP/blast.log")"
lab_pass "32 MB each way across direct -> relay -> direct, every byte checked"
lab_exec nat2 tc qdisc del dev wan root 2>/dev/null || true

# 4. the owner killed: the visitor closes the pair within seconds
t0=$(now_ms)
lab_kill "$OPID" KILL
dead=$(wait_ms "$t0" "xtcp pair closed name=p2p-ssh .*reason=quic-ended" 10) ||
    lab_fail "the visitor did not close the pair within 10 s of the owner's death"
lab_pass "owner killed: the visitor closed the pair after ${dead} ms"
brw_start_client c1 owner2 "$LAB_TMP/owner.toml"; OPID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner2.log" "proxy registered.*name=ssh" 15 || lab_fail "restarted owner not registered"
t0=$(now_ms)
out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7200 2 262144 2>&1) ||
    lab_fail "transfer after the owner's restart: ${out##*$'\n'}"
lab_pass "owner restarted: 2 x 256 KiB through the visitor verified ($(($(now_ms) - t0)) ms)"
lab_wait_log "$VL" "xtcp quic ready " 15 2 || lab_fail "no new pair's QUIC after the restart"
n=$(lab_count_log "$VL" "visitor connected .*path=quic")
out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7200 1 262144 2>&1) ||
    lab_fail "transfer over the new pair: ${out##*$'\n'}"
[ "$(lab_count_log "$VL" "visitor connected .*path=quic")" -gt "$n" ] ||
    lab_fail "the connection after the restart did not ride the new pair's QUIC"
lab_pass "a new pair: the next connection rides its QUIC"

brw_stop_clean "$VPID" "$VL" visitor
brw_stop_clean "$OPID" "$LAB_TMP/owner2.log" owner
echo "xtcp failover (port-restricted x port-restricted, nat2 capped at 40 Mbit/s):"
echo "  direct path dropped -> on the relay:   ${detect} ms"
echo "  block lifted        -> on direct again: ${back} ms"
echo "  owner killed        -> pair closed:     ${dead} ms"
grep -E "quic pair=.* path=(relay|direct) rtt=" "$VL" | sed 's/^/  visitor: /'
lab_pass "xtcp failover: relay on a dead direct path, back when it returns, a dead owner noticed"
