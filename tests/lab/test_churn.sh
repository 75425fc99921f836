#!/usr/bin/env bash
# test_churn: resource leaks in the server under client churn. 30 cycles of:
# start a client in c1 -> `proxy registered` -> 20 verified connections through
# the proxy (tcp_blast to tcp_echo) plus 3 connections held open -> kill the
# client (SIGKILL on odd cycles, SIGTERM on even ones); the server must end the
# session and close the held user connections. The server's open fds must
# come back to the baseline taken after cycle 1 (+-2) every time, and its VmRSS
# must grow by less than 2 MiB from cycle 5 to cycle 30. Then 2000 sequential
# user connections through one client; fds return to the idle level after.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
LAT=$(lab_tool conn_latency) || exit 1
lab_up || lab_fail "lab_up"

CYCLES=30
conf_set() { # FILE KEY VALUE: replace the top-level `KEY = ...` line or append it
    if grep -q "^$2 = " "$1"; then sed -i "s|^$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}
srv_fds() { ls "/proc/$BRW_SERVER_PID/fd" 2>/dev/null | wc -l; }
srv_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$BRW_SERVER_PID/status"; }
# wait_fds_near WANT TIMEOUT: poll until the server's fd count is within WANT+-2.
wait_fds_near() {
    local want=$1 deadline=$((SECONDS + $2)) n
    while :; do
        n=$(srv_fds)
        [ "$n" -ge $((want - 2)) ] && [ "$n" -le $((want + 2)) ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || { FDS_NOW=$n; return 1; }
        sleep 0.05
    done
}
# hold.py ADDR PORT N: open N connections, round-trip one byte on each, print
# "ready"; then wait (max 10 s) until the server closes all of them, print
# "closed N".
cat >"$LAB_TMP/hold.py" <<'EOF'
import socket, sys, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b"h")
    assert s.recv(1) == b"h"
    socks.append(s)
print("ready", flush=True)
closed = 0
for s in socks:
    try:
        if s.recv(1) == b"":
            closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
print("closed %d" % closed, flush=True)
EOF

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
conf_set "$LAB_TMP/frpc.toml" transport.heartbeatInterval 1
conf_set "$LAB_TMP/frpc.toml" transport.heartbeatTimeout 3
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
# info: 2000+ connections at debug would only bloat the log.
BRW_LOG_LEVEL=info brw_server_conf "$LAB_TMP/frps.toml" "$token"
conf_set "$LAB_TMP/frps.toml" transport.heartbeatTimeout 3
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
[ "$(readlink -f "/proc/$BRW_SERVER_PID/exe")" = "$(readlink -f "$BURROW_BIN")" ] ||
    lab_fail "pid $BRW_SERVER_PID is not $BURROW_BIN"
fds0=$(srv_fds)
lab_pass "server up, $fds0 fds before any client"

t_start=$SECONDS
base=
for ((i = 1; i <= CYCLES; i++)); do
    brw_start_client c1 "client$i" "$LAB_TMP/frpc.toml"
    pid=$LAB_LAST_PID
    clog="$LAB_TMP/client$i.log"
    lab_wait_log "$clog" 'proxy registered.*name=echo ' 10 || lab_fail "cycle $i: proxy not registered"
    lab_wait_log "$LAB_TMP/server.log" 'proxy listening.*port=6080' 5 "$i" || lab_fail "cycle $i: server not listening"
    out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 20 4096 2>&1) || lab_fail "cycle $i: 20 connections: $out"
    lab_bg user "$LAB_TMP/hold$i.log" python3 -u "$LAB_TMP/hold.py" 203.0.113.10 6080 3
    hold=$LAB_LAST_PID
    lab_wait_log "$LAB_TMP/hold$i.log" '^ready' 10 || lab_fail "cycle $i: held connections not established"
    if ((i % 2)); then sig=KILL; else sig=TERM; fi
    lab_kill "$pid" "$sig"
    lab_wait_log "$LAB_TMP/server.log" 'client session ended' 8 "$i" || lab_fail "cycle $i: session did not end after SIG$sig"
    lab_wait_log "$LAB_TMP/hold$i.log" '^closed 3$' 10 ||
        lab_fail "cycle $i: the server did not close the 3 held user connections ($(tail -n1 "$LAB_TMP/hold$i.log"))"
    wait "$hold" 2>/dev/null
    if [ -z "$base" ]; then
        # Baseline: once session 1 is gone and its sockets are closed.
        wait_fds_near "$fds0" 5 || true
        base=$(srv_fds)
        lab_pass "cycle 1: baseline $base fds after the session ended (before any client: $fds0)"
    fi
    wait_fds_near "$base" 5 || lab_fail "cycle $i (SIG$sig): server holds $FDS_NOW fds, baseline $base"
    [ "$i" = 5 ] && rss5=$(srv_rss_kb)
    [ "$i" = "$CYCLES" ] && rss30=$(srv_rss_kb)
done
ended=$(lab_count_log "$LAB_TMP/server.log" 'client session ended')
[ "$ended" = "$CYCLES" ] || lab_fail "$ended sessions ended, want $CYCLES"
lab_pass "$CYCLES cycles in $((SECONDS - t_start)) s: every session ended, held connections closed, fds back to $base (+-2) each time"
grow=$((rss30 - rss5))
if [ "${BURROW_SANITIZE:-0}" = 1 ]; then
    # ASan keeps freed memory in quarantine, so RSS says nothing there;
    # LeakSanitizer checks for leaks at exit instead.
    lab_pass "VmRSS growth $grow KiB not judged in a sanitizer build (ASan quarantine)"
else
    [ "$grow" -lt 2048 ] || lab_fail "VmRSS grew by $grow KiB from cycle 5 ($rss5 KiB) to cycle $CYCLES ($rss30 KiB)"
    lab_pass "VmRSS cycle 5: $rss5 KiB, cycle $CYCLES: $rss30 KiB (growth $grow KiB < 2048)"
fi

# 2000 sequential user connections through one live client.
brw_start_client c1 seq "$LAB_TMP/frpc.toml"
seq_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/seq.log" 'proxy registered.*name=echo ' 10 || lab_fail "seq: proxy not registered"
lab_wait_log "$LAB_TMP/server.log" 'proxy listening.*port=6080' 5 $((CYCLES + 1)) || lab_fail "seq: server not listening"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 1 1024 2>&1) || lab_fail "seq: warm-up: $out"
sleep 0.5 # let the idle work-conn pool refill
idle=$(srv_fds)
t0=$SECONDS
out=$(lab_exec user timeout 40 "$LAT" 203.0.113.10 6080 2000 2>&1) || lab_fail "seq: 2000 connections: $out"
case $out in *failed=0*) ;; *) lab_fail "seq: $out" ;; esac
lab_pass "2000 sequential connections in $((SECONDS - t0)) s: $out"
wait_fds_near "$idle" 5 || lab_fail "seq: server holds $FDS_NOW fds after 2000 connections, $idle before"
lab_pass "seq: server fds back to $(srv_fds) (idle level with the client connected: $idle)"
lab_kill "$seq_pid" KILL
wait_fds_near "$base" 8 || lab_fail "seq: server holds $FDS_NOW fds after the client left, baseline $base"
lab_pass "seq: after the client left, fds back to $(srv_fds) (baseline $base)"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_churn"
