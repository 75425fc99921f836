#!/usr/bin/env bash
# test_http_errors: refusals and bad input at the http vhost. A domain (and
# location) taken by another client's proxy is refused with a clear reason,
# as is an https proxy on a server without vhostHTTPSPort; the same domain
# with another location is fine. Oversized heads get 431, malformed or
# ambiguous requests (garbage, two Host headers, absolute-form, CONNECT) 400,
# a slow head gets 408 and idle keep-alives are closed after the head timeout. The
# server keeps serving throughout.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
http_backend c1 ONE 192.168.1.10 8001 || lab_fail "backend ONE"
http_backend c2 THREE 192.168.2.10 8001 || lab_fail "backend THREE"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" one http 192.168.1.10 8001 'customDomains = ["x.example.com"]'
vhost_proxy "$LAB_TMP/c1.toml" tls https 192.168.1.10 8443 'customDomains = ["t.example.com"]'
brw_client_conf "$LAB_TMP/c2.toml" "$token"
vhost_proxy "$LAB_TMP/c2.toml" two http 192.168.2.10 8001 'customDomains = ["X.example.com"]'
vhost_proxy "$LAB_TMP/c2.toml" three http 192.168.2.10 8001 'customDomains = ["x.example.com"]' \
    'locations = ["/y"]'
BRW_SERVER_ENV="BURROW_HTTP_HEAD_TIMEOUT=2" brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" ||
    lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=one' 15 || lab_fail "one not registered"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=three' 15 || lab_fail "three not registered"
lab_wait_log "$LAB_TMP/c2.log" 'proxy refused name=two reason="domain x.example.com is already used by proxy one"' 5 ||
    lab_fail "conflicting domain not refused clearly"
lab_wait_log "$LAB_TMP/c1.log" 'proxy refused name=tls reason="the server has no vhostHTTPSPort' 5 ||
    lab_fail "https proxy without vhostHTTPSPort not refused clearly"
lab_pass "refused: x.example.com taken by another client's proxy; https without vhostHTTPSPort"
[ "$(json_field "$(vget x.example.com /)" site)" = ONE ] || lab_fail "x.example.com/ not ONE"
[ "$(json_field "$(vget x.example.com /y/z)" site)" = THREE ] || lab_fail "x.example.com/y not THREE"
lab_pass "the same domain with another location (/y) went to the other client"

# raw REQUEST...: send bytes, print the status line of the answer.
raw() {
    lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" "$1" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
print(buf.split(b"\r\n")[0].decode("latin-1"))
PY
}
big=$(head -c 70000 /dev/zero | tr '\0' a)
[ "$(vcode x.example.com / -H "X-Big: $big")" = 431 ] || lab_fail "70 kB header: want 431"
[ "$(raw 'HELLO THERE\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] || lab_fail "garbage: want 400"
[ "$(raw 'GET / HTTP/1.1\r\nHost: x.example.com\r\nHost: evil.example.com\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] ||
    lab_fail "two Host headers: want 400"
[ "$(raw 'GET http://evil.example.com/ HTTP/1.1\r\nHost: x.example.com\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] ||
    lab_fail "absolute-form: want 400"
[ "$(raw 'CONNECT x.example.com:443 HTTP/1.1\r\nHost: x.example.com\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] ||
    lab_fail "CONNECT: want 400"
[ "$(raw 'GET / HTTP/1.1\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] || lab_fail "no Host: want 400"
[ "$(raw 'GET / HTTP/1.1\r\nHost: x.example.com\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" = \
    "HTTP/1.1 400 Bad Request" ] || lab_fail "Content-Length with chunked: want 400"
n=$(lab_count_log "$LAB_TMP/be-ONE.log" 'evil|CONNECT|HELLO')
[ "$n" -eq 0 ] || lab_fail "a bad request reached the backend"
lab_pass "431 for a 70 kB head; 400 for garbage, two Hosts, absolute-form, CONNECT, no Host, CL+TE; none reached the backend"

lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" <<'PY' || lab_fail "slow and idle connections"
import socket, sys, time
addr = (sys.argv[1], int(sys.argv[2]))
t0 = time.time()
slow = socket.create_connection(addr, timeout=10)
slow.sendall(b"GET / HTTP/1.1\r\nHost: x.exa")          # and never the rest
idle = socket.create_connection(addr, timeout=10)
idle.sendall(b"GET / HTTP/1.1\r\nHost: x.example.com\r\n\r\n")
first = idle.recv(65536)
assert first.startswith(b"HTTP/1.1 200"), first[:40]
answer = b""
while True:                                              # 408, then closed
    d = slow.recv(65536)
    if not d:
        break
    answer += d
assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:60]
assert time.time() - t0 < 6, "slow head not answered in time"
while True:                                              # keep-alive, then idle
    d = idle.recv(65536)
    if not d:
        break
assert time.time() - t0 < 8, "idle keep-alive not closed"
print("slow head answered 408, idle keep-alive closed after %.1f s" % (time.time() - t0))
PY
lab_pass "a head not finished within the head timeout gets 408 and is closed; an idle keep-alive is closed silently"
[ "$(json_field "$(vget x.example.com /)" site)" = ONE ] || lab_fail "server stopped serving"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_errors"
