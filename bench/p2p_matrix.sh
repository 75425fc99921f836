#!/usr/bin/env bash
# bench/p2p_matrix.sh [OWNER:VISITOR ...]: xtcp over QUIC on every pair of
# {none, full-cone, restricted, port-restricted, symmetric} (15 unordered
# pairs; issue #11), in the NAT lab (tests/lab), as root. Run by hand, once:
# it is a measurement, not a test (no pass/fail, not in ctest).
#
# Per pair: the owner runs behind nat1 (in c1; for "none" in `user`, a host
# with a public address and no firewall), the visitor behind nat2 (in c2;
# for "none" in `pub2`, a second public host, 203.0.113.51). The visitor
# has no keepTunnelOpen: its first connection starts the pair. Measured:
#   first byte   the visitor's first connection: connect + 1-byte echo
#                (tests/tools/conn_latency), and the path it took;
#   path         where the pair's QUIC ended up: direct (punched), relay
#                (QUIC over the server's UDP relay) or stcp;
#   to direct    the visitor's time_to_direct_ms (from the pair's start);
#   transfer     with srv's link capped by `tc tbf rate 2mbit`: 20 MB echoed
#                through one connection where direct, 512 KiB where relayed,
#                every byte checked (tcp_blast); Mbit/s = bytes x 8 / time,
#                one way (the echo runs the other way at the same time).
# Also a byte-checked 4 x 256 KiB transfer per pair before the cap.
# Output: a markdown table on stdout and in $P2P_OUT.md, a CSV ($P2P_OUT.csv)
# and a heat map ($P2P_OUT.png, gnuplot). Env: BURROW_BUILD (default
# ./build), P2P_OUT (default bench/p2p_matrix). About 3-4 minutes.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export BURROW_BUILD=${BURROW_BUILD:-$ROOT/build}
OUT=${P2P_OUT:-$ROOT/bench/p2p_matrix}
. tests/lab/lab.sh
. tests/lab/burrow.sh
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
LAT=$(lab_tool conn_latency) || exit 1

