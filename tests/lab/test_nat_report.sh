#!/usr/bin/env bash
# test_nat_report: `burrow nat` names every NAT type of the lab (none,
# full-cone, restricted, port-restricted, symmetric) against coturn and
# against burrow's own server, both with a second address (RFC 5780), and
# agrees with coturn's turnutils_natdiscovery on mapping and filtering; a
# home router behind a carrier NAT (PCP via miniupnpd reports the WAN
# address 100.64.0.2) is reported as carrier-grade NAT; a plain RFC 8489
# server gives a partial report (exit 3) saying why; --lifetime brackets the
# router's UDP conntrack timeout; an unreachable server, dropped UDP and a
# server answering garbage exit 1 with a clear message within a few seconds;
# hairpinning is seen behind a router that does it (full-cone+hairpin).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
for t in turnserver turnutils_natdiscovery miniupnpd python3; do
    command -v $t >/dev/null || lab_fail "$t not installed (scripts/deps.sh)"
done
lab_up || lab_fail "lab_up"
lab_srv_alt || lab_fail "lab_srv_alt"
lab_carrier_up || lab_fail "lab_carrier_up"

# coturn as an RFC 5780 server (two addresses, ports 3478/3479), and as a
# plain one (one address, port 3480, --no-rfc5780). STUN only.
turn() { # LOG PIDFILE ARGS...
    local log=$1 pid=$2; shift 2
    lab_bg srv "$log" turnserver -n -S -z --no-tls --no-dtls --no-cli --simple-log \
        --log-file stdout --pidfile "$pid" --db "$LAB_TMP/turndb-$(basename "$pid")" "$@"
}
turn "$LAB_TMP/coturn.log" "$LAB_TMP/coturn.pid" -L 203.0.113.10 -L 203.0.113.11 -p 3478 \
    --alt-listening-port 3479
turn "$LAB_TMP/coturn-plain.log" "$LAB_TMP/coturn-plain.pid" -L 203.0.113.10 -p 3480 --no-rfc5780
brw_server_conf "$LAB_TMP/server.toml" "$(brw_token)" 'natDiscovery.altAddr = "203.0.113.11"'
brw_start_server "$LAB_TMP/server.toml" "$LAB_TMP/server.log" || lab_fail "server start"
for p in 3478 3479 3480; do lab_wait_port srv udp 203.0.113.10 $p 10 || lab_fail "coturn :$p"; done
lab_wait_port srv udp 203.0.113.11 7001 10 || lab_fail "burrow STUN on the second address"

# nat NODE TAG ARGS...: run `burrow nat ARGS` in NODE; stdout to TAG.out,
# stderr to TAG.log (scanned for sanitizer reports), exit code to TAG.rc,
# milliseconds taken to TAG.ms.
nat() {
    local node=$1 tag=$2 t0; shift 2
    t0=$(date +%s%3N)
    lab_exec "$node" "$BURROW_BIN" nat "$@" >"$LAB_TMP/$tag.out" 2>"$LAB_TMP/$tag.log"
    echo $? >"$LAB_TMP/$tag.rc"
    echo $(($(date +%s%3N) - t0)) >"$LAB_TMP/$tag.ms"
}
# field TAG PATH: a field of TAG's JSON report ("a.b" for nested keys).
field() {
    python3 - "$LAB_TMP/$1.out" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'):
    v = v.get(k) if isinstance(v, dict) else None
print('null' if v is None else str(v).lower() if isinstance(v, bool) else v)
EOF
}
rc() { cat "$LAB_TMP/$1.rc"; }
ms() { cat "$LAB_TMP/$1.ms"; }
secs_below() { [ "$(ms "$1")" -lt $(($2 * 1000)) ]; }

# expect TAG KEY MAPPING FILTERING: the report names the type.
expect() {
    local tag=$1 key=$2 map=$3 filt=$4
    [ "$(rc "$tag")" = 0 ] || lab_fail "$tag: exit $(rc "$tag"): $(cat "$LAB_TMP/$tag.log")"
    [ "$(field "$tag" nat_type)" = "$key" ] || lab_fail "$tag: nat_type $(field "$tag" nat_type), want $key"
    [ "$(field "$tag" mapping)" = "$map" ] || lab_fail "$tag: mapping $(field "$tag" mapping), want $map"
    [ "$(field "$tag" filtering)" = "$filt" ] || lab_fail "$tag: filtering $(field "$tag" filtering), want $filt"
    secs_below "$tag" 8 || lab_fail "$tag: took $(ms "$tag") ms"
    lab_pass "$tag: $key ($map mapping, $filt filtering) in $(ms "$tag") ms"
}

