#!/usr/bin/env bash
# test_http_features: what an http proxy does to a request on its way —
# basic auth at the server (httpUser/httpPassword), hostHeaderRewrite,
# requestHeaders.set / responseHeaders.set — and HTTP/1.1 bodies: chunked
# and Content-Length uploads, Expect: 100-continue, a WebSocket echo
# through Upgrade, and 100 MB down and up with checksums (streamed: the
# server's memory stays far below the transfer size).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
head -c 100000000 /dev/urandom >"$LAB_TMP/www/big"
want=$(sha256sum <"$LAB_TMP/www/big" | cut -d' ' -f1)
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" secret http 192.168.1.10 8001 'customDomains = ["secret.example.com"]' \
    'httpUser = "alice"' 'httpPassword = "s3cret:pw"'
vhost_proxy "$LAB_TMP/c1.toml" rw http 192.168.1.10 8001 'customDomains = ["rw.example.com"]' \
    'hostHeaderRewrite = "internal.local"' 'requestHeaders.set.x-from-where = "burrow"' \
    'requestHeaders.set.User-Agent = "rewritten"' 'responseHeaders.set.X-Served-By = "burrow-lab"' \
    'responseHeaders.set.Server = "hidden"'
vhost_proxy "$LAB_TMP/c1.toml" big http 192.168.1.10 8001 'customDomains = ["big.example.com"]'
# Under ASan, a small quarantine keeps freed buffers from posing as buffering.
BRW_SERVER_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=big' 15 || lab_fail "proxies not registered"

# --- basic auth ----------------------------------------------------------------
[ "$(vcode secret.example.com /echo)" = 401 ] || lab_fail "no credentials: want 401"
hdrs=$(lab_exec user curl -s -D - -o /dev/null --max-time 10 -H 'Host: secret.example.com' \
    "http://$SRV_ADDR:$VHOST_HTTP/echo")
grep -qi '^WWW-Authenticate: Basic realm="burrow"' <<<"$hdrs" || lab_fail "401 without a challenge: $hdrs"
[ "$(vcode secret.example.com /echo -u alice:wrong)" = 401 ] || lab_fail "wrong password: want 401"
[ "$(vcode secret.example.com /echo -u bob:s3cret:pw)" = 401 ] || lab_fail "wrong user: want 401"
[ "$(vcode secret.example.com /echo -u alice:s3cret:pw)" = 200 ] || lab_fail "right credentials: want 200"
n=$(lab_count_log "$LAB_TMP/be-A.log" '"GET /echo HTTP/1.1" 200')
[ "$n" -eq 1 ] || lab_fail "the backend saw $n requests, want only the authorised one"
lab_pass "basic auth: 401 (with challenge) without or with wrong credentials, 200 with them; backend saw only the good one"

# --- header rewrites ---------------------------------------------------------------
resp=$(lab_exec user curl -s -D "$LAB_TMP/rw.hdr" --max-time 10 -H 'Host: rw.example.com' \
    -H 'X-From-Where: client' "http://$SRV_ADDR:$VHOST_HTTP/echo")
[ "$(json_header "$resp" Host)" = internal.local ] || lab_fail "Host not rewritten: $resp"
[ "$(json_header "$resp" X-Forwarded-Host)" = rw.example.com ] || lab_fail "X-Forwarded-Host: $resp"
[ "$(json_header "$resp" x-from-where)" = burrow ] || lab_fail "requestHeaders.set: $resp"
[ "$(json_header "$resp" User-Agent)" = rewritten ] || lab_fail "User-Agent not replaced: $resp"
n=$(python3 -c 'import json,sys; print(sum(1 for k,v in json.loads(sys.argv[1])["headers"] if k.lower()=="x-from-where"))' "$resp")
[ "$n" = 1 ] || lab_fail "x-from-where sent $n times, want once (replaced)"
grep -qi '^X-Served-By: burrow-lab' "$LAB_TMP/rw.hdr" || lab_fail "responseHeaders.set missing: $(cat "$LAB_TMP/rw.hdr")"
grep -qi '^Server: hidden' "$LAB_TMP/rw.hdr" || lab_fail "Server not replaced"
[ "$(grep -ci '^Server:' "$LAB_TMP/rw.hdr")" = 1 ] || lab_fail "two Server headers"
lab_pass "hostHeaderRewrite, requestHeaders.set (replacing), responseHeaders.set (replacing)"

