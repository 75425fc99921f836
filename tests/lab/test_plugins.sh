#!/usr/bin/env bash
# test_plugins: client plugins end to end, one client in c1 behind nat1.
# h14-plugins2's cases (functions plugins2_*): static_file (listing with
# escaped names, a Range request byte-exact, a full download by sha256,
# Basic auth 401/200, stripPrefix, a symlink leading out refused);
# https2http on an https vhost with curl's full TLS check (a test CA issues
# the name's certificate, --cacert, --resolve) and Host rewrite plus
# requestHeaders.set seen by the backend on every request of a keep-alive
# connection; http2https to an HTTPS backend; http2http with a WebSocket
# upgrade.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1

P2_FILES=6081 P2_H2S=6082 P2_H2H=6083
P2_NAME=app.lab.test

# A test CA and a certificate it issues for $P2_NAME (crtPath/keyPath), and
# a self-signed one for the HTTPS backend.
plugins2_certs() {
    local d=$LAB_TMP/pki
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=burrow lab CA" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$P2_NAME" \
        -keyout "$d/app.key" -out "$d/app.csr" 2>/dev/null || return 1
    printf 'subjectAltName=DNS:%s\n' "$P2_NAME" >"$d/ext"
    openssl x509 -req -in "$d/app.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext" -out "$d/app.crt" 2>/dev/null || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=backend.lan" -keyout "$d/be.key" -out "$d/be.crt" 2>/dev/null || return 1
    chmod 600 "$d"/*.key
}

# The served tree: a random file, a name that needs escaping, a symlink out.
plugins2_tree() {
    mkdir -p "$LAB_TMP/files/sub"
    head -c 1048576 /dev/urandom >"$LAB_TMP/files/blob.bin"
    echo hi >"$LAB_TMP/files/sub/a<b>&c.txt"
    ln -s /etc "$LAB_TMP/files/escape"
}

plugins2_proxies() {
    local f=$1 d=$LAB_TMP/pki
    cat >>"$f" <<EOT

[[proxies]]
name = "files"
type = "tcp"
remotePort = $P2_FILES
[proxies.plugin]
type = "static_file"
localPath = "$LAB_TMP/files"
stripPrefix = "static"
httpUser = "alice"
httpPassword = "s3cret"

[[proxies]]
name = "tlsapp"
type = "https"
customDomains = ["$P2_NAME"]
[proxies.plugin]
type = "https2http"
localAddr = "192.168.1.10:9080"
crtPath = "$d/app.crt"
keyPath = "$d/app.key"
hostHeaderRewrite = "inside.lan"
requestHeaders.set.x-from = "burrow"

[[proxies]]
name = "toh2s"
type = "tcp"
remotePort = $P2_H2S
[proxies.plugin]
type = "http2https"
localAddr = "192.168.1.10:9443"
hostHeaderRewrite = "backend.lan"

[[proxies]]
name = "toh2h"
type = "tcp"
remotePort = $P2_H2H
[proxies.plugin]
type = "http2http"
localAddr = "192.168.1.10:9080"
hostHeaderRewrite = "plain.lan"
EOT
}

pcurl() { lab_exec user curl -sS --max-time 10 "$@"; }

plugins2_static_file() {
    local base=http://$SRV_ADDR:$P2_FILES/static code body want got
    code=$(pcurl -o /dev/null -w '%{http_code}' "$base/sub/")
    [ "$code" = 401 ] || lab_fail "static_file without auth: $code, want 401"
    code=$(pcurl -o /dev/null -w '%{http_code}' -u alice:wrong "$base/sub/")
    [ "$code" = 401 ] || lab_fail "static_file with a wrong password: $code, want 401"
    body=$(pcurl --fail -u alice:s3cret "$base/sub/") || lab_fail "listing with auth"
    grep -qF 'href="./a%3Cb%3E%26c.txt">a&lt;b&gt;&amp;c.txt</a>' <<<"$body" ||
        lab_fail "listing does not show the escaped name: $body"
    lab_pass "static_file: 401 without or with a wrong password, listing with escaped names"
    pcurl --fail -u alice:s3cret -r 1000-20999 -o "$LAB_TMP/range.got" -w '%{http_code}' \
        "$base/blob.bin" >"$LAB_TMP/range.code" || lab_fail "range request"
    [ "$(cat "$LAB_TMP/range.code")" = 206 ] || lab_fail "range: $(cat "$LAB_TMP/range.code")"
    tail -c +1001 "$LAB_TMP/files/blob.bin" | head -c 20000 >"$LAB_TMP/range.want"
    cmp -s "$LAB_TMP/range.got" "$LAB_TMP/range.want" || lab_fail "range bytes differ"
    pcurl --fail -u alice:s3cret -o "$LAB_TMP/blob.got" "$base/blob.bin" || lab_fail "download"
    want=$(sha256sum <"$LAB_TMP/files/blob.bin" | cut -d' ' -f1)
    got=$(sha256sum <"$LAB_TMP/blob.got" | cut -d' ' -f1)
    [ "$got" = "$want" ] || lab_fail "download sha256 $got, want $want"
    code=$(pcurl -o /dev/null -w '%{http_code}' -u alice:s3cret -r 2000000- "$base/blob.bin")
    [ "$code" = 416 ] || lab_fail "range past the end: $code, want 416"
    lab_pass "static_file: bytes 1000-20999 byte-exact (206), 1 MiB sha256, 416 past the end"
    code=$(pcurl -o /dev/null -w '%{http_code}' -u alice:s3cret "$base/escape/hostname")
    [ "$code" = 403 ] || lab_fail "symlink out of localPath: $code, want 403"
    code=$(pcurl -o /dev/null -w '%{http_code}' -u alice:s3cret "http://$SRV_ADDR:$P2_FILES/blob.bin")
    [ "$code" = 404 ] || lab_fail "outside stripPrefix: $code, want 404"
    lab_pass "static_file: a symlink leading out is 403, a path outside stripPrefix 404"
}

plugins2_https2http() {
    local url=https://$P2_NAME:$VHOST_HTTPS/echo out
    out=$(pcurl --fail --cacert "$LAB_TMP/pki/ca.crt" --resolve "$P2_NAME:$VHOST_HTTPS:$SRV_ADDR" \
        -w '\n%{num_connects}\n' "$url" "$url?second") || lab_fail "https2http with the CA check"
    [ "$(grep -c '"inside.lan"' <<<"$out")" = 2 ] || lab_fail "Host not rewritten twice: $out"
    [ "$(grep -ci '"x-from", "burrow"' <<<"$out")" = 2 ] || lab_fail "x-from not set twice: $out"
    [ "$(grep -c '"https"' <<<"$out")" = 2 ] || lab_fail "X-Forwarded-Proto not https: $out"
    [ "$(sed -n '$p' <<<"$out")" = 0 ] || lab_fail "the second request did not reuse the connection"
    lab_pass "https2http: curl verified $P2_NAME against the test CA; both requests of one keep-alive connection reached the backend with Host inside.lan and x-from"
    if pcurl --resolve "$P2_NAME:$VHOST_HTTPS:$SRV_ADDR" -o /dev/null "$url" 2>/dev/null; then
        lab_fail "control: the certificate verified without the test CA"
    fi
    lab_pass "control: without --cacert curl refuses the certificate"
}

plugins2_http2https() {
    local body
    body=$(pcurl --fail "http://$SRV_ADDR:$P2_H2S/echo") || lab_fail "http2https"
    [ "$(json_field "$body" site)" = TLSBE ] || lab_fail "http2https reached $body"
    [ "$(json_header "$body" Host)" = backend.lan ] || lab_fail "http2https Host: $body"
    lab_pass "http2https: plain HTTP in, HTTPS to the backend (unverified, as frp), Host backend.lan"
}

plugins2_http2http() {
    local body
    body=$(pcurl --fail "http://$SRV_ADDR:$P2_H2H/echo") || lab_fail "http2http"
    [ "$(json_header "$body" Host)" = plain.lan ] || lab_fail "http2http Host: $body"
    lab_exec user python3 - "$SRV_ADDR" "$P2_H2H" <<'PY' || lab_fail "websocket through http2http"
import base64, os, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    assert d, "closed before the 101"
    buf += d
head, rest = buf.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 101 "), head
msg, mask = os.urandom(100), os.urandom(4)
s.sendall(bytes([0x82, 0x80 | len(msg)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(msg)))
while len(rest) < 2 + len(msg):
    d = s.recv(4096)
    assert d, "closed early"
    rest += d
assert rest[2:2 + len(msg)] == msg, "echo mismatch"
PY
    lab_pass "http2http: Host plain.lan; a WebSocket upgrade becomes a relay (101, a frame echoed)"
}

plugins2_all() {
    plugins2_certs || lab_fail "test certificates"
    plugins2_tree
    http_backend c1 PLAIN 192.168.1.10 9080 || lab_fail "backend PLAIN"
    http_backend c1 TLSBE 192.168.1.10 9443 --tls "$LAB_TMP/pki/be.crt" "$LAB_TMP/pki/be.key" ||
        lab_fail "backend TLSBE"
    local token
    token=$(brw_token)
    brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPSPort = $VHOST_HTTPS"
    brw_client_conf "$LAB_TMP/c1.toml" "$token"
    plugins2_proxies "$LAB_TMP/c1.toml"
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
    brw_start_client c1 c1 "$LAB_TMP/c1.toml"
    local p
    for p in files tlsapp toh2s toh2h; do
        lab_wait_log "$LAB_TMP/c1.log" "proxy registered.*name=$p" 15 || lab_fail "$p not registered"
    done
    plugins2_static_file
    plugins2_https2http
    plugins2_http2https
    plugins2_http2http
}

lab_up || lab_fail "lab_up"
plugins2_all
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_plugins"
