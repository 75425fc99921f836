#!/usr/bin/env bash
# test_stun_server: burrow server's STUN service (server/stun_srv.c) against
# Debian's clients. srv gets a second address, 203.0.113.11, and the server
# finds it on its own (no natDiscovery.altAddr): RFC 5780 discovery on
# .10/.11 x 7000/7001. From c1 behind nat1 of each type, `stun` (stun-client,
# RFC 3489 tests) and coturn's `turnutils_natdiscovery` (RFC 5780 mapping and
# filtering) must name the lab's type; from `user` (no NAT) both see an
# open path. Garbage, oversized and non-Binding datagrams get no reply, are
# counted and logged once; a udp tunnel through the same server keeps
# working. Then: without the second address the server says discovery is
# limited and still answers Binding; with natDiscovery.stunPort/altAddr set
# explicitly it serves there.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
for t in stun turnutils_natdiscovery turnutils_stunclient; do
    command -v "$t" >/dev/null || { echo "FAIL: $t not installed (scripts/deps.sh)"; exit 1; }
done
lab_up || lab_fail "lab_up"
lab_exec srv ip addr add 203.0.113.11/24 dev eth0 || lab_fail "second address on srv"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo udp 192.168.1.10 9000 6090
lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9000
lab_wait_port c1 udp 192.168.1.10 9000 5 || lab_fail "udp_echo in c1 did not start"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
SLOG=$LAB_TMP/server.log
lab_wait_log "$SLOG" 'stun: found a second global address alt=203\.0\.113\.11 ' 5 ||
    lab_fail "second address not found on its own"
lab_wait_log "$SLOG" 'stun: serving udp with RFC 5780 discovery addrs=203\.0\.113\.10:7000,203\.0\.113\.10:7001,203\.0\.113\.11:7000,203\.0\.113\.11:7001' 5 ||
    lab_fail "discovery sockets"
for a in 203.0.113.10:7000 203.0.113.10:7001 203.0.113.11:7000 203.0.113.11:7001; do
    lab_wait_port srv udp "${a%:*}" "${a#*:}" 5 || lab_fail "nothing on udp $a"
done
lab_pass "second address found; four sockets .10/.11 x 7000/7001"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
brw_wait_proxy "$LAB_TMP/client.log" "$SLOG" echo udp 6090 || lab_fail "udp proxy not registered"
out=$(lab_exec user "$UDP_CHECK" -s 500 203.0.113.10 6090 50) || lab_fail "udp tunnel: $out"
lab_pass "udp tunnel beside the STUN service: $out"

# stun_classic NODE: the "Primary:" line of stun-client's RFC 3489 tests.
stun_classic() {
    lab_exec "$1" timeout 20 stun 203.0.113.10:7000 2>&1 | sed -n 's/^Primary: *//p' | tr -d '\t'
}
# natdisc NODE [PORT]: coturn's RFC 5780 mapping and filtering verdicts, one line.
natdisc() {
    lab_exec "$1" timeout 30 turnutils_natdiscovery -m -f -p "${2:-7000}" 203.0.113.10 2>&1 |
        sed -n 's/^NAT with \(.*\)!$/\1/p' | paste -sd ';'
}

declare -A WANT_STUN=(
    [full-cone]="Independent Mapping, Independent Filter"
    [restricted]="Independent Mapping, Address Dependent Filter"
    [port-restricted]="Independent Mapping, Port Dependent Filter"
    [symmetric]="Dependent Mapping"
)
declare -A WANT_5780=(
    [full-cone]="Endpoint Independent Mapping;Endpoint Independent Filtering"
    [restricted]="Endpoint Independent Mapping;Address Dependent Filtering"
    [port-restricted]="Endpoint Independent Mapping;Address and Port Dependent Filtering"
    [symmetric]="Address and Port Dependent Mapping;Address and Port Dependent Filtering"
)
for t in full-cone restricted port-restricted symmetric; do
    lab_set_nat nat1 "$t" || lab_fail "nat1 $t"
    got=$(stun_classic c1)
    case $got in "${WANT_STUN[$t]},"*) ;; *) lab_fail "stun behind $t: '$got', want '${WANT_STUN[$t]}'" ;; esac
    lab_pass "stun (RFC 3489) behind $t: $got"
    got=$(natdisc c1)
    [ "$got" = "${WANT_5780[$t]}" ] || lab_fail "turnutils_natdiscovery behind $t: '$got', want '${WANT_5780[$t]}'"
    lab_pass "turnutils_natdiscovery (RFC 5780) behind $t: $got"
done
lab_set_nat nat1 port-restricted

