#!/usr/bin/env bash
# test_sudp: a secret UDP proxy (sudp) and its visitor across two NATs. The
# owner runs in c1 behind nat1 (port-restricted) with udp_echo as its local
# service; the visitor runs in c2 behind nat2 (symmetric) with a local UDP
# port for the owner's proxy. Echoes through the visitor's port; three
# concurrent local senders each get only their own replies; 1100 senders
# push the visitor past its session cap (UDP_MAX_SESSIONS) and the first one
# still gets its echo; a visitor entry with a wrong key is refused with a
# line on both sides, so is a user outside allowUsers, an unknown serverName and an stcp visitor of the sudp
# proxy by the server, while the good port keeps serving; a capture at the
# server never shows the payload (a visitor without TLS, e2e records only); kill -9 and restart
# of the server, then the owner, then the visitor: the echo works again each
# time without restarting the others. SIGTERM: all three exit 0, clean.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
UDP_MANY="$(cd "$(dirname "$0")" && pwd)/udp_many.py"
lab_up port-restricted symmetric || lab_fail "lab_up"

# echo_ok WHAT: udp_check through the visitor's port, retrying while the
# path comes back (datagrams are dropped until it is up).
echo_ok() {
    local out
    for _ in $(seq 1 30); do
        out=$(lab_exec c2 "$UDP_CHECK" -w 500 -r 2 127.0.0.1 7200 20 2>&1) && { lab_pass "$1: $out"; return 0; }
        sleep 0.5
    done
    lab_fail "$1: $out"
}

lab_bg c1 "$LAB_TMP/echo.log" "$UDP_ECHO" -b 192.168.1.10 9000
lab_wait_port c1 udp 192.168.1.10 9000 5 || lab_fail "udp_echo in c1 did not start"
token=$(brw_token)
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token"
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "dns"
type = "sudp"
secretKey = "s3cret-key"
localIP = "192.168.1.10"
localPort = 9000
transport.useEncryption = true
transport.useCompression = true

[[proxies]]
name = "dns-carol"
type = "sudp"
secretKey = "s3cret-key"
localIP = "192.168.1.10"
localPort = 9000
allowUsers = ["carol"]
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "dns-visitor"
type = "sudp"
serverName = "dns"
secretKey = "s3cret-key"
bindPort = 7200

[[visitors]]
name = "dns-wrong"
type = "sudp"
serverName = "dns"
secretKey = "not-the-key"
bindPort = 7201

[[visitors]]
name = "not-carol"
type = "sudp"
serverName = "dns-carol"
secretKey = "s3cret-key"
bindPort = 7203

[[visitors]]
name = "nope"
type = "sudp"
serverName = "no-such-proxy"
secretKey = "s3cret-key"
bindPort = 7202

[[visitors]]
name = "dns-as-stcp"
type = "stcp"
serverName = "dns"
secretKey = "s3cret-key"
bindPort = 7103
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
owner_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner.log" "proxy registered name=dns type=sudp" 15 || lab_fail "sudp proxy not registered"
lab_check "no public port for the sudp proxy" grep -q "proxy listening name=dns type=sudp port=0" "$LAB_TMP/server.log"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
visitor_pid=$LAB_LAST_PID
lab_wait_port c2 udp 127.0.0.1 7200 10 || lab_fail "visitor port 7200 not open"
lab_wait_log "$LAB_TMP/visitor.log" "visitor connected name=dns-visitor proxy=dns type=sudp path=relay" 15 ||
    lab_fail "the visitor's path did not come up"
lab_check "owner log names the path" grep -q "sudp visitor accepted proxy=dns .*path=relay" "$LAB_TMP/owner.log"
lab_pass "owner in c1 (nat1, port-restricted), visitor port udp 127.0.0.1:7200 in c2 (nat2, symmetric)"

out=$(lab_exec c2 "$UDP_CHECK" -s 1200 127.0.0.1 7200 200 2>&1) || lab_fail "echo through the visitor: $out"
lab_pass "200 datagrams echoed through the visitor: $out"
lab_check "visitor log names the sender" grep -Eq "sudp visitor session name=dns-visitor proxy=dns peer=127\.0\.0\.1:[0-9]+ sid=[0-9]+ path=relay" "$LAB_TMP/visitor.log"

