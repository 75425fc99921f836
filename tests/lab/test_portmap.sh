#!/usr/bin/env bash
# test_portmap: router port mapping (src/portmap) against miniupnpd in nat1.
# With nothing listening on the router, `burrow nat router` in c1 reports
# "no router mapping service" for PCP, NAT-PMP and UPnP IGD within 2 s.
# Then miniupnpd (nftables backend, UPnP IGD + NAT-PMP + PCP, its own
# table `inet miniupnpd` beside lab.sh's `natlab`) runs in nat1, and for
# each protocol in turn `burrow nat map` in c1 obtains a UDP and a TCP
# mapping with a 4 s lifetime: `user` (outside) reaches a UDP echo and a TCP
# echo in c1 through 203.0.113.21, a renewal is seen, and on SIGTERM the
# mapping is deleted (exit 0): miniupnpd's rules are gone and `user` can no
# longer reach c1.
#
# miniupnpd 2.3.1 refuses to serve when its WAN address is reserved, and the
# lab's 203.0.113.0/24 is (TEST-NET-3): its config declares ext_ip, an
# address it reports as external (192.0.3.21); inbound traffic is matched on
# the WAN interface, so `user` still reaches the mapping at 203.0.113.21.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
command -v miniupnpd >/dev/null || { echo "FAIL: miniupnpd not installed (scripts/deps.sh: miniupnpd-nftables)"; exit 1; }
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
TCP_ECHO=$(lab_tool tcp_echo) || exit 1
EXT_IP=192.0.3.21
WAN_IP=203.0.113.21
lab_up || lab_fail "lab_up"

ms_now() { date +%s%3N; }

# --- no mapping service on the router -----------------------------------
t0=$(ms_now)
out=$(lab_exec c1 "$BURROW_BIN" nat router 2>&1); rc=$?
t1=$(ms_now)
echo "$out"
[ "$rc" = 1 ] || lab_fail "nat router without miniupnpd: exit $rc, want 1"
[ "$(grep -c 'no router mapping service' <<<"$out")" = 3 ] || lab_fail "nat router: not 3 x 'no router mapping service'"
[ $((t1 - t0)) -lt 2500 ] || lab_fail "nat router took $((t1 - t0)) ms without miniupnpd"
lab_pass "no miniupnpd: PCP, NAT-PMP, UPnP each 'no router mapping service' in $((t1 - t0)) ms"

