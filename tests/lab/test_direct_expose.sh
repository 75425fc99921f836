#!/usr/bin/env bash
# test_direct_expose: a tcp proxy with `directExpose = true` (client/cexpose.c).
# miniupnpd (UPnP IGD + NAT-PMP + PCP, set up as in test_portmap.sh) runs in
# nat1; a tcp echo service listens on c1's LAN address. First, before
# miniupnpd runs, the client logs "no direct route ... relay ... only" and the
# relay serves. Then for each protocol
# (natTraversal.portMappingProtocols = [one]) the client maps localPort on
# the router and logs "proxy echo reachable directly at EXT:PORT via P ...
# relay at srv:6022 stays as fallback"; `burrow status` shows the direct
# address; `user` reaches the echo both at srv:6022 (relay) and at nat1's
# WAN address (direct), 64 KiB checked each way. Then the server is killed
# (-9): the direct route still carries 64 KiB, checked. On the client's
# SIGTERM (exit 0, clean) the mapping is deleted: miniupnpd's rules are gone
# and `user` reaches nothing at the WAN address. With PCP the client also
# has a [[ddns]] name (dyndns2 over HTTPS, tests/lab/dyndns2_server.py in
# `user`): it publishes the router's external address ($EXT_IP), not the
# address the server saw at login (nat1's WAN), and logs which it chose.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
command -v miniupnpd >/dev/null || { echo "SKIP: miniupnpd not installed (scripts/deps.sh: miniupnpd-nftables)"; exit 0; }
TCP_ECHO=$(lab_tool tcp_echo) || exit 1
EXT_IP=192.0.3.21 # miniupnpd's declared ext_ip (see test_portmap.sh)
WAN_IP=203.0.113.21
lab_up || lab_fail "lab_up"

# echo_ok HOST PORT: 64 KiB of random bytes echoed intact.
echo_ok() {
    lab_exec user python3 - "$1" "$2" <<'PY'
import os, socket, sys
data = os.urandom(65536)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(data)
got = b""
while len(got) < len(data):
    b = s.recv(65536)
    if not b: break
    got += b
sys.exit(0 if got == data else 1)
PY
}
lab_bg c1 "$LAB_TMP/tcp_echo.log" "$TCP_ECHO" -b 192.168.1.10 9001
lab_wait_port c1 tcp 192.168.1.10 9001 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"

# --- no mapping service on the router: the relay only, said so -------------
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server-none.log" || lab_fail "server did not start"
brw_client_conf "$LAB_TMP/frpc-none.toml" "$token"
brw_proxy "$LAB_TMP/frpc-none.toml" echo tcp 192.168.1.10 9001 6022
echo "directExpose = true" >>"$LAB_TMP/frpc-none.toml"
brw_start_client c1 client-none "$LAB_TMP/frpc-none.toml"
CPID=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client-none.log" "$LAB_TMP/server-none.log" echo tcp 6022 || lab_fail "none: proxy not registered"
lab_wait_log "$LAB_TMP/client-none.log" "proxy echo: no direct route \(router mapping failed: .*\); relay at $SRV_ADDR:6022 only" 10 ||
    lab_fail "no router: no 'no direct route' line"
grep -m1 'no direct route' "$LAB_TMP/client-none.log"
echo_ok "$SRV_ADDR" 6022 || lab_fail "no router: relay srv:6022 does not echo"
brw_stop_clean "$CPID" "$LAB_TMP/client-none.log" "client (no router)"
lab_kill "$BRW_SERVER_PID"
lab_pass "no mapping service: 'no direct route ... relay only' logged, the relay echoes, clean stop"

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

rules() { lab_exec nat1 nft list table inet miniupnpd | grep -cE "dport 6022 " ; }

echo_ok "$WAN_IP" 6022 2>/dev/null && lab_fail "user reaches $WAN_IP:6022 before any mapping"
lab_pass "before the client runs: nothing at $WAN_IP:6022"

# The dyndns2 endpoint in `user` (as in test_ddns.sh): a test CA, a
# certificate for the user's address.
NS=203.0.113.50
C="$LAB_TMP/ca"
mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ddns-test-ca \
    -keyout "$C/ca.key" -out "$C/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$NS \
    -keyout "$C/srv.key" -out "$C/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\n' "$NS" >"$C/ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
    -extfile "$C/ext" -out "$C/srv.pem" 2>/dev/null || lab_fail "test certificate"
lab_bg user "$LAB_TMP/dyn.log" python3 -u "$(dirname "$0")/dyndns2_server.py" $NS 8443 \
    "$C/srv.pem" "$C/srv.key" alice s3cret "$LAB_TMP/dyn-requests.txt"
lab_wait_port user tcp $NS 8443 10 || lab_fail "dyndns2 endpoint did not start"