got=$(stun_classic user)
[ "$got" = "Open" ] || lab_fail "stun from user: '$got', want 'Open'"
lab_pass "stun from user (no NAT): $got"
got=$(natdisc user)
[ "$got" = "Endpoint Independent Mapping;Endpoint Independent Filtering" ] || lab_fail "natdiscovery from user: '$got'"
out=$(lab_exec user timeout 10 turnutils_stunclient -p 7000 203.0.113.10 2>&1)
grep -q 'UDP reflexive addr: 203\.0\.113\.50:' <<<"$out" || lab_fail "user's reflexive address: $out"
lab_pass "from user: $got; reflexive address is its own"

# No answer to anything but a Binding request; drops counted, one log line.
cat >"$LAB_TMP/garbage.py" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
cookie, tid = bytes.fromhex("2112a442"), bytes(range(12))
hdr = lambda t, n: struct.pack(">HH", t, n) + cookie + tid
junk = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",                                 # malformed
    hdr(0x0001, 1504) + struct.pack(">HH", 0x0026, 1500) + bytes(1500),   # oversized Binding
    hdr(0x0011, 0),                                                       # Binding indication
    hdr(0x0003, 0),                                                       # Allocate request
]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.4)
for m in junk:
    s.sendto(m, (host, port))
    try:
        s.recvfrom(4096)
        print("reply to", m[:4].hex()); sys.exit(1)
    except socket.timeout:
        pass
s.sendto(hdr(0x0001, 0), (host, port))
data, _ = s.recvfrom(4096)
assert data[:2] == b"\x01\x01" and data[8:20] == tid, data.hex()
print("4 dropped, Binding answered (%d bytes for 20)" % len(data))
EOF
out=$(lab_exec user python3 "$LAB_TMP/garbage.py" 203.0.113.10 7000) || lab_fail "garbage got a reply: $out"
lab_pass "garbage: $out"
# (turnutils_stunclient above may already have caused the first line: after
# its RESPONSE-PORT request it sends one padded past STUN_SRV_REQ_MAX.)
lab_wait_log "$SLOG" 'stun: dropped a datagram reason=[a-z-]+ from=203\.0\.113\.50:' 5 || lab_fail "no drop line"
n=$(lab_count_log "$SLOG" 'stun: dropped a datagram')
[ "$n" = 1 ] || lab_fail "$n drop lines for 4 drops (want 1 a minute)"
lab_pass "drops logged once"

out=$(lab_exec user "$UDP_CHECK" -s 500 203.0.113.10 6090 50) || lab_fail "udp tunnel after: $out"
lab_pass "udp tunnel still serving: $out"
lab_kill "$BRW_SERVER_PID"
lab_wait_log "$SLOG" 'stun: stopped .* dropped: oversized=[12] malformed=1 not-request=1 not-binding=1 cannot-change=0' 5 ||
    lab_fail "totals at stop"
lab_pass "totals: $(grep -o 'stun: stopped.*' "$SLOG")"

# Without the second address: plain STUN, and the log says why.
lab_exec srv ip addr del 203.0.113.11/24 dev eth0
: >"$SLOG"
brw_start_server "$LAB_TMP/frps.toml" "$SLOG" || lab_fail "server restart"
lab_wait_log "$SLOG" 'stun: serving udp addr=203\.0\.113\.10:7000 \(Binding only; NAT behaviour discovery limited: no natDiscovery\.altAddr and the host has 1 global IPv4 addresses' 5 ||
    lab_fail "no 'limited' line"
out=$(lab_exec user timeout 10 turnutils_stunclient -p 7000 203.0.113.10 2>&1)
grep -q 'UDP reflexive addr: 203\.0\.113\.50:' <<<"$out" || lab_fail "plain Binding: $out"
lab_pass "one address: discovery limited (logged), Binding answered"
lab_kill "$BRW_SERVER_PID"

# Explicit keys: stunPort 3478 (coturn's default), altAddr, altPort.
lab_exec srv ip addr add 203.0.113.11/24 dev eth0
brw_server_conf "$LAB_TMP/frps2.toml" "$token" "natDiscovery.stunPort = 3478" \
    'natDiscovery.altAddr = "203.0.113.11"' "natDiscovery.altPort = 3490"
: >"$SLOG"
brw_start_server "$LAB_TMP/frps2.toml" "$SLOG" || lab_fail "server with natDiscovery keys"
lab_wait_log "$SLOG" 'addrs=203\.0\.113\.10:3478,203\.0\.113\.10:3490,203\.0\.113\.11:3478,203\.0\.113\.11:3490' 5 ||
    lab_fail "explicit natDiscovery keys"
[ "$(lab_count_log "$SLOG" 'found a second global address')" = 0 ] || lab_fail "looked for an address it was given"
lab_set_nat nat1 restricted
got=$(natdisc c1 3478)
[ "$got" = "${WANT_5780[restricted]}" ] || lab_fail "natdiscovery on 3478 behind restricted: '$got'"
lab_pass "natDiscovery.stunPort/altAddr/altPort: $got"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_stun_server"
