#!/usr/bin/env bash
# test_xtcp_quic: xtcp user connections over QUIC. The owner runs in c1
# behind nat1 (tcp_echo as its local service), the visitor in c2 behind
# nat2 (no keepTunnelOpen: its first connection starts the pair); the server
# has a second address for NAT discovery. Per NAT pair:
#   - the visitor's first connection gets its first byte back in under 1 s
#     (QUIC over the server's UDP relay; stcp where QUIC is not up within
#     VISITOR_QUIC_WAIT_MS: a symmetric NAT's behaviour discovery makes
#     gathering ~0.8 s), and a byte-checked transfer goes through over QUIC;
#   - with srv's link capped by `tc tbf` at 2 Mbit/s: on a punchable pair
#     (port-restricted x port-restricted, full-cone x symmetric,
#     port-restricted x symmetric by the birthday approach; QUIC on the
#     direct path) 20 MB each way finish far faster than the
#     cap allows; on symmetric x symmetric (QUIC stays on the relay) a
#     smaller transfer still works, at about the cap;
#   - port-restricted x port-restricted with the direct path held back
#     (BURROW_TEST_XTCP_DIRECT_DELAY_MS): one 20 MB transfer starts on the
#     capped relay and finishes far above the cap, every byte checked: the
#     stream moved to the direct path;
#   - the server's dashboard (webServer on srv's loopback): /api/p2p's live
#     pair with the path both clients report (MSG_P2P_PATH), /api/clients'
#     natType from the rendezvous, burrow_p2p_pairs{path}; the row gone
#     once the clients stop;
#   - port-restricted x port-restricted with UDP to the relay blocked at nat2
#     and UDP between the sites blocked at nat1: QUIC begins on the punched
#     TCP path (net/dgram_tcp.c), the first connection rides it.
# Prints the matrix (pair, path, first byte, time to direct, capped transfer).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
LAT=$(lab_tool conn_latency) || exit 1
lab_up || lab_fail "lab_up"
lab_srv_alt || lab_fail "second server address"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000; ECHO_PID=$LAB_LAST_PID
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token" 'natDiscovery.altAddr = "203.0.113.11"' \
    'enablePrometheus = true' 'webServer.addr = "127.0.0.1"' 'webServer.port = 7500'
# Both clients' admin API (their own namespaces): `burrow status` shows the pair's path.
brw_client_conf "$LAB_TMP/owner.toml" "$token" "webServer.port = 7400"
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "ssh"
type = "xtcp"
secretKey = "xtcp-s3cret"
localIP = "192.168.1.10"
localPort = 9000
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token" "webServer.port = 7400"
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "p2p-ssh"
type = "xtcp"
serverName = "ssh"
secretKey = "xtcp-s3cret"
bindPort = 7200
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_log "$LAB_TMP/server.log" "udp-relay: serving" 5 || lab_fail "the server's UDP relay is off"

BIG=$((20 * 1024 * 1024))
CAP_S=80 # 20 MB at 2 Mbit/s
cap_on() { lab_exec srv tc qdisc add dev eth0 root tbf rate 2mbit burst 32kbit latency 400ms; }
cap_off() { lab_exec srv tc qdisc del dev eth0 root 2>/dev/null || true; }
now_ms() { date +%s%3N; }

# dash_check PATH PYTHON-EXPR (j: the parsed JSON; m: /metrics' samples as a dict), polled 5 s
dash_check() {
    local i
    for i in $(seq 1 50); do
        lab_exec srv curl -sS --max-time 3 -o "$LAB_TMP/dash.json" "http://127.0.0.1:7500$1" 2>/dev/null &&
            lab_exec srv curl -sS --max-time 3 -o "$LAB_TMP/dash.metrics" http://127.0.0.1:7500/metrics 2>/dev/null &&
            python3 - "$LAB_TMP/dash.json" "$LAB_TMP/dash.metrics" "$2" <<'PY' && return 0
import json, sys
j = json.load(open(sys.argv[1]))
m = {}
for l in open(sys.argv[2]):
    if l and not l.startswith("#") and " " in l:
        k, v = l.rsplit(" ", 1)
        m[k] = float(v)
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
        sleep 0.1
    done
    lab_fail "dashboard $1: $2 is false: $(head -c 800 "$LAB_TMP/dash.json")"
}
nat_word() { case $1 in symmetric) echo hard ;; *) echo easy ;; esac; }

