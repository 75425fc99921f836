#!/usr/bin/env bash
# test_local_refused: a proxy whose localPort has nothing listening. The user's
# connection through it is closed promptly (EOF or RST within 2 s, measured
# from user) and the client logs `local connect failed`; a second, healthy
# proxy of the same client keeps working throughout; once something listens on
# the dead port, the same proxy carries data (it stayed registered).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

# probe_close.py ADDR PORT: connect, send a line, wait (max 10 s) for the peer
# to close; print "eof MS", "rst MS", "data ..." or "timeout MS".
cat >"$LAB_TMP/probe_close.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
t0 = time.monotonic()
ms = lambda: int((time.monotonic() - t0) * 1000)
s.settimeout(10)
try:
    s.sendall(b"hello?\n")
    b = s.recv(4096)
    print(("data %r" % b) if b else "eof %d" % ms())
except (ConnectionResetError, BrokenPipeError):
    print("rst %d" % ms())
except socket.timeout:
    print("timeout %d" % ms())
EOF

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
if lab_exec c1 ss -Hltn | grep -q ':9999 '; then lab_fail "something listens on c1:9999 already"; fi
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" dead tcp 192.168.1.10 9999 6090
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" dead tcp 6090 || lab_fail "proxy dead not registered"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy echo not registered"
lab_pass "proxies dead (srv:6090 -> c1:9999, nothing there) and echo (srv:6080) registered"

for i in 1 2 3; do
    out=$(lab_exec user timeout 15 python3 "$LAB_TMP/probe_close.py" 203.0.113.10 6090 2>&1)
    case $out in
        eof\ *|rst\ *) ;;
        *) lab_fail "round $i: connection to srv:6090 was not closed: '$out'" ;;
    esac
    ms=${out#* }
    [ "$ms" -le 2000 ] || lab_fail "round $i: srv:6090 closed only after $ms ms (want <= 2000)"
    lab_wait_log "$LAB_TMP/client.log" 'local connect failed.*proxy=dead' 5 "$i" ||
        lab_fail "round $i: client did not log 'local connect failed' for proxy dead"
    lab_pass "round $i: user's connection to srv:6090 closed by ${out% *} after $ms ms"
    res=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 65536 2>&1) || lab_fail "round $i: echo proxy: $res"
    lab_pass "round $i: healthy proxy echo still works: ${res##*$'\n'}"
done
lab_pass "client: $(grep -m1 'local connect failed' "$LAB_TMP/client.log" | cut -c1-160)"
if grep -q 'disconnected' "$LAB_TMP/client.log"; then lab_fail "client's control connection dropped"; fi
lab_alive "$client_pid" || lab_fail "client exited"

# Control: once c1:9999 listens, the same registered proxy carries data.
lab_bg c1 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.1.10 9999
lab_wait_port c1 tcp 192.168.1.10 9999 5 || lab_fail "tcp_echo on c1:9999 did not start"
res=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6090 2 65536 2>&1) ||
    lab_fail "proxy dead does not work once c1:9999 listens: $res"
lab_pass "control: with a listener on c1:9999, srv:6090 works: ${res##*$'\n'}"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_local_refused"