# natdiscovery NODE TAG: coturn's client in the background (it waits out its
# own timeouts); turn_verdict TAG mapping|filtering reads it in our words.
natdiscovery() {
    lab_bg "$1" "$LAB_TMP/$2.log" turnutils_natdiscovery -m -f 203.0.113.10
}
turn_verdict() {
    local line
    line=$(grep -Eo "NAT with [A-Za-z ]+ ${2^} Behavior|NAT with [A-Za-z ]+ ${2^}!" "$LAB_TMP/$1.log" | head -1)
    case $line in
        *"Endpoint Independent"*) echo endpoint-independent ;;
        *"Address and Port Dependent"*) echo address-and-port-dependent ;;
        *"Address Dependent"*) echo address-dependent ;;
        *) echo "unknown($line)" ;;
    esac
}
agree() { # TAG NDTAG
    local m f
    m=$(turn_verdict "$2" mapping) f=$(turn_verdict "$2" filtering)
    [ "$m" = "$(field "$1" mapping)" ] && [ "$f" = "$(field "$1" filtering)" ] ||
        lab_fail "$1: burrow says $(field "$1" mapping)/$(field "$1" filtering), turnutils_natdiscovery $m/$f"
    lab_pass "$1: agrees with turnutils_natdiscovery ($m, $f)"
}

declare -A KEY=([full-cone]=full-cone [restricted]=restricted-cone
    [port-restricted]=port-restricted-cone [symmetric]=symmetric)
declare -A MAP=([full-cone]=endpoint-independent [restricted]=endpoint-independent
    [port-restricted]=endpoint-independent [symmetric]=address-and-port-dependent)
declare -A FILT=([full-cone]=endpoint-independent [restricted]=address-dependent
    [port-restricted]=address-and-port-dependent [symmetric]=address-and-port-dependent)