MATRIX=()
# run_case NAT1 NAT2 WANT: direct | relay | moved (direct held back) | norelay (UDP to the
# relay and between the sites blocked: QUIC on the TCP path)
run_case() {
    local n1=$1 n2=$2 want=$3 tag="$1 x $2" opid vpid out us ttd=- path t0 t1 cap=-
    lab_set_nat nat1 "$n1" || lab_fail "nat1 $n1"
    lab_set_nat nat2 "$n2" || lab_fail "nat2 $n2"
    [ "$want" != moved ] || tag="$tag, direct held 1.5 s"
    if [ "$want" = norelay ]; then
        tag="$tag, no UDP relay, no UDP between the sites"
        lab_exec nat2 nft insert rule ip natlab forward udp dport 7002 drop || lab_fail "nft: block the relay"
        lab_exec nat1 nft insert rule ip natlab forward meta l4proto udp \
            ip saddr != { 203.0.113.10, 203.0.113.11 } ip daddr != { 203.0.113.10, 203.0.113.11 } drop ||
            lab_fail "nft: block udp between the sites"
    fi
    lab_exec nat1 conntrack -F >/dev/null 2>&1 || true
    lab_exec nat2 conntrack -F >/dev/null 2>&1 || true
    local ol="$LAB_TMP/owner-$want-$n1-$n2" vl="$LAB_TMP/visitor-$want-$n1-$n2"
    brw_start_client c1 "owner-$want-$n1-$n2" "$LAB_TMP/owner.toml"; opid=$LAB_LAST_PID
    lab_wait_log "$ol.log" "proxy registered.*name=ssh" 15 || lab_fail "$tag: xtcp proxy not registered"
    if [ "$want" = moved ]; then export BURROW_TEST_XTCP_DIRECT_DELAY_MS=1500; fi
    brw_start_client c2 "visitor-$want-$n1-$n2" "$LAB_TMP/visitor.toml"; vpid=$LAB_LAST_PID
    unset BURROW_TEST_XTCP_DIRECT_DELAY_MS
    lab_wait_port c2 tcp 127.0.0.1 7200 10 || lab_fail "$tag: visitor port 7200 not open"
    lab_wait_log "$vl.log" "login ok" 15 || lab_fail "$tag: visitor did not log in"
    [ "$want" != moved ] || cap_on || lab_fail "tc tbf on srv"
    # the first connection: it starts the pair, and waits for QUIC at most briefly
    out=$(lab_exec c2 "$LAT" 127.0.0.1 7200 1 3000) || lab_fail "$tag: first connection: $out"
    us=$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$out")
    [ "$us" -lt 1000000 ] || lab_fail "$tag: first byte after $((us / 1000)) ms (>= 1 s)"
    path=$(grep -oE "visitor connected .*path=[a-z]+" "$vl.log" | head -1 | sed -E 's/.*path=//')
    if [ "$want" = norelay ]; then
        [ "$path" = quic ] || lab_fail "$tag: first connection path=$path, want quic (on the TCP path)"
        lab_wait_log "$vl.log" "xtcp quic begins on path=direct-tcp" 5 || lab_fail "$tag: QUIC did not begin on the TCP path"
        path=quic-tcp
    elif [ "$path" != quic ]; then # QUIC came later than VISITOR_QUIC_WAIT_MS (slow gathering)
        [ "$n1$n2" != port-restrictedport-restricted ] || lab_fail "$tag: first connection path=$path, want quic"
        path=stcp
    fi
    lab_pass "$tag: first byte in $((us / 1000)) ms (path=$path)"
    if [ "$want" = moved ]; then # one long transfer from the relay on
        t0=$(now_ms)
        out=$(lab_exec c2 "$BLAST" -t 70 127.0.0.1 7200 1 "$BIG" 2>&1) ||
            lab_fail "$tag: 20 MB started on the relay: ${out##*$'\n'}"
        t1=$(now_ms)
        cap_off
        lab_wait_log "$vl.log" "xtcp quic path=direct .*streams=[1-9]" 5 ||
            lab_fail "$tag: the stream did not move to the direct path"
        [ $((t1 - t0)) -lt $((CAP_S * 1000 / 4)) ] ||
            lab_fail "$tag: 20 MB took $((t1 - t0)) ms: not far above the cap"
        cap="20 MB in $((t1 - t0)) ms"
        lab_pass "$tag: 20 MB each way started on the relay, moved, verified in $((t1 - t0)) ms (the cap allows one way in ${CAP_S} s)"
    fi
    # The first connection may have gone by stcp (QUIC later than
    # VISITOR_QUIC_WAIT_MS on a slow machine): the next ones must ride QUIC
    # once it is up, so wait for that before sending them.
    lab_wait_log "$vl.log" "xtcp quic ready " 15 || lab_fail "$tag: QUIC never came up"

    out=$(lab_exec c2 "$BLAST" -t 30 127.0.0.1 7200 4 262144 2>&1) ||
        lab_fail "$tag: transfer through the xtcp visitor: ${out##*$'\n'}"
    lab_pass "$tag: 4 x 256 KiB through the xtcp visitor verified"
    [ "$(lab_count_log "$vl.log" "visitor connected .*path=quic")" -ge 4 ] ||
        lab_fail "$tag: the transfer did not ride QUIC"
    if [ "$want" = norelay ]; then
        lab_wait_log "$vl.log" "xtcp quic path=direct-tcp .*rtt_ms=" 5 || lab_fail "$tag: no path=direct-tcp line"
        lab_wait_log "$vl.log" "xtcp relay unavailable .*path=direct-tcp" 15 ||
            lab_fail "$tag: the relay's failure did not leave QUIC on the TCP path"
        lab_pass "$tag: QUIC began on the TCP path; the relay's failure changed nothing"
    fi
    if [ "$want" = direct ] || [ "$want" = moved ]; then
        lab_wait_log "$vl.log" "xtcp quic path=direct " 10 || lab_fail "$tag: QUIC never moved to the direct UDP path"
        ttd=$(grep -oE "xtcp direct path .*time_to_direct_ms=[0-9]+" "$vl.log" | head -1 | sed -E 's/.*=//')
        lab_pass "$tag: QUIC on the direct path (punched ${ttd} ms after the pair began)"
        ttd="$ttd ms"
    fi
    if [ "$want" = direct ]; then
        cap_on || lab_fail "tc tbf on srv"
        t0=$(now_ms)
        out=$(lab_exec c2 "$BLAST" -t 60 127.0.0.1 7200 1 "$BIG" 2>&1) ||
            { cap_off; lab_fail "$tag: 20 MB direct under the cap: ${out##*$'\n'}"; }
        t1=$(now_ms)
        cap_off
        [ $((t1 - t0)) -lt $((CAP_S * 1000 / 4)) ] ||
            lab_fail "$tag: 20 MB took $((t1 - t0)) ms: not far above the cap"
        cap="20 MB in $((t1 - t0)) ms"
        lab_pass "$tag: 20 MB each way, srv capped at 2 Mbit/s: $((t1 - t0)) ms, verified (the cap allows one way in ${CAP_S} s)"
    elif [ "$want" = relay ]; then
        cap_on || lab_fail "tc tbf on srv"
        t0=$(now_ms)
        out=$(lab_exec c2 "$BLAST" -t 40 127.0.0.1 7200 1 524288 2>&1) ||
            { cap_off; lab_fail "$tag: 512 KiB over the capped relay: ${out##*$'\n'}"; }
        t1=$(now_ms)
        cap_off
        cap="512 KiB in $((t1 - t0)) ms"
        lab_pass "$tag: 512 KiB each way over the capped relay: $((t1 - t0)) ms, verified"
    fi
    if [ "$want" = direct ] || [ "$want" = relay ]; then # the admin API's view of the pair
        local st
        st=$(lab_exec c2 "$BURROW_BIN" status -c "$LAB_TMP/visitor.toml" 2>&1) ||
            lab_fail "$tag: burrow status (visitor): $st"
        grep -Eq "^p2p-ssh +xtcp +running .* $want [0-9.]+ms" <<<"$st" ||
            lab_fail "$tag: burrow status (visitor) shows no $want path: $st"
        st=$(lab_exec c1 "$BURROW_BIN" status -c "$LAB_TMP/owner.toml" 2>&1) ||
            lab_fail "$tag: burrow status (owner): $st"
        grep -Eq "^ssh +xtcp +running .* $want [0-9.]+ms" <<<"$st" ||
            lab_fail "$tag: burrow status (owner) shows no $want path: $st"
        lab_pass "$tag: burrow status on both sides: path $want with its RTT"
        dash_check /api/p2p "len(j['live']) == 1 and j['live'][0]['path'] == '$want' and j['live'][0]['reportedBy'] == 'visitor' and j['live'][0]['ownerRunId'] == j['pairs'][0]['ownerRunId'] and j['live'][0]['visitorRunId'] == j['pairs'][0]['visitorRunId'] and j['live'][0]['rttUs'] > 0 and j['pairs'][0]['path'] == '$want' and m['burrow_p2p_pairs{path=\"$want\"}'] == 1 and sum(v for k, v in m.items() if k.startswith('burrow_p2p_pairs')) == 1"
        dash_check /api/clients "sorted(c['natType'] for c in j['clients']) == sorted(['$(nat_word "$n1")', '$(nat_word "$n2")'])"
        lab_pass "$tag: the server's dashboard: the pair live on path $want (/api/p2p, burrow_p2p_pairs), natType $(nat_word "$n1")/$(nat_word "$n2")"
        if [ "$n1 $n2 $want" = "port-restricted port-restricted direct" ] && command -v chromium >/dev/null; then
            lab_exec srv env HOME="$LAB_TMP" timeout 60 chromium --headless --no-sandbox --disable-gpu \
                --user-data-dir="$LAB_TMP/chromium" --virtual-time-budget=4000 --dump-dom \
                http://127.0.0.1:7500/ >"$LAB_TMP/dom.html" 2>"$LAB_TMP/chromium.log"
            grep -q '<tr data-path="direct"><td>ssh</td>' "$LAB_TMP/dom.html" ||
                lab_fail "$tag: the rendered dashboard has no live pair on path direct: $(grep -o '<table id="live">.*</table>' "$LAB_TMP/dom.html" | head -c 600)"
            lab_pass "$tag: headless Chromium: the dashboard's P2P table shows the pair on path direct"
        fi
    fi
    if [ "$want" = direct ] && [ "$n2" = port-restricted ]; then # the owner's service is down
        lab_kill "$ECHO_PID" TERM
        ! out=$(lab_exec c2 "$LAT" 127.0.0.1 7200 1 3000) || lab_fail "$tag: a byte came back with the service down"
        lab_wait_log "$ol.log" "xtcp local connect failed" 5 || lab_fail "$tag: the owner did not log the refused dial"
        lab_bg c1 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.1.10 9000; ECHO_PID=$LAB_LAST_PID
        lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not restart"
        out=$(lab_exec c2 "$BLAST" -t 20 127.0.0.1 7200 2 65536 2>&1) ||
            lab_fail "$tag: transfer after the service came back: ${out##*$'\n'}"
        lab_pass "$tag: the service down: the stream closed, the pair kept; back: data flows"
    fi
    lab_kill "$vpid" TERM
    lab_kill "$opid" TERM
    dash_check /api/p2p "j['live'] == [] and j['pairs'][0]['path'] != 'unknown'"
    local f
    for f in "$vl.log" "$ol.log"; do
        grep -q "stopped: every handle closed" "$f" || lab_fail "$tag: $(basename "$f"): the loop did not close"
        ! grep -Eq "left open|did not close|LeakSanitizer|AddressSanitizer|runtime error" "$f" ||
            lab_fail "$tag: $(basename "$f"): unclean stop: $(grep -E 'left open|did not close|Sanitizer|runtime error' "$f" | head -3)"
    done
    MATRIX+=("$(printf '%-52s %-6s %6s ms   %-10s %s' "$tag" "$path" "$((us / 1000))" "$ttd" "$cap")")
}

run_case port-restricted port-restricted direct
run_case symmetric symmetric relay
run_case full-cone symmetric direct
run_case port-restricted symmetric direct
run_case port-restricted port-restricted moved
run_case port-restricted port-restricted norelay # last: its nft rules stay until lab_down

echo "xtcp over QUIC (owner nat1 x visitor nat2; srv capped at 2 Mbit/s for the last column):"
printf '  %-52s %-6s %9s   %-10s %s\n' pair path "1st byte" "to direct" "capped transfer"
for l in "${MATRIX[@]}"; do printf '  %s\n' "$l"; done
lab_pass "xtcp over QUIC: relay from the first connection, direct where punchable, streams move"
