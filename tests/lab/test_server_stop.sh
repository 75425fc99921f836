#!/usr/bin/env bash
# test_server_stop: SIGTERM stops a busy server cleanly. While a tcp tunnel
# relays, two users of a second client wait for work conns (its new
# connections are refused at nat2, its two pooled ones are taken), an http
# vhost front holds half a request and an https connection half a hello,
# the server gets SIGTERM: it must close everything, let its loop run dry
# and exit 0 within a few seconds, without "did not stop" or "left open"
# lines and (in the sanitizer build) without a leak report.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo1.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c2 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.2.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c2 tcp 192.168.2.10 9000 5 || lab_fail "tcp_echo in c2 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = 8080" "vhostHTTPSPort = 8443"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
brw_proxy "$LAB_TMP/c1.toml" echo1 tcp 192.168.1.10 9000 6080
cat >>"$LAB_TMP/c1.toml" <<'TOML'

[[proxies]]
name = "web"
type = "http"
localIP = "192.168.1.10"
localPort = 9000
customDomains = ["web.example.test"]
TOML
brw_client_conf "$LAB_TMP/c2.toml" "$token"
brw_proxy "$LAB_TMP/c2.toml" echo2 tcp 192.168.2.10 9000 6081
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
srv_pid=$BRW_SERVER_PID
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
brw_wait_proxy "$LAB_TMP/c1.log" "$LAB_TMP/server.log" echo1 tcp 6080 || lab_fail "proxy echo1 not registered"
brw_wait_proxy "$LAB_TMP/c2.log" "$LAB_TMP/server.log" echo2 tcp 6081 || lab_fail "proxy echo2 not registered"
lab_wait_log "$LAB_TMP/c1.log" "proxy registered.*name=web" 15 || lab_fail "proxy web not registered"
sleep 1 # both pools filled (poolCount 2)

# c2 can open no more work conns.
lab_exec nat2 nft -f - <<'NFT'
table ip stop {
  chain blk {
    type filter hook forward priority -10; policy accept;
    ip daddr 203.0.113.10 tcp dport 7000 ct state new reject with tcp reset
  }
}
NFT

# hold.py: opens connections (port:bytes-to-send), reports each, holds them.
cat >"$LAB_TMP/hold.py" <<'PY'
import socket, sys, time
socks = []
for spec in sys.argv[1:]:
    port, data = spec.split(":", 1)
    s = socket.create_connection(("203.0.113.10", int(port)), 5)
    data = data.encode().decode("unicode_escape").encode()
    if data:
        s.sendall(data)
    if port == "6080":  # the tunnel must answer: it is live end to end
        s.settimeout(5)
        assert s.recv(16) == data, "no echo"
    socks.append(s)
    print("held", port, flush=True)
time.sleep(60)
PY
lab_bg user "$LAB_TMP/hold.log" python3 -u "$LAB_TMP/hold.py" 6080:ping 6081: 6081: 6081: 6081: \
    '8080:GET / HTTP/1.1\r\nHost: web.exa' '8443:\x16\x03\x01'
hold_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/hold.log" "held 8443" 10 || lab_fail "could not open the connections"
lab_wait_log "$LAB_TMP/server.log" "work connections did not arrive|asking for work connections.*waiting=[1-9]" 10 ||
    lab_fail "no user waits for a work conn"
lab_pass "live: a tcp tunnel, users waiting for work conns, an http front, an https hello"

kill -TERM "$srv_pid"
rc=
for _ in $(seq 1 100); do
    lab_alive "$srv_pid" || { wait "$srv_pid"; rc=$?; break; }
    sleep 0.1
done
[ -n "$rc" ] || lab_fail "server still running 10 s after SIGTERM"
[ "$rc" -eq 0 ] || lab_fail "server exited $rc after SIGTERM"
grep -q "stopping on signal" "$LAB_TMP/server.log" || lab_fail "no stop line"
grep -q "stopped: every handle closed" "$LAB_TMP/server.log" || lab_fail "the loop did not close"
if grep -Eq "did not stop|left open|did not close|LeakSanitizer|AddressSanitizer" "$LAB_TMP/server.log"; then
    lab_fail "unclean stop: $(grep -E 'did not stop|left open|did not close|Sanitizer' "$LAB_TMP/server.log" | head -3)"
fi
lab_pass "SIGTERM: the server closed everything and exited 0"
lab_kill "$hold_pid"
lab_exec nat2 nft delete table ip stop
echo "PASS test_server_stop"
