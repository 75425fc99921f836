#!/usr/bin/env bash
# test_oneliner: the one-liners behind the lab NAT, against the lab server.
# `burrow tcp 192.168.1.10:9000 --server 203.0.113.10 --token T` (default
# server port, the server picks the public port), `burrow udp ...
# --remote-port 6099` and `burrow http
# 192.168.1.10:8001` (token from $BURROW_TOKEN, --subdomain and --domain) run
# in c1; each prints its public address on stdout, and `user` reaches the
# service through exactly what was printed (tcp_blast; curl to the printed
# URLs). Then the clear failures, each exit 1 with its message: a wrong token,
# a server port nobody listens on, a refused --remote-port; a usage error
# exits 2. Ctrl-C (SIGINT) ends a one-liner with exit 0 and the server closes
# its proxy.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9053
lab_wait_port c1 udp 192.168.1.10 9053 5 || lab_fail "udp_echo in c1 did not start"
http_backend c1 Q 192.168.1.10 8001 || lab_fail "http backend in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" 'subDomainHost = "lab.test"'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"

# one_liner NAME [VAR=VALUE...] ARGS...: run `burrow ARGS...` in c1 with
# those environment variables, stdout to NAME.out, stderr to NAME.err; the
# pid in $LAB_LAST_PID.
one_liner() {
    local name=$1 vars=(); shift
    while [[ $1 == *=* ]]; do vars+=("$1"); shift; done
    mkdir -p "$LAB_TMP/$name-state"
    lab_bg c1 "$LAB_TMP/$name.out" bash -c 'exec env "$@" 2>"'"$LAB_TMP/$name.err"'"' _ \
        "${vars[@]}" "$BURROW_BIN" "$@" --state-dir "$LAB_TMP/$name-state"
}

one_liner tcp tcp 192.168.1.10:9000 --server "$SRV_ADDR" --token "$token"
tcp_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/tcp.out" "^tcp 192\.168\.1\.10:9000 → $SRV_ADDR:[0-9]+\$" 10 ||
    lab_fail "burrow tcp printed no address: $(cat "$LAB_TMP/tcp.out" "$LAB_TMP/tcp.err")"
line=$(head -n1 "$LAB_TMP/tcp.out")
port=${line##*:}
[ "$port" -ge 6000 ] && [ "$port" -le 6100 ] || lab_fail "public port $port outside allowPorts"
out=$(lab_exec user "$BLAST" -t 10 "$SRV_ADDR" "$port" 4 65536 2>&1) || lab_fail "through $SRV_ADDR:$port: $out"
lab_pass "burrow tcp printed '$line'; user through it: ${out##*$'\n'}"

one_liner udp udp 192.168.1.10:9053 -s "$SRV_ADDR" -t "$token" --remote-port 6099
udp_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/udp.out" "^udp 192\.168\.1\.10:9053 → $SRV_ADDR:6099\$" 10 ||
    lab_fail "burrow udp printed no address: $(cat "$LAB_TMP/udp.out" "$LAB_TMP/udp.err")"
out=$(lab_exec user "$UDP_CHECK" -s 1200 "$SRV_ADDR" 6099 50 2>&1) || lab_fail "udp through $SRV_ADDR:6099: $out"
lab_pass "burrow udp --remote-port 6099 printed '$(head -n1 "$LAB_TMP/udp.out")'; user through it: $out"
lab_kill "$udp_pid" INT

one_liner http BURROW_TOKEN="$token" http 192.168.1.10:8001 \
    -s "$SRV_ADDR:$SRV_PORT" --subdomain q --domain www.q.example
lab_wait_log "$LAB_TMP/http.out" '→ http://' 10 2 || lab_fail "burrow http printed no URLs: $(cat "$LAB_TMP/http.out" "$LAB_TMP/http.err")"
http_pid=$LAB_LAST_PID
for want in "http://q.lab.test:$VHOST_HTTP" "http://www.q.example:$VHOST_HTTP"; do
    grep -qx "http 192.168.1.10:8001 → $want" "$LAB_TMP/http.out" || lab_fail "no '$want' in: $(cat "$LAB_TMP/http.out")"
    host=${want#http://}; host=${host%:*}
    body=$(lab_exec user curl -sS --max-time 10 --resolve "$host:$VHOST_HTTP:$SRV_ADDR" "$want/echo") ||
        lab_fail "curl $want failed"
    [ "$(json_field "$body" site)" = Q ] || lab_fail "$want answered by '$(json_field "$body" site)'"
done
lab_pass "burrow http printed $(tr '\n' ';' <"$LAB_TMP/http.out"); curl through both URLs reached site Q"

# expect_exit NAME STATUS REGEX CMD...: a one-liner that must end by itself.
expect_exit() {
    local name=$1 want=$2 re=$3 rc; shift 3
    one_liner "$name" "$@"
    local pid=$LAB_LAST_PID
    for _ in $(seq 1 150); do lab_alive "$pid" || break; sleep 0.1; done
    lab_alive "$pid" && lab_fail "$name: still running after 15 s"
    wait "$pid"; rc=$?
    [ "$rc" = "$want" ] || lab_fail "$name: exit $rc, want $want: $(cat "$LAB_TMP/$name.err")"
    grep -Eq "$re" "$LAB_TMP/$name.err" || lab_fail "$name: no '$re' in: $(cat "$LAB_TMP/$name.err")"
    [ -s "$LAB_TMP/$name.out" ] && lab_fail "$name printed an address: $(cat "$LAB_TMP/$name.out")"
    lab_pass "$name: exit $rc, '$(grep -Em1 "$re" "$LAB_TMP/$name.err")'"
}
expect_exit badtoken 1 'refused the login: .*token' tcp 9000 -s "$SRV_ADDR" -t "wrong-$token"
expect_exit noserver 1 "cannot reach the server $SRV_ADDR:7999: connection refused" \
    tcp 9000 -s "$SRV_ADDR:7999" -t "$token"
expect_exit badport 1 'refused the proxy: port 7500 is not allowed' \
    tcp 192.168.1.10:9000 -s "$SRV_ADDR" -t "$token" --remote-port 7500
expect_exit usage 2 'remote-port is for tcp and udp' \
    http 8001 -s "$SRV_ADDR" -t "$token" --subdomain x --remote-port 1

kill -INT "$tcp_pid"
for _ in $(seq 1 100); do lab_alive "$tcp_pid" || break; sleep 0.1; done
lab_alive "$tcp_pid" && lab_fail "burrow tcp still running 10 s after SIGINT"
wait "$tcp_pid"; rc=$?
[ "$rc" = 0 ] || lab_fail "burrow tcp exited $rc after SIGINT"
lab_wait_log "$LAB_TMP/server.log" "proxy closed name=[^ ]*-tcp-9000 port=$port" 10 ||
    lab_fail "the server did not close the one-liner's proxy"
if grep -Eq "LeakSanitizer|AddressSanitizer|runtime error|left open" "$LAB_TMP/tcp.err"; then
    lab_fail "burrow tcp: unclean stop: $(grep -E 'Sanitizer|runtime error|left open' "$LAB_TMP/tcp.err" | head -3)"
fi
lab_pass "Ctrl-C: burrow tcp exit 0, the server closed port $port"
lab_kill "$http_pid" INT
echo "PASS test_oneliner"