for proto in pcp natpmp upnp; do
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server-$proto.log" || lab_fail "server did not start"
    conf="$LAB_TMP/frpc-$proto.toml" log="$LAB_TMP/client-$proto.log"
    brw_client_conf "$conf" "$token" "natTraversal.portMappingProtocols = [\"$proto\"]" \
        "webServer.port = 7400" 'webServer.user = "admin"' 'webServer.password = "pw-direct"'
    if [ "$proto" = pcp ]; then
        cat >>"$conf" <<EOF2

[[ddns]]
provider = "dyndns2"
name = "home.dyn.test"
server = "https://$NS:8443"
user = "alice"
password = "s3cret"
caFile = "$C/ca.pem"
EOF2
    fi
    brw_proxy "$conf" echo tcp 192.168.1.10 9001 6022
    echo "directExpose = true" >>"$conf"
    brw_start_client c1 "client-$proto" "$conf"
    CPID=$LAB_LAST_PID
    brw_wait_proxy "$log" "$LAB_TMP/server-$proto.log" echo tcp 6022 || lab_fail "$proto: proxy not registered"
    lab_wait_log "$log" "proxy echo reachable directly at $EXT_IP:6022 via $proto .*relay at $SRV_ADDR:6022 stays as fallback" 10 ||
        lab_fail "$proto: no direct route logged"
    grep -m1 'reachable directly' "$log"
    echo_ok "$SRV_ADDR" 6022 || lab_fail "$proto: relay srv:6022 does not echo"
    echo_ok "$WAN_IP" 6022 || lab_fail "$proto: direct $WAN_IP:6022 does not echo"
    lab_pass "$proto: 64 KiB echoed through the relay (srv:6022) and directly ($WAN_IP:6022)"
    if [ "$proto" = pcp ]; then
        lab_wait_log "$LAB_TMP/dyn-requests.txt" "hostname=home.dyn.test myip=$EXT_IP answer=good" 15 ||
            lab_fail "ddns: the router's address $EXT_IP not published: $(cat "$LAB_TMP/dyn-requests.txt" 2>/dev/null)"
        lab_wait_log "$log" "ddns: publishing the router address $EXT_IP, not $WAN_IP \(from login\)" 5 ||
            lab_fail "ddns: no line saying the router's address is preferred"
        grep -m1 'ddns: publishing the router address' "$log"
        last=$(tail -1 "$LAB_TMP/dyn-requests.txt")
        case "$last" in *"myip=$EXT_IP "*) ;; *) lab_fail "ddns: last update is not the router's: $last" ;; esac
        lab_pass "pcp + [[ddns]]: the name carries the router's $EXT_IP (server saw $WAN_IP), said in the log"
    fi

    lab_exec c1 "$BURROW_BIN" status -c "$conf" >"$LAB_TMP/status.txt" 2>&1 ||
        lab_fail "$proto: burrow status failed: $(cat "$LAB_TMP/status.txt")"
    cat "$LAB_TMP/status.txt"
    grep -Eq "^echo +tcp +running +192\.168\.1\.10:9001 +$SRV_ADDR:6022 +direct $EXT_IP:6022 via $proto\$" \
        "$LAB_TMP/status.txt" || lab_fail "$proto: burrow status does not show the direct address"
    lab_exec c1 curl -sS -u admin:pw-direct http://127.0.0.1:7400/api/status | grep -q "\"direct_addr\": *\"$EXT_IP:6022\"" ||
        lab_fail "$proto: /api/status has no direct_addr"
    lab_pass "$proto: burrow status and /api/status show direct $EXT_IP:6022"

    lab_kill "$BRW_SERVER_PID" KILL
    echo_ok "$SRV_ADDR" 6022 2>/dev/null && lab_fail "$proto: srv:6022 still answers with the server killed"
    echo_ok "$WAN_IP" 6022 || lab_fail "$proto: direct route lost with the server down"
    lab_pass "$proto: server killed: 64 KiB still echoed directly at $WAN_IP:6022"

    [ "$(rules)" -ge 1 ] || lab_fail "$proto: miniupnpd has no rule for 6022"
    brw_stop_clean "$CPID" "$log" "client ($proto)"
    grep -q 'proxy echo: router mapping closed' "$log" || lab_fail "$proto: mapping close not logged"
    [ "$(rules)" = 0 ] || lab_fail "$proto: rules left after the client's exit: $(lab_exec nat1 nft list table inet miniupnpd)"
    echo_ok "$WAN_IP" 6022 2>/dev/null && lab_fail "$proto: $WAN_IP:6022 still answers after the client's exit"
    lab_pass "$proto: client exit deleted the mapping: no rules, $WAN_IP:6022 unreachable"
done
lab_alive "$MUPNP_PID" || lab_fail "miniupnpd died"
echo "PASS test_direct_expose"
