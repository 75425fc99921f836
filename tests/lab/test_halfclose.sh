#!/usr/bin/env bash
# test_halfclose: TCP half-close crosses the tunnel in both directions. A
# service in c1 reads until EOF, then answers with the number of bytes it got
# and closes. From user, N bytes go through the tcp proxy, then
# shutdown(SHUT_WR); the reply must be exactly N and followed by EOF. The
# other way round: a greeter in c1 sends "hello", shuts down its write side
# first, then counts what it still receives; user reads the greeting to EOF,
# then sends N bytes, and the greeter must count exactly N. Done with TLS on
# (default) and with transport.tls.enable = false.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

# count_srv.py ADDR PORT: read to EOF, reply "<count>\n", close.
cat >"$LAB_TMP/count_srv.py" <<'EOF'
import socket, sys, threading
def serve(c):
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
        c.sendall(b"%d\n" % n)
        print("served", n, flush=True)
    finally:
        c.close()
def greet(c):
    n = 0
    try:
        c.sendall(b"hello\n")
        c.shutdown(socket.SHUT_WR)
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
        print("greeter got", n, flush=True)
    finally:
        c.close()
def listen(port, fn):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
threading.Thread(target=listen, args=(int(sys.argv[3]), greet), daemon=True).start()
listen(int(sys.argv[2]), serve)
EOF
# count_cli.py ADDR PORT N: send N bytes, shutdown(SHUT_WR), print the reply
# and "eof" once the peer closes. Exit 3 on timeout.
cat >"$LAB_TMP/count_cli.py" <<'EOF'
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((addr, port), timeout=15)
chunk = b"x" * 65536
left = n
while left > 0:
    k = s.send(chunk[:min(left, len(chunk))])
    left -= k
s.shutdown(socket.SHUT_WR)
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except socket.timeout:
    print("timeout waiting for the reply, got %r" % got)
    sys.exit(3)
print(got.decode().strip())
print("eof")
EOF
# greet_cli.py ADDR PORT N: read the greeting to EOF, then send N bytes,
# shutdown(SHUT_WR) and wait for the peer to close; print the greeting and
# "closed". Exit 3 on timeout.
cat >"$LAB_TMP/greet_cli.py" <<'EOF'
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((addr, port), timeout=15)
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    print(got.decode().strip())
    chunk = b"y" * 65536
    left = n
    while left > 0:
        left -= s.send(chunk[:min(left, len(chunk))])
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
except socket.timeout:
    print("timeout, got %r" % got)
    sys.exit(3)
print("closed")
EOF
lab_bg c1 "$LAB_TMP/count.log" python3 -u "$LAB_TMP/count_srv.py" 192.168.1.10 9100 9101
lab_wait_port c1 tcp 192.168.1.10 9100 10 || lab_fail "count service in c1 did not start"
lab_wait_port c1 tcp 192.168.1.10 9101 10 || lab_fail "greeter in c1 did not start"
# Control: directly in c1 the service answers with the count.
out=$(lab_exec c1 python3 "$LAB_TMP/count_cli.py" 192.168.1.10 9100 1000 2>&1)
[ "$out" = $'1000\neof' ] || lab_fail "control: the count service itself answered '$out'"
lab_pass "control: count service in c1 answers 1000 for 1000 bytes"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"

# conf_set FILE KEY VALUE: replace the top-level `KEY = ...` line (brw_client_conf
# already writes transport.tls.enable), or append it.
conf_set() {
    if grep -q "^$2 = " "$1"; then sed -i "s|^$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}

run_case() { # LABEL CLIENTNAME PORT TLS(true|false)
    local label=$1 name=$2 port=$3 tls=$4
    local conf="$LAB_TMP/$name.toml"
    brw_client_conf "$conf" "$token"
    conf_set "$conf" transport.tls.enable "$tls"
    brw_proxy "$conf" "count-$name" tcp 192.168.1.10 9100 "$port"
    brw_proxy "$conf" "greet-$name" tcp 192.168.1.10 9101 $((port + 10))
    brw_start_client c1 "$name" "$conf"
    local pid=$LAB_LAST_PID
    brw_wait_proxy "$LAB_TMP/$name.log" "$LAB_TMP/server.log" "count-$name" tcp "$port" ||
        lab_fail "$label: proxy not registered"
    brw_wait_proxy "$LAB_TMP/$name.log" "$LAB_TMP/server.log" "greet-$name" tcp $((port + 10)) ||
        lab_fail "$label: greet proxy not registered"
    local n out t0 t1 k got
    for n in 0 1 65537 3000001; do
        t0=$(date +%s%N)
        out=$(lab_exec user timeout 20 python3 "$LAB_TMP/count_cli.py" 203.0.113.10 "$port" "$n" 2>&1)
        t1=$(date +%s%N)
        [ "$out" = "$n"$'\n'"eof" ] ||
            lab_fail "$label: sent $n bytes then SHUT_WR, got '$(printf '%s' "$out" | tr '\n' ' ')' (want '$n' then EOF)"
        lab_pass "$label: $n bytes + SHUT_WR -> reply $n then EOF in $(((t1 - t0) / 1000000)) ms"
    done
    for n in 0 1 3000001; do
        k=$(lab_count_log "$LAB_TMP/count.log" '^greeter got ')
        out=$(lab_exec user timeout 20 python3 "$LAB_TMP/greet_cli.py" 203.0.113.10 $((port + 10)) "$n" 2>&1)
        [ "$out" = $'hello\nclosed' ] ||
            lab_fail "$label: greeter half-closed first; user saw '$(printf '%s' "$out" | tr '\n' ' ')' (want 'hello', EOF, then close)"
        lab_wait_log "$LAB_TMP/count.log" '^greeter got ' 5 $((k + 1)) || lab_fail "$label: greeter did not finish"
        got=$(grep '^greeter got ' "$LAB_TMP/count.log" | tail -n1 | cut -d' ' -f3)
        [ "$got" = "$n" ] || lab_fail "$label: after the greeter's SHUT_WR user sent $n bytes, greeter got $got"
        lab_pass "$label: greeter SHUT_WR first; user read 'hello' + EOF, then sent $n bytes: greeter got $got"
    done
    lab_alive "$pid" || lab_fail "$label: client exited"
    lab_kill "$pid"
}

run_case "tls" tls 6081 true
lab_wait_log "$LAB_TMP/tls.log" 'login ok.*tls=yes' 1 || lab_fail "tls case did not log in over TLS"
run_case "plain" plain 6082 false
lab_wait_log "$LAB_TMP/plain.log" 'login ok.*tls=no' 1 || lab_fail "plain case did not log in without TLS"
lab_pass "both cases ran over the intended transport (tls=yes, tls=no)"
n=$(lab_count_log "$LAB_TMP/count.log" '^served ')
[ "$n" -ge 9 ] || lab_fail "the count service served $n connections, want 9 (1 direct + 8 tunnelled)"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_halfclose"