# Two types at a time, one behind each router; coturn's client runs meanwhile.
for pair in "full-cone restricted" "port-restricted symmetric"; do
    read -r t1 t2 <<<"$pair"
    lab_set_nat nat1 "$t1" && lab_set_nat nat2 "$t2" || lab_fail "set nat $pair"
    natdiscovery c1 "nd-$t1"
    natdiscovery c2 "nd-$t2"
    [ "$t1" = full-cone ] && natdiscovery user nd-none
    pids=()
    for node in c1:$t1 c2:$t2; do
        n=${node%%:*} t=${node#*:}
        nat "$n" "coturn-$t" -s 203.0.113.10 --json --no-router & pids+=($!)
        nat "$n" "burrow-$t" -s 203.0.113.10:7000 --json --no-router & pids+=($!)
    done
    wait "${pids[@]}"
    for t in $t1 $t2; do
        expect "coturn-$t" "${KEY[$t]}" "${MAP[$t]}" "${FILT[$t]}"
        expect "burrow-$t" "${KEY[$t]}" "${MAP[$t]}" "${FILT[$t]}"
    done
    lab_wait_log "$LAB_TMP/nd-$t1.log" 'Filtering' 60 2 || lab_fail "turnutils_natdiscovery ($t1)"
    lab_wait_log "$LAB_TMP/nd-$t2.log" 'Filtering' 60 2 || lab_fail "turnutils_natdiscovery ($t2)"
    agree "coturn-$t1" "nd-$t1"
    agree "coturn-$t2" "nd-$t2"
done
lab_set_nat nat1 port-restricted
lab_set_nat nat2 port-restricted

# Hairpinning: no lab type above loops a packet back; full-cone+hairpin does.
for t in full-cone port-restricted symmetric; do
    [ "$(field "coturn-$t" hairpinning)" = no ] || lab_fail "$t: hairpinning $(field "coturn-$t" hairpinning)"
done
lab_set_nat nat1 full-cone+hairpin || lab_fail "set nat full-cone+hairpin"
nat c1 hairpin -s 203.0.113.10:7000 --json --no-router
expect hairpin full-cone endpoint-independent endpoint-independent
[ "$(field hairpin hairpinning)" = yes ] || lab_fail "hairpin: hairpinning $(field hairpin hairpinning)"
[ "$(rc hairpin)" = 0 ] || lab_fail "hairpin: exit $(rc hairpin)"
lab_pass "hairpinning: yes behind full-cone+hairpin, no behind the other types"
lab_set_nat nat1 port-restricted

# None: `user` has a public address and no firewall.
nat user none-coturn -s 203.0.113.10 --json --no-router
nat user none-burrow -s 203.0.113.10:7000 --json
expect none-coturn open endpoint-independent endpoint-independent
expect none-burrow open endpoint-independent endpoint-independent
[ "$(field none-burrow network)" = public ] || lab_fail "none: network $(field none-burrow network)"
lab_wait_log "$LAB_TMP/nd-none.log" 'Filtering' 60 2 || lab_fail "turnutils_natdiscovery (none)"
agree none-coturn nd-none

# Carrier NAT: miniupnpd on the home router reports its WAN address
# 100.64.0.2 (PCP), which is not the public 203.0.113.30. The same on nat1
# reports 203.0.113.21, the public address: one NAT. Each instance has its own
# pid file (miniupnpd refuses to start when /run/miniupnpd.pid names a live one).
miniupnpd_on() { # ROUTER LAN
    cat >"$LAB_TMP/miniupnpd-$1.conf" <<EOF
ext_ifname=wan
listening_ip=lan
http_port=5000
enable_natpmp=yes
enable_upnp=yes
secure_mode=no
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1024-65535 $2 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
    lab_bg "$1" "$LAB_TMP/miniupnpd-$1.log" miniupnpd -d -f "$LAB_TMP/miniupnpd-$1.conf" \
        -P "$LAB_TMP/miniupnpd-$1.pid"
    lab_wait_port "$1" udp '*' 5351 10 || lab_fail "miniupnpd in $1"
}
miniupnpd_on home 192.168.3.0/24
miniupnpd_on nat1 192.168.1.0/24
nat c3 carrier -s 203.0.113.10:7000 --json
[ "$(rc carrier)" = 0 ] || lab_fail "carrier: exit $(rc carrier)"
[ "$(field carrier network)" = cgnat ] || lab_fail "carrier: network $(field carrier network) ($(field carrier network_reason))"
[ "$(field carrier public_address | cut -d: -f1)" = 203.0.113.30 ] || lab_fail "carrier: public $(field carrier public_address)"
lab_pass "carrier NAT: $(field carrier network_reason)"
nat c3 carrier-human -s 203.0.113.10:7000
grep -q "behind carrier-grade NAT" "$LAB_TMP/carrier-human.out" || lab_fail "carrier: human report"
field carrier direct_access | grep -q "DDNS plus a router mapping cannot reach this host; use the tunnel" ||
    lab_fail "carrier: direct_access $(field carrier direct_access)"
grep -q "direct access .*carrier's, not public" "$LAB_TMP/carrier-human.out" || lab_fail "carrier: no direct-access line"
awk 'length > 80 { exit 1 }' "$LAB_TMP/carrier-human.out" || lab_fail "a report line is wider than 80 columns"
lab_pass "human report fits 80 columns"
# One NAT, no router service: cannot rule a carrier NAT out, and says so.
[ "$(field coturn-port-restricted network)" = nat ] || lab_fail "one NAT: network"
field coturn-port-restricted network_reason | grep -q "cannot be ruled out" || lab_fail "one NAT: reason"
# One NAT whose router tells its WAN address.
nat c1 onenat -s 203.0.113.10:7000 --json
[ "$(field onenat network)" = nat ] && [ "$(field onenat router.pcp.external_address)" = 203.0.113.21 ] ||
    lab_fail "one NAT with PCP: $(field onenat network) ($(field onenat network_reason))"
lab_pass "one NAT, router on PCP: $(field onenat network_reason)"

# A plain RFC 8489 server: public address known, the rest unknown and why.
nat c1 plain -s 203.0.113.10:3480 --json --no-router
[ "$(rc plain)" = 3 ] || lab_fail "plain server: exit $(rc plain), want 3"
[ "$(field plain public_address | cut -d: -f1)" = 203.0.113.21 ] || lab_fail "plain: public address"
[ "$(field plain mapping)" = unknown ] && field plain mapping_reason | grep -q OTHER-ADDRESS ||
    lab_fail "plain: mapping $(field plain mapping) ($(field plain mapping_reason))"
lab_pass "plain RFC 8489 server: partial report, exit 3: $(field plain mapping_reason | cut -c1-60)"

# --lifetime: the router's conntrack forgets an idle UDP flow after 8 s.
lab_exec nat1 sysctl -qw net.netfilter.nf_conntrack_udp_timeout=8 || lab_fail "sysctl"
nat c1 life -s 203.0.113.10 --json --no-router --lifetime
[ "$(field life mapping_lifetime.min_s)" = 5 ] && [ "$(field life mapping_lifetime.max_s)" = 10 ] ||
    lab_fail "lifetime: $(field life mapping_lifetime.min_s)..$(field life mapping_lifetime.max_s), want 5..10"
lab_pass "lifetime: between 5 and 10 s (conntrack 8 s) in $(ms life) ms"
nat c1 life-burrow -s 203.0.113.10:7000 --json --no-router --lifetime
[ "$(field life-burrow mapping_lifetime.min_s)" = 5 ] && [ "$(field life-burrow mapping_lifetime.max_s)" = 10 ] ||
    lab_fail "lifetime vs burrow: $(field life-burrow mapping_lifetime.min_s)..$(field life-burrow mapping_lifetime.max_s) ($(field life-burrow mapping_lifetime.reason)), want 5..10"
lab_pass "lifetime against burrow's server (RESPONSE-PORT): between 5 and 10 s in $(ms life-burrow) ms"
# A plain server (no RESPONSE-PORT): unknown, said at once.
nat c1 life-plain -s 203.0.113.10:3480 --json --no-router --lifetime
field life-plain mapping_lifetime.reason | grep -q RESPONSE-PORT || lab_fail "lifetime vs plain: reason"
secs_below life-plain 8 || lab_fail "lifetime vs a server without RESPONSE-PORT waited"
lab_pass "lifetime against a server without RESPONSE-PORT: unknown, said at once"

# Bad input: nobody there, UDP dropped on the way, garbage answers.
nat c1 nobody -s 203.0.113.99
lab_exec nat1 nft insert rule ip natlab forward udp dport 7000 drop
nat c1 dropped -s 203.0.113.10:7000 --json
lab_set_nat nat1 port-restricted
lab_bg srv "$LAB_TMP/garbage-srv.log" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.10", 3490))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"\x01\x01\x00\x08" + d[4:20] + b"garbage!", a)  # a Binding success that lies about its length
    s.sendto(b"hello, this is not STUN", a)'
lab_wait_port srv udp 203.0.113.10 3490 10 || lab_fail "garbage server"
nat c1 garbage -s 203.0.113.10:3490
for t in nobody dropped garbage; do
    [ "$(rc $t)" = 1 ] || lab_fail "$t: exit $(rc $t), want 1"
    secs_below $t 5 || lab_fail "$t: took $(ms $t) ms"
done
grep -q "error .*no answer within" "$LAB_TMP/nobody.out" || lab_fail "nobody: message: $(cat "$LAB_TMP/nobody.out")"
grep -q "no answer within" "$LAB_TMP/dropped.log" || lab_fail "dropped: no message on stderr beside --json"
[ "$(field dropped error | cut -c1-16)" = "no answer within" ] || lab_fail "dropped: error $(field dropped error)"
grep -q "garbage" "$LAB_TMP/garbage.out" || lab_fail "garbage: message: $(cat "$LAB_TMP/garbage.out")"
lab_pass "unreachable, dropped, garbage: exit 1 within 5 s with a clear message"

# Usage: no server at all; a client config gives serverAddr:serverPort.
nat c1 usage
[ "$(rc usage)" = 2 ] && grep -q -- "-s HOST" "$LAB_TMP/usage.log" || lab_fail "usage: exit $(rc usage)"
brw_client_conf "$LAB_TMP/client.toml" x
nat c1 byconf -c "$LAB_TMP/client.toml" --json --no-router
expect byconf port-restricted-cone endpoint-independent address-and-port-dependent
lab_pass "nat_report"