# Three concurrent senders, each with its own session: a reply delivered to
# the wrong sender shows up as 'foreign' and fails that sender's check.
pids=()
for s in 300 700 500; do
    lab_bg c2 "$LAB_TMP/check-$s.log" "$UDP_CHECK" -s "$s" 127.0.0.1 7200 300
    pids+=("$s:$LAB_LAST_PID")
done
for who in "${pids[@]}"; do
    wait "${who#*:}" || lab_fail "concurrent sender ${who%%:*}: $(cat "$LAB_TMP/check-${who%%:*}.log")"
    lab_pass "concurrent sender ${who%%:*}: $(cat "$LAB_TMP/check-${who%%:*}.log")"
done

# Past the cap: 1100 senders, the least recently used sessions evicted, and
# the first sender is served again under a new session.
out=$(lab_exec c2 bash -c "ulimit -n 4096 && python3 '$UDP_MANY' 127.0.0.1 7200 1100" 2>&1) ||
    lab_fail "1100 senders: $out"
lab_wait_log "$LAB_TMP/visitor.log" "sudp visitor at its session cap name=dns-visitor proxy=dns max=1024 evicted=[0-9]+" 5 ||
    lab_fail "the visitor did not report its session cap"
lab_pass "1100 senders past the visitor's 1024-session cap, each got its own echo: $out"

# A wrong key: refused by the owner, both sides say why; its datagrams are
# dropped with a line; the good port still serves.
lab_wait_log "$LAB_TMP/owner.log" "sudp visitor refused proxy=dns .*reason=wrong-key" 10 || lab_fail "owner did not log the wrong key"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=dns-wrong proxy=dns path=relay reason=wrong-key" 10 || lab_fail "visitor did not log the wrong key"
lab_exec c2 "$UDP_CHECK" -w 200 -r 1 127.0.0.1 7201 1 >/dev/null 2>&1 && lab_fail "an echo came through the wrong key"
lab_wait_log "$LAB_TMP/visitor.log" "sudp visitor dropped a datagram: no path to the owner name=dns-wrong proxy=dns dropped=[0-9]+" 5 ||
    lab_fail "no line for the dropped datagram"
lab_pass "wrong key refused, logged by owner and visitor; its datagram dropped with a line"
lab_wait_log "$LAB_TMP/owner.log" "sudp visitor refused proxy=dns-carol .*reason=user-not-allowed" 10 ||
    lab_fail "owner did not log the user outside allowUsers"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=not-carol proxy=dns-carol path=relay reason=user-not-allowed" 10 ||
    lab_fail "visitor did not log the user outside allowUsers"
lab_pass "a user outside allowUsers refused, logged by owner and visitor"

# An unknown serverName, and an stcp visitor naming the sudp proxy: the
# server refuses both (unknown-proxy); it and the visitor say so.
lab_wait_log "$LAB_TMP/server.log" "sudp visitor refused proxy=no-such-proxy .*path=relay reason=unknown-proxy" 5 ||
    lab_fail "server did not log the unknown proxy"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=nope proxy=no-such-proxy path=relay reason=unknown-proxy" 5 ||
    lab_fail "visitor did not log the unknown proxy"
lab_exec c2 timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7103; cat <&3 >/dev/null' 2>/dev/null
lab_wait_log "$LAB_TMP/server.log" "stcp visitor refused proxy=dns .*reason=unknown-proxy" 5 ||
    lab_fail "server did not refuse an stcp visitor of the sudp proxy"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=dns-as-stcp proxy=dns path=relay reason=unknown-proxy" 5 ||
    lab_fail "visitor did not log the kind mismatch"
lab_pass "unknown serverName and an stcp visitor of the sudp proxy refused, logged by server and visitor"
echo_ok "visitor port still serves after the refusals"

# Ciphertext only at the server: a second visitor in c2 speaks to the
# server without TLS, so only the end-to-end records hide the payload. A
# capture at srv sees that visitor's plaintext HELLO but never the marker
# carried in the datagrams it relays.
brw_client_conf "$LAB_TMP/plain.toml" "$token"
sed -i 's/^transport.tls.enable = true/transport.tls.enable = false/' "$LAB_TMP/plain.toml"
cat >>"$LAB_TMP/plain.toml" <<'TOML'

