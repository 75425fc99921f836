#!/usr/bin/env bash
# test_abuse: strangers cannot starve the server. While a probe runs through a
# live tcp tunnel (c1 -> srv:6080, sequential connections with a one-byte echo),
# `user` storms the server from 100 source addresses (203.0.113.100-199):
# 3000 connections held 4 s each storm (one storm from a single address), as
# idle connections, slow-loris
# headers (one byte a second) and half-finished TLS handshakes (a real
# ClientHello, then silence), at bindPort and at vhostHTTPPort. For every
# storm the probe must keep >= 99% success (echo back within 3 s), and its p50 right after the
# storm must be back near the baseline (<= 3x baseline + 20 ms). The server
# must log the caps it hit (per source, total, TLS handshakes), and its peak
# RSS over the half-handshake storm at bindPort must stay within 24 MiB of
# where it started, and come back within 4 MiB of it after (skipped under
# ASan). Prints success % and p50
# before/during/after per storm.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
LAT=$(lab_tool conn_latency) || exit 1
FLOOD=$(lab_tool gate_flood) || exit 1
lab_up || lab_fail "lab_up"
[ "$(ulimit -n)" -ge 8192 ] || ulimit -n 8192 2>/dev/null || lab_fail "need 8192 fds (ulimit -n is $(ulimit -n))"

VHOST=8080
STORM_CONNS=3000
STORM_S=4
for i in $(seq 100 199); do lab_exec user ip addr add 203.0.113.$i/24 dev eth0; done

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
BRW_LOG_LEVEL=info brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST"
BRW_LOG_LEVEL=info brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"

rss_kb() { awk "/^$1:/ {print \$2}" "/proc/$BRW_SERVER_PID/status"; }
p50_ms() { sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$1" | awk '{printf "%.1f", $1 / 1000}'; }
# probe N: N sequential connections through the tunnel; prints conn_latency's line.
# A connection whose byte is not back within 3 s counts as failed (a user
# gives up; loose enough for a loaded 2-core machine).
probe() { lab_exec user timeout 60 "$LAT" 203.0.113.10 6080 "$1" 3000 2>&1 | tail -n1; }

probe 50 >/dev/null # warm-up
base=$(probe 200)
case $base in *failed=0*) ;; *) lab_fail "baseline probe: $base" ;; esac
base_ms=$(p50_ms "$base")
lab_pass "baseline: $base"

# storm NAME PORT MODE [FLAGS]: one storm with the probe running through it.
storm() {
    local name=$1 port=$2 mode=$3 flags=${4:-}
    local done_f="$LAB_TMP/flood-$name.done" out="$LAB_TMP/flood-$name.out"
    # shellcheck disable=SC2086
    lab_bg user "$out" bash -c "'$FLOOD' -s 203.0.113.100 -n 100 $flags $mode 203.0.113.10 $port $STORM_CONNS $STORM_S; touch '$done_f'"
    local fpid=$LAB_LAST_PID ok=0 total=0 line p50s=() n f
    while [ ! -e "$done_f" ]; do
        line=$(probe 20)
        n=20
        f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
        [ -n "$f" ] || f=$n
        [ "$f" = 0 ] || echo "storm $name: probe round failed: ${line:-no output}"
        total=$((total + n))
        ok=$((ok + n - f))
        p50s+=("$(p50_ms "$line")")
    done
    wait "$fpid" 2>/dev/null
    local after after_ms during_ms pct
    after=$(probe 100)
    after_ms=$(p50_ms "$after")
    during_ms=$(printf '%s\n' "${p50s[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    pct=$(awk -v o="$ok" -v t="$total" 'BEGIN {printf "%.2f", t ? 100 * o / t : 0}')
    echo "storm $name: $(cat "$out"); probe $ok/$total ok ($pct%), p50 before ${base_ms} ms, during ${during_ms} ms, after ${after_ms} ms"
    [ "$total" -ge 20 ] || lab_fail "storm $name: the probe made only $total connections"
    awk -v p="$pct" 'BEGIN {exit !(p >= 99)}' || lab_fail "storm $name: probe success $pct% < 99%"
    case $after in *failed=0*) ;; *) lab_fail "storm $name: probe after the storm: $after" ;; esac
    awk -v a="$after_ms" -v b="$base_ms" 'BEGIN {exit !(a <= 3 * b + 20)}' ||
        lab_fail "storm $name: p50 after the storm ${after_ms} ms, baseline ${base_ms} ms"
    lab_pass "storm $name: probe $pct% ok, p50 after ${after_ms} ms (baseline ${base_ms} ms)"
}