NATS=(none full-cone restricted port-restricted symmetric)
PAIRS=("$@")
if [ ${#PAIRS[@]} = 0 ]; then
    for ((i = 0; i < ${#NATS[@]}; i++)); do
        for ((j = i; j < ${#NATS[@]}; j++)); do PAIRS+=("${NATS[i]}:${NATS[j]}"); done
    done
fi

lab_up >/dev/null 2>&1 || lab_fail "lab_up"
lab_srv_alt || lab_fail "second server address"
lab_pub2_up || lab_fail "second public host"
# echo services: in c1 (owner behind nat1) and in user (owner with "none")
lab_bg c1 "$LAB_TMP/echo-c1.log" "$ECHO" -b 192.168.1.10 9000
lab_bg user "$LAB_TMP/echo-user.log" "$ECHO" -b 203.0.113.50 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 && lab_wait_port user tcp 203.0.113.50 9000 5 ||
    lab_fail "tcp_echo did not start"

token=$(brw_token)
BRW_LOG_LEVEL=info
brw_server_conf "$LAB_TMP/frps.toml" "$token" 'natDiscovery.altAddr = "203.0.113.11"'
for spec in c1:192.168.1.10 user:203.0.113.50; do
    brw_client_conf "$LAB_TMP/owner-${spec%%:*}.toml" "$token"
    printf '\n[[proxies]]\nname = "echo"\ntype = "xtcp"\nsecretKey = "p2p-k"\nlocalIP = "%s"\nlocalPort = 9000\n' \
        "${spec#*:}" >>"$LAB_TMP/owner-${spec%%:*}.toml"
done
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
printf '\n[[visitors]]\nname = "v"\ntype = "xtcp"\nserverName = "echo"\nsecretKey = "p2p-k"\nbindPort = 7200\n' \
    >>"$LAB_TMP/visitor.toml"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_log "$LAB_TMP/server.log" "udp-relay: serving" 5 || lab_fail "the server's UDP relay is off"

cap_on() { lab_exec srv tc qdisc add dev eth0 root tbf rate 2mbit burst 32kbit latency 400ms; }
cap_off() { lab_exec srv tc qdisc del dev eth0 root 2>/dev/null || true; }
now_ms() { date +%s%3N; }
host_of() { # NAT SIDE(1|2): the node a client behind that NAT runs in
    if [ "$1" != none ]; then echo "c$2"; elif [ "$2" = 1 ]; then echo user; else echo pub2; fi
}

CSV=$OUT.csv
echo "owner_nat,visitor_nat,first_path,first_byte_ms,path,via,time_to_direct_ms,check_4x256KiB,transfer_bytes,transfer_ms,mbit_s" >"$CSV"

# run_pair N1 N2: one row of the CSV.
run_pair() {
    local n1=$1 n2=$2 h1 h2 tag=$1-$2 ol vl opid vpid out us first path via ttd chk bytes t0 t1 ms i
    h1=$(host_of "$n1" 1) h2=$(host_of "$n2" 2)
    [ "$n1" = none ] || lab_set_nat nat1 "$n1" || lab_fail "nat1 $n1"
    [ "$n2" = none ] || lab_set_nat nat2 "$n2" || lab_fail "nat2 $n2"
    lab_exec nat1 conntrack -F >/dev/null 2>&1 || true
    lab_exec nat2 conntrack -F >/dev/null 2>&1 || true
    ol=$LAB_TMP/owner-$tag vl=$LAB_TMP/visitor-$tag
    brw_start_client "$h1" "owner-$tag" "$LAB_TMP/owner-$h1.toml"; opid=$LAB_LAST_PID
    lab_wait_log "$ol.log" "proxy registered.*name=echo" 15 || lab_fail "$tag: xtcp proxy not registered"
    brw_start_client "$h2" "visitor-$tag" "$LAB_TMP/visitor.toml"; vpid=$LAB_LAST_PID
    lab_wait_port "$h2" tcp 127.0.0.1 7200 10 || lab_fail "$tag: visitor port 7200 not open"
    lab_wait_log "$vl.log" "login ok" 15 || lab_fail "$tag: visitor did not log in"
    out=$(lab_exec "$h2" "$LAT" 127.0.0.1 7200 1 3000)
    us=$(sed -nE 's/.*p50_us=([0-9]+).*/\1/p' <<<"$out")
    first=$(grep -oE "visitor connected .*path=[a-z]+" "$vl.log" | head -1 | sed -E 's/.*path=//')
    [ "$first" = quic ] || first=stcp # the stcp relay ("path=relay" in that line)
    # punching runs beside; wait for its verdict (a direct path or none)
    for ((i = 0; i < 100; i++)); do
        grep -qE "xtcp quic path=direct|xtcp no direct path" "$vl.log" && break
        sleep 0.1
    done
    out=$(lab_exec "$h2" "$BLAST" -t 30 127.0.0.1 7200 4 262144 2>&1) && chk=ok || chk="FAILED ${out##*$'\n'}"
    sleep 0.5 # a QUIC path switch just after the verdict
    ttd=- via=-
    if grep -q "xtcp quic path=direct" "$vl.log"; then
        path=direct bytes=$((20 * 1024 * 1024))
        ttd=$(grep -oE "time_to_direct_ms=[0-9]+" "$vl.log" | head -1 | sed 's/.*=//')
        via=$(grep -oE "xtcp direct path .* via=[a-z-]+" "$vl.log" | head -1 | sed 's/.*via=//')
    elif [ "$(lab_count_log "$vl.log" "visitor connected .*path=quic")" -ge 2 ]; then
        path=relay bytes=524288
    else
        path=stcp bytes=524288
    fi
    cap_on || lab_fail "tc tbf on srv"
    t0=$(now_ms)
    out=$(lab_exec "$h2" "$BLAST" -t 60 127.0.0.1 7200 1 "$bytes" 2>&1) || chk="$chk; capped FAILED ${out##*$'\n'}"
    t1=$(now_ms)
    cap_off
    ms=$((t1 - t0))
    lab_kill "$vpid" TERM
    lab_kill "$opid" TERM
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$n1" "$n2" "$first" "$((${us:-0} / 1000))" "$path" "${via:--}" \
        "$ttd" "${chk//,/;}" "$bytes" "$ms" "$(awk -v b="$bytes" -v m="$ms" 'BEGIN { printf "%.1f", b * 8 / (m / 1000) / 1e6 }')" >>"$CSV"
    lab_log "$tag: $(tail -1 "$CSV")"
}

for p in "${PAIRS[@]}"; do run_pair "${p%%:*}" "${p#*:}"; done

# ---- report: markdown, gnuplot heat map ------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
{
    printf '| owner NAT × visitor NAT | first connection | first byte | path | to direct | byte check | transfer, srv capped at 2 Mbit/s |\n'
    printf '|---|---|---|---|---|---|---|\n'
    tail -n +2 "$CSV" | while IFS=, read -r n1 n2 first fb path via ttd chk bytes ms mbit; do
        [ "$via" = - ] || path="$path ($via)"
        [ "$ttd" = - ] || ttd="$ttd ms"
        if [ "$bytes" -ge 1048576 ]; then size="$((bytes / 1048576)) MB"; else size="$((bytes / 1024)) KiB"; fi
        printf '| %s × %s | %s | %s ms | %s | %s | %s | %s in %s ms (%s Mbit/s) |\n' \
            "$n1" "$n2" "${first/quic/QUIC}" "$fb" "$path" "$ttd" "$chk" "$size" "$ms" "$mbit"
    done
    printf '\nRun %s at %s on a shared machine (2 cores): `bench/p2p_matrix.sh`.\n' \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$commit"
} >"$OUT.md"
cat "$OUT.md"

# heat map: owner NAT (rows) x visitor NAT (columns), colour = Mbit/s under
# the cap (log scale), label = path and time to direct
idx() { local i; for i in "${!NATS[@]}"; do [ "${NATS[i]}" = "$1" ] && echo "$i"; done; }
tail -n +2 "$CSV" | while IFS=, read -r n1 n2 first fb path via ttd chk bytes ms mbit; do
    label=$path
    [ "$ttd" = - ] || label="$path\\n${ttd} ms"
    label="$label\\n$mbit Mbit/s"
    printf '%s %s %s "%s"\n' "$(idx "$n2")" "$(idx "$n1")" "$mbit" "$label"
done >"$LAB_TMP/heat.dat"
tics=$(for i in "${!NATS[@]}"; do printf '"%s" %s,' "${NATS[i]}" "$i"; done)
gnuplot <<EOF || lab_log "gnuplot failed: no image"
set terminal pngcairo size 900,700 font ',10'
set output '$OUT.png'
set title "xtcp over QUIC in the NAT lab: transfer with the server capped at 2 Mbit/s ($commit)"
set xlabel 'visitor NAT (nat2)'
set ylabel 'owner NAT (nat1)'
set xtics (${tics%,})
set ytics (${tics%,})
set xrange [-0.5:4.5]
set yrange [4.5:-0.5]
set logscale cb
set cbrange [0.5:500]
set cblabel 'Mbit/s (one way, echoed)'
set palette defined (0 '#d73027', 1 '#fee08b', 2 '#1a9850')
set style fill solid 1.0 noborder
unset key
plot '$LAB_TMP/heat.dat' using 1:2:(0.5):(0.5):3 with boxxyerror lc palette, \
     '' using 1:2:4 with labels font ',9'
EOF
lab_log "wrote $CSV, $OUT.md$( [ -f "$OUT.png" ] && echo ", $OUT.png")"