# --- miniupnpd in nat1 ------------------------------------------------------
cat >"$LAB_TMP/miniupnpd.conf" <<EOF2
ext_ifname=wan
ext_ip=$EXT_IP
listening_ip=lan
http_port=0
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=yes
min_lifetime=2
max_lifetime=86400
lease_file=$LAB_TMP/miniupnpd.leases
upnp_table_name=miniupnpd
upnp_nat_table_name=miniupnpd
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 192.168.1.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF2
# miniupnpd adds rules to chains that must exist (Debian's nft_init.sh does
# this on a router); natlab's forward chain (policy drop) must also let the
# DNATed connections through, as a router with port forwarding does.
lab_exec nat1 nft -f - <<'EOF2' || lab_fail "nft: miniupnpd table"
table inet miniupnpd {
  chain forward { type filter hook forward priority filter; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
EOF2
lab_exec nat1 nft add rule ip natlab forward iifname wan oifname lan ct status dnat accept ||
    lab_fail "nft: natlab dnat accept"
lab_bg nat1 "$LAB_TMP/miniupnpd.log" miniupnpd -d -f "$LAB_TMP/miniupnpd.conf" -P "$LAB_TMP/miniupnpd.pid"
MUPNP_PID=$LAB_LAST_PID
lab_wait_port nat1 udp 192.168.1.1 5351 5 || lab_fail "miniupnpd did not start"
lab_wait_log "$LAB_TMP/miniupnpd.log" 'HTTP listening' 5 || lab_fail "miniupnpd: no HTTP (UPnP)"

out=$(lab_exec c1 "$BURROW_BIN" nat router 2>&1) || lab_fail "nat router with miniupnpd: $out"
echo "$out"
for p in PCP NAT-PMP 'UPnP IGD'; do
    grep -Eq "^  $p +yes, external address $EXT_IP\$" <<<"$out" || lab_fail "nat router: $p not answered with $EXT_IP"
done
lab_pass "nat router: all three answer with external address $EXT_IP"

lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9000
lab_wait_port c1 udp 192.168.1.10 9000 5 || lab_fail "udp_echo in c1 did not start"
lab_bg c1 "$LAB_TMP/tcp_echo.log" "$TCP_ECHO" -b 192.168.1.10 9001
lab_wait_port c1 tcp 192.168.1.10 9001 5 || lab_fail "tcp_echo in c1 did not start"

udp_reaches() { lab_exec user "$UDP_CHECK" -w 300 -r 2 "$WAN_IP" 9000 3 >/dev/null 2>&1; }
tcp_reaches() {
    lab_exec user python3 - "$WAN_IP" 9001 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5)
s.sendall(b"portmap-probe")
got = b""
while len(got) < 13:
    b = s.recv(64)
    if not b: break
    got += b
sys.exit(0 if got == b"portmap-probe" else 1)
PY
}
rules() { lab_exec nat1 nft list table inet miniupnpd | grep -cE "dport (9000|9001) " ; }

udp_reaches && lab_fail "user reaches c1's udp 9000 before any mapping"
tcp_reaches 2>/dev/null && lab_fail "user reaches c1's tcp 9001 before any mapping"
lab_pass "before mapping: user reaches neither udp 9000 nor tcp 9001"

map_one() { # PROTO udp|tcp PORT
    local proto=$1 tr=$2 port=$3 log="$LAB_TMP/map-$1-$2.log"
    lab_bg c1 "$log" "$BURROW_BIN" nat map "$tr" "$port" --protocol "$proto" --lifetime 4
    MAP_PID=$LAB_LAST_PID
    lab_wait_log "$log" "^mapped $tr $port -> $EXT_IP:$port via $proto lifetime 4\$" 6 ||
        lab_fail "$proto: no $tr mapping"
}

unmap_one() { # PROTO udp|tcp
    local log="$LAB_TMP/map-$1-$2.log" rc
    kill -TERM "$MAP_PID"; wait "$MAP_PID"; rc=$?
    [ "$rc" = 0 ] || lab_fail "$1: nat map $2 exited $rc on SIGTERM"
    grep -q '^deleted$' "$log" || lab_fail "$1: $2 mapping not reported deleted"
}

for proto in pcp natpmp upnp; do
    map_one "$proto" udp 9000
    udp_reaches || lab_fail "$proto: user does not reach c1's udp echo through $WAN_IP:9000"
    udp_pid=$MAP_PID
    map_one "$proto" tcp 9001
    tcp_pid=$MAP_PID
    tcp_reaches || lab_fail "$proto: user does not reach c1's tcp echo through $WAN_IP:9001"
    lab_pass "$proto: user reaches udp 9000 and tcp 9001 in c1 through the mappings"
    lab_wait_log "$LAB_TMP/map-$proto-udp.log" "^renewed udp 9000 -> $EXT_IP:9000 via $proto" 5 ||
        lab_fail "$proto: udp mapping not renewed"
    lab_wait_log "$LAB_TMP/map-$proto-tcp.log" "^renewed tcp 9001 -> $EXT_IP:9001 via $proto" 5 ||
        lab_fail "$proto: tcp mapping not renewed"
    udp_reaches || lab_fail "$proto: user no longer reaches udp 9000 after the renewal"
    lab_pass "$proto: both mappings renewed (lifetime 4 s), still reachable"
    [ "$(rules)" -ge 4 ] || lab_fail "$proto: miniupnpd has no rules for 9000/9001"
    MAP_PID=$udp_pid; unmap_one "$proto" udp
    MAP_PID=$tcp_pid; unmap_one "$proto" tcp
    [ "$(rules)" = 0 ] || lab_fail "$proto: miniupnpd still has rules after the deletes: $(lab_exec nat1 nft list table inet miniupnpd)"
    udp_reaches && lab_fail "$proto: user still reaches udp 9000 after the delete"
    tcp_reaches 2>/dev/null && lab_fail "$proto: user still reaches tcp 9001 after the delete"
    lab_pass "$proto: deleted on SIGTERM (exit 0): miniupnpd's rules empty, user reaches nothing"
done

lab_alive "$MUPNP_PID" || lab_fail "miniupnpd died"
echo "PASS test_portmap"