[[visitors]]
name = "dns-plain"
type = "sudp"
serverName = "dns"
secretKey = "s3cret-key"
bindPort = 7300
TOML
lab_bg srv "$LAB_TMP/tcpdump.log" tcpdump -Z root -i any --immediate-mode -U -s 0 -w "$LAB_TMP/srv.pcap"
dump_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/tcpdump.log" "listening on" 10 || lab_fail "tcpdump did not start"
brw_start_client c2 plain "$LAB_TMP/plain.toml"
plain_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/plain.log" "visitor connected name=dns-plain proxy=dns type=sudp path=relay" 15 ||
    lab_fail "the plain visitor's path did not come up"
marker="BURROW-SUDP-MARKER-$(brw_token)"
out=$(lab_exec c2 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
m = sys.argv[1].encode(); got = 0
for i in range(20):
    s.sendto(m, ("127.0.0.1", 7300))
    try:
        got += s.recvfrom(2048)[0] == m
    except socket.timeout:
        pass
print("echoed %d/20" % got); sys.exit(0 if got >= 15 else 1)' "$marker" 2>&1) || lab_fail "marker datagrams through the plain visitor: $out"
brw_stop_clean "$plain_pid" "$LAB_TMP/plain.log" "plain visitor"
# tcpdump writes each packet as it comes (-U): wait until the file stops
# growing before stopping it. The capture must show the plain client's own
# plaintext (its HELLOs: control, or the visitor path's; a burst of packets
# is sometimes missing from an `-i any` capture here, so either will do).
size=-1
while [ "$(stat -c %s "$LAB_TMP/srv.pcap")" != "$size" ]; do
    size=$(stat -c %s "$LAB_TMP/srv.pcap")
    sleep 1
done
lab_kill "$dump_pid" INT
grep -aEq '"role":"(visitor|control)"' "$LAB_TMP/srv.pcap" ||
    lab_fail "the capture at srv did not see the plain visitor's HELLO: $(tail -3 "$LAB_TMP/tcpdump.log")"
grep -aq "$marker" "$LAB_TMP/srv.pcap" && lab_fail "the marker crossed the server in plaintext"
lab_pass "marker datagrams $out through a visitor without TLS: the capture at srv shows its plaintext HELLO, never the marker"

# Restarts, one at a time; the others keep running.
lab_kill "$BRW_SERVER_PID" KILL
lab_wait_log "$LAB_TMP/visitor.log" "disconnected from server" 20 || lab_fail "visitor did not notice the server's loss"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server2.log" || lab_fail "server did not restart"
lab_wait_log "$LAB_TMP/visitor.log" "visitor connected name=dns-visitor" 40 2 || lab_fail "path not back after the server restart"
echo_ok "server killed and restarted: echo works again"

n=$(lab_count_log "$LAB_TMP/visitor.log" "visitor connected name=dns-visitor")
lab_kill "$owner_pid" KILL
mv "$LAB_TMP/owner.log" "$LAB_TMP/owner1.log"
# While the owner is away the visitor is told owner-offline (the server
# remembers the name), and keeps asking.
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=dns-visitor proxy=dns path=relay reason=owner-offline" 10 ||
    lab_fail "visitor did not log owner-offline while the owner was away"
lab_wait_log "$LAB_TMP/server2.log" "sudp visitor refused proxy=dns .*reason=owner-offline" 5 ||
    lab_fail "server did not log owner-offline"
lab_pass "owner away: the visitor is refused owner-offline, logged by server and visitor"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
owner_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/visitor.log" "visitor connected name=dns-visitor" 40 $((n + 1)) || lab_fail "path not back after the owner restart"
echo_ok "owner killed and restarted: echo works again"

lab_kill "$visitor_pid" KILL
mv "$LAB_TMP/visitor.log" "$LAB_TMP/visitor1.log"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
visitor_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/visitor.log" "visitor connected name=dns-visitor" 20 || lab_fail "path not back after the visitor restart"
echo_ok "visitor killed and restarted: echo works again"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"

brw_stop_clean "$visitor_pid" "$LAB_TMP/visitor.log" "visitor"
brw_stop_clean "$owner_pid" "$LAB_TMP/owner.log" "owner"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server2.log" "server"
lab_pass "SIGTERM: visitor, owner and server exit 0 with every handle closed"
echo "PASS test_sudp"
