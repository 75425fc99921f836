#!/usr/bin/env bash
# test_lab_nat: the lab's NAT routers behave as their type claims.
# For each type on nat1, from c1:
#   mapping:   one socket probes reflectors on srv and user; the same public
#              port for both = endpoint-independent, different = symmetric.
#   filtering: a fresh socket contacts only srv:3478; then unsolicited UDP to
#              its public mapping from srv:3479 (contacted address, other port)
#              and from user:5555 (never contacted); finally srv:3478 itself
#              sends a marker (always allowed) and c1 reports what arrived.
# Plus: unsolicited TCP from user to c1 (routed to nat1's WAN) and to nat1's
# public address fails, and does succeed once nat1's firewall is flushed.
set -u
. "$(dirname "$0")/lab.sh"
lab_trap
PROBE=$(lab_tool udp_probe) || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
lab_up || lab_fail "lab_up"

lab_bg srv "$LAB_TMP/refl-srv.log" "$PROBE" reflect 3478
lab_bg user "$LAB_TMP/refl-user.log" "$PROBE" reflect 3478
lab_wait_port srv udp '*' 3478 5 || lab_fail "reflector on srv"
lab_wait_port user udp '*' 3478 5 || lab_fail "reflector on user"

# expectations: mapping(same|diff) from-srv-other-port(yes|no) from-user(yes|no)
declare -A EXPECT=(
    [port-restricted]="same no no"
    [symmetric]="diff no no"
    [full-cone]="same yes yes"
    [restricted]="same yes no"
)

lport=40000
for type in port-restricted symmetric full-cone restricted; do
    read -r want_map want_srv want_user <<<"${EXPECT[$type]}"
    lab_set_nat nat1 "$type" || lab_fail "$type: load rules"
    lport=$((lport + 10))

    # Mapping behaviour.
    out=$(lab_exec c1 "$PROBE" client -p "$lport" -t 0 203.0.113.10:3478 203.0.113.50:3478) ||
        lab_fail "$type: reflectors did not answer: $out"
    m_srv=$(sed -n 's/^mapped 203.0.113.10:3478 -> //p' <<<"$out")
    m_user=$(sed -n 's/^mapped 203.0.113.50:3478 -> //p' <<<"$out")
    [[ $m_srv == 203.0.113.21:* && $m_user == 203.0.113.21:* ]] ||
        lab_fail "$type: mappings not on nat1's WAN address: srv saw '$m_srv', user saw '$m_user'"
    if [ "$m_srv" = "$m_user" ]; then got_map=same; else got_map=diff; fi
    [ "$got_map" = "$want_map" ] ||
        lab_fail "$type: mapping for two destinations is '$got_map' ($m_srv vs $m_user), want '$want_map'"
    lab_pass "$type: mapping seen by srv $m_srv, by user $m_user ($got_map)"

    # Filtering behaviour.
    log="$LAB_TMP/client-$type.log"
    lab_bg c1 "$log" "$PROBE" client -p $((lport + 1)) -t 5000 -u kicked 203.0.113.10:3478
    cpid=$LAB_LAST_PID
    lab_wait_log "$log" '^listening' 5 || lab_fail "$type: filtering probe got no mapping"
    mapped=$(sed -n 's/^mapped 203.0.113.10:3478 -> //p' "$log")
    mport=${mapped##*:}
    lab_exec srv "$PROBE" send -p 3479 203.0.113.21 "$mport" from-srv-other-port
    lab_exec user "$PROBE" send -p 5555 203.0.113.21 "$mport" from-user
    lab_exec srv "$PROBE" send 127.0.0.1 3478 "kick 203.0.113.21 $mport"
    lab_wait_log "$log" '^done' 5 ||
        lab_fail "$type: the contacted srv:3478 could not reach mapping $mapped"
    lab_kill "$cpid"
    got_srv=no got_user=no
    grep -q '^recv 203.0.113.10:3479 from-srv-other-port$' "$log" && got_srv=yes
    grep -q '^recv 203.0.113.50:5555 from-user$' "$log" && got_user=yes
    [ "$got_srv" = "$want_srv" ] ||
        lab_fail "$type: unsolicited from contacted address, other port: got through=$got_srv, want $want_srv"
    [ "$got_user" = "$want_user" ] ||
        lab_fail "$type: unsolicited from uncontacted host: got through=$got_user, want $want_user"
    lab_pass "$type: inbound to $mapped from srv:3478 yes, srv:3479 $got_srv, user:5555 $got_user"
done

# Unsolicited TCP, default NAT type.
lab_set_nat nat1 port-restricted || lab_fail "reload port-restricted"
lab_bg c1 "$LAB_TMP/echo-c1.log" "$ECHO" 8000
lab_bg user "$LAB_TMP/echo-user.log" "$ECHO" 8000
lab_wait_port c1 tcp '*' 8000 5 || lab_fail "tcp_echo in c1"
lab_wait_port user tcp '*' 8000 5 || lab_fail "tcp_echo in user"
tcp_ok() { # NODE HOST PORT: a TCP connection to HOST:PORT completes within 2 s
    lab_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}
lab_check "c1 reaches user over TCP (outbound through nat1)" tcp_ok c1 203.0.113.50 8000
if tcp_ok user 192.168.1.10 8000; then lab_fail "user opened TCP to 192.168.1.10 through nat1"; fi
lab_pass "unsolicited TCP user -> 192.168.1.10:8000 fails"
if tcp_ok user 203.0.113.21 8000; then lab_fail "user opened TCP to nat1's WAN address"; fi
lab_pass "unsolicited TCP user -> 203.0.113.21:8000 fails"
# Control: without nat1's rules the same connection works, so it was the NAT
# firewall (not missing routes) that stopped it.
lab_exec nat1 nft flush ruleset
lab_check "control: with nat1's firewall flushed, user -> 192.168.1.10:8000 connects" \
    tcp_ok user 192.168.1.10 8000
echo "PASS test_lab_nat"
