#!/usr/bin/env bash
# test_http_concurrent: 16 users, each on its own keep-alive connection,
# send 5 requests (half of them pipelined, half one at a time) through an http proxy whose client keeps a single
# pooled work connection (transport.poolCount = 1). Most fronts wait for a
# work conn with a pipelined or early request stashed; each answer must be
# the right one and the server must survive (under ASan+UBSan too: this is
# the path where vhost_http_attach drained an empty stash, NULL + 0).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
sed -i 's/^transport.poolCount = .*/transport.poolCount = 1/' "$LAB_TMP/c1.toml"
vhost_proxy "$LAB_TMP/c1.toml" a http 192.168.1.10 8001 'customDomains = ["a.example.com"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_port srv tcp "$SRV_ADDR" "$VHOST_HTTP" 5 || lab_fail "no http vhost listener"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=a' 15 || lab_fail "proxy not registered"

lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" <<'PY' || lab_fail "concurrent keep-alive requests"
import socket, sys, threading
host, port = sys.argv[1], int(sys.argv[2])
USERS, REQS = 16, 5
errors = []
barrier = threading.Barrier(USERS)

def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed before a response head")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(buf) < length:
        d = s.recv(65536)
        if not d:
            raise EOFError("short body")
        buf += d
    return head, buf[:length], buf[length:]

def user(i):
    try:
        s = socket.create_connection((host, port), timeout=30)
        barrier.wait()
        req = lambda k: b"GET /echo/%d/%d HTTP/1.1\r\nHost: a.example.com\r\n\r\n" % (i, k)
        pipelined = i % 2 == 0
        if pipelined:  # the first waits for a work conn, the rest in the stash
            s.sendall(b"".join(req(k) for k in range(REQS)))
        buf = b""
        for k in range(REQS):
            if not pipelined:  # one at a time: waits for a work conn, nothing stashed
                s.sendall(req(k))
            head, body, buf = read_response(s, buf)
            if not head.startswith(b"HTTP/1.1 200"):
                raise AssertionError(head[:40])
            if b"/echo/%d/%d" % (i, k) not in body:
                raise AssertionError("user %d request %d got %r" % (i, k, body[:120]))
        s.close()
    except Exception as e:
        errors.append("user %d: %r" % (i, e))

ts = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
for t in ts: t.start()
for t in ts: t.join()
if errors:
    print("\n".join(errors)); sys.exit(1)
print("%d users x %d keep-alive requests answered in order" % (USERS, REQS))
PY
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
lab_pass "16 users x 5 keep-alive requests (8 pipelined) with poolCount = 1, all answered in order"
echo "PASS test_http_concurrent"