# --- bodies ------------------------------------------------------------------------
printf 'hello world' >"$LAB_TMP/small"
got=$(vget big.example.com /sum --data-binary @"$LAB_TMP/small")
[ "$got" = "$(sha256sum <"$LAB_TMP/small" | cut -d' ' -f1) 11" ] || lab_fail "Content-Length upload: $got"
got=$(vget big.example.com /sum -H 'Transfer-Encoding: chunked' --data-binary @"$LAB_TMP/small")
[ "$got" = "$(sha256sum <"$LAB_TMP/small" | cut -d' ' -f1) 11" ] || lab_fail "chunked upload: $got"
out=$(lab_exec user curl -sv --max-time 10 -H 'Host: big.example.com' -H 'Expect: 100-continue' \
    --data-binary @"$LAB_TMP/small" "http://$SRV_ADDR:$VHOST_HTTP/sum" 2>&1)
grep -q '^< HTTP/1.1 100 Continue' <<<"$out" || lab_fail "no 100 Continue: $out"
grep -q "$(sha256sum <"$LAB_TMP/small" | cut -d' ' -f1) 11" <<<"$out" || lab_fail "100-continue body: $out"
lab_pass "Content-Length and chunked uploads, Expect: 100-continue (100 Continue relayed, then the body)"

lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" <<'PY' || lab_fail "websocket echo"
import base64, os, socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: big.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, rest = buf.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 101 "), head
import hashlib
acc = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
assert b"Sec-WebSocket-Accept: " + acc in head, head
for msg in [b"hello", os.urandom(300), os.urandom(200000)]:
    mask, n = os.urandom(4), len(msg)
    ln = bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack("!H", n) if n < 65536
                                          else bytes([0x80 | 127]) + struct.pack("!Q", n))
    s.sendall(bytes([0x82]) + ln + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(msg)))
    hl = 2 if n < 126 else (4 if n < 65536 else 10)
    while len(rest) < hl + n:
        d = s.recv(65536)
        assert d, "closed early"
        rest += d
    assert rest[hl:hl + n] == msg, "echo mismatch"
    rest = rest[hl + n:]
print("websocket: 3 messages echoed")
PY
lab_pass "WebSocket: 101 with the right accept key, three binary messages (up to 200 kB) echoed"

srv_rss() { awk '/VmHWM/ {print $2}' "/proc/$BRW_SERVER_PID/status"; }
rm -f "$LAB_TMP/got"
lab_exec user curl -sS --fail --max-time 120 -H 'Host: big.example.com' -o "$LAB_TMP/got" \
    "http://$SRV_ADDR:$VHOST_HTTP/file/big" || lab_fail "100 MB download"
got=$(sha256sum <"$LAB_TMP/got" | cut -d' ' -f1)
[ "$got" = "$want" ] || lab_fail "100 MB download: sha256 $got, want $want"
rm -f "$LAB_TMP/got"
lab_pass "100 MB download through the vhost: sha256 matches"
got=$(lab_exec user curl -sS --fail --max-time 120 -H 'Host: big.example.com' -T "$LAB_TMP/www/big" \
    "http://$SRV_ADDR:$VHOST_HTTP/sum") || lab_fail "100 MB upload"
[ "$got" = "$want 100000000" ] || lab_fail "100 MB upload: backend got '$got', want '$want 100000000'"
lab_pass "100 MB upload (Content-Length) through the vhost: backend's sha256 matches"
got=$(lab_exec user curl -sS --fail --max-time 120 -H 'Host: big.example.com' -H 'Transfer-Encoding: chunked' \
    -T "$LAB_TMP/www/big" "http://$SRV_ADDR:$VHOST_HTTP/sum") || lab_fail "100 MB chunked upload"
[ "$got" = "$want 100000000" ] || lab_fail "100 MB chunked upload: backend got '$got'"
lab_pass "100 MB upload (chunked) through the vhost: backend's sha256 matches"
# A reader that stalls: the server must pause the local service's side, not
# buffer the 100 MB (peak RSS is checked below).
lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" "$want" <<'PY' || lab_fail "stalled reader"
import hashlib, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.sendall(b"GET /file/big HTTP/1.1\r\nHost: big.example.com\r\nConnection: close\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(65536)
body = buf.split(b"\r\n\r\n", 1)[1]
h = hashlib.sha256(body)
n = len(body)
time.sleep(3)                       # stall with the download in flight
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    h.update(d)
    n += len(d)
assert n == 100000000 and h.hexdigest() == sys.argv[3], (n, h.hexdigest())
print("stalled reader: 100 MB intact")
PY
lab_pass "a reader stalling 3 s mid-download still gets all 100 MB intact"
rss=$(srv_rss)
[ "${rss:-999999}" -lt 80000 ] || lab_fail "server peak RSS ${rss} kB: bodies are being buffered"
lab_pass "server peak RSS ${rss} kB after 400 MB of bodies and a stalled reader (streamed, not buffered)"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_features"