if [ -n "${ABUSE_ONLY:-}" ]; then # debugging: one storm, e.g. "vhost-idle 8080 idle"
    # shellcheck disable=SC2086
    storm $ABUSE_ONLY
    exit 0
fi
rss0=$(rss_kb VmRSS)
storm bind-hello "$SRV_PORT" hello
hwm=$(rss_kb VmHWM)
grow=$(((hwm - rss0) / 1024))
if [ "${BURROW_SANITIZE:-0}" = 1 ]; then
    lab_pass "RSS over the half-handshake storm not judged in a sanitizer build (${grow} MiB)"
else
    [ "$grow" -le 24 ] || lab_fail "peak RSS grew by $grow MiB over the half-handshake storm (from $((rss0 / 1024)) MiB)"
    lab_pass "half-handshake storm: peak RSS $((hwm / 1024)) MiB, $grow MiB above the $((rss0 / 1024)) MiB before (bound 24)"
    # ... and once the handshakes are gone, the memory goes back (poll 3 s).
    for _ in $(seq 60); do
        rss1=$(rss_kb VmRSS)
        [ $((rss1 - rss0)) -le 4096 ] && break
        sleep 0.05
    done
    [ $((rss1 - rss0)) -le 4096 ] || lab_fail "RSS stays at $((rss1 / 1024)) MiB after the storm ($((rss0 / 1024)) MiB before)"
    lab_pass "after the storm RSS is back to $((rss1 / 1024)) MiB ($((rss0 / 1024)) MiB before, bound +4)"
fi
storm bind-idle "$SRV_PORT" idle
storm bind-idle-1src "$SRV_PORT" idle "-n 1"
storm bind-slow "$SRV_PORT" slow
# One stalled TLS handshake at bindPort (a record header, then silence) is
# closed by the TLS deadline (5 s), not the login deadline (10 s). It runs
# while the storms hit the vhost port: a bindPort storm would evict it.
lab_bg user "$LAB_TMP/tls-deadline.log" python3 "$(dirname "$0")/wire_probe.py" "$SRV_ADDR" "$SRV_PORT" 160301 12
tls_probe=$LAB_LAST_PID
storm vhost-idle "$VHOST" idle
storm vhost-slow "$VHOST" slow -h
wait "$tls_probe"
t=$(sed -n 's/^closed [a-z]* after \([0-9.]*\) s/\1/p' "$LAB_TMP/tls-deadline.log")
awk -v t="${t:-99}" 'BEGIN {exit !(t >= 4.5 && t < 8)}' ||
    lab_fail "a stalled TLS handshake: $(cat "$LAB_TMP/tls-deadline.log") (want closed after ~5 s)"
lab_pass "a stalled TLS handshake was closed after $t s (TLS deadline 5 s)"
storm vhost-hello "$VHOST" hello

# A source holding a session has its own, larger budget (work conns); it is
# bounded too: 600 idle connections from nat1 (the client's address).
out=$(lab_exec c1 "$FLOOD" idle 203.0.113.10 "$SRV_PORT" 600 2)
lab_wait_log "$LAB_TMP/server.log" 'reason=too-many-from-source limit=512 client=yes' 5 ||
    lab_fail "600 connections from the client's address: no cap logged ($out)"
lab_pass "600 idle connections from the client's own address: $out; capped at 512"
after=$(probe 100)
case $after in *failed=0*) ;; *) lab_fail "probe after the client-address flood: $after" ;; esac
lab_pass "probe after it: $after"

for re in 'reason=too-many-from-source limit=16' 'reason=too-many-unauthenticated limit=1024' \
    'reason=too-many-tls-handshakes limit=128'; do
    n=$(lab_count_log "$LAB_TMP/server.log" "$re")
    [ "$n" -ge 1 ] || lab_fail "server did not log '$re'"
    lab_pass "server logged '$re' $n time(s) (once per window)"
done
# The access log has a line per probe connection (users the storms must not
# hurt), none for a storm's connections (no proxy relayed them); its own
# bound is ACCESS_LOG_MAX_PER_S (test_access_log).
lines=$(grep -vc ' access ' "$LAB_TMP/server.log")
[ "$lines" -lt 400 ] || lab_fail "server log has $lines lines after the storms"
acc=$(lab_count_log "$LAB_TMP/server.log" ' access ')
other=$(grep ' access proxy=' "$LAB_TMP/server.log" | grep -vc ' access proxy=echo ' || true)
[ "$other" = 0 ] || lab_fail "$other access lines not from the probes' proxy"
lab_pass "server log: $lines lines after $((7 * STORM_CONNS + 600)) storm connections (and $acc access lines, the probes')"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_abuse"
