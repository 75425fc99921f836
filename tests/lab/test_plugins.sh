#!/usr/bin/env bash
# test_plugins: the client plugins ([proxies.plugin]) end to end. The client
# in c1 (behind nat1) publishes, without any localPort, a SOCKS5 proxy with
# and without a password, an HTTP proxy with a password, a unix socket (a
# Docker-style HTTP API on a unix socket in c1) and a SOCKS5 proxy behind an
# stcp proxy and one behind an xtcp proxy (its QUIC streams) that visitors
# in c2 reach; `user` on the internet goes
# through them to web backends in c1's LAN (plain HTTP, and HTTPS verified
# end to end through CONNECT). The HTTP plugins (plugins2_*): static_file
# (listing with escaped names, a Range request byte-exact, a full download
# by sha256, Basic auth 401/200, stripPrefix, a symlink leading out
# refused); https2http on an https vhost with curl's full TLS check (a test
# CA issues the name's certificate, --cacert, --resolve) and Host rewrite
# plus requestHeaders.set seen by the backend on every request of a
# keep-alive connection; http2https to an HTTPS backend; http2http with a
# WebSocket upgrade. One function per plugin; each case names what it
# checks.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1

P_SOCKS=6001      # socks5, username/password
P_SOCKS_OPEN=6002 # socks5, no auth
P_HTTP=6003       # http_proxy, httpUser/httpPassword
P_UNIX=6004       # unix_domain_socket
V_SOCKS=9100      # the stcp visitor's port in c2 (socks5 behind stcp)
V_XSOCKS=9101     # the xtcp visitor's port in c2 (socks5 behind xtcp, over QUIC)
WEB=192.168.1.10  # the LAN backends' address (also bound on c1's 127.0.0.1)

# ---- the HTTP plugins (h14-plugins2) ---------------------------------------

P2_FILES=6081 P2_H2S=6082 P2_H2H=6083
P2_NAME=app.lab.test

# A test CA and a certificate it issues for $P2_NAME (crtPath/keyPath).
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
localAddr = "192.168.1.10:8080"
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
localAddr = "192.168.1.10:8080"
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
    local tls="--cacert $LAB_TMP/pki/ca.crt --resolve $P2_NAME:$VHOST_HTTPS:$SRV_ADDR" want got
    # shellcheck disable=SC2086
    pcurl --fail $tls -o "$LAB_TMP/big.got" "https://$P2_NAME:$VHOST_HTTPS/file/big.bin" ||
        lab_fail "3 MiB down through https2http"
    want=$(sha256sum <"$LAB_TMP/www/big.bin" | cut -d' ' -f1)
    got=$(sha256sum <"$LAB_TMP/big.got" | cut -d' ' -f1)
    [ "$got" = "$want" ] || lab_fail "https2http download sha256 $got, want $want"
    # shellcheck disable=SC2086
    out=$(pcurl --fail $tls --data-binary @"$LAB_TMP/www/big.bin" \
        "https://$P2_NAME:$VHOST_HTTPS/sum") || lab_fail "3 MiB up through https2http"
    grep -q "$want 3145728" <<<"$out" || lab_fail "https2http upload: $out"
    lab_pass "https2http: 3 MiB down and 3 MiB up (TLS inside the TLS work conn), sha256 both ways"
}

plugins2_http2https() {
    local body
    body=$(pcurl --fail "http://$SRV_ADDR:$P2_H2S/echo") || lab_fail "http2https"
    [ "$(json_field "$body" site)" = TLS ] || lab_fail "http2https reached $body"
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

plugins2_prepare() {
    plugins2_certs || lab_fail "test certificates"
    plugins2_tree
    mkdir -p "$LAB_TMP/www"
    head -c 3145728 /dev/urandom >"$LAB_TMP/www/big.bin"
}

plugins2_cases() {
    plugins2_static_file
    plugins2_https2http
    plugins2_http2https
    plugins2_http2http
}

# ---- setup: backends in c1, server, client with the plugins --------------

unix_backend() { # a small HTTP API on a unix socket, as Docker's
    cat >"$LAB_TMP/unix_api.py" <<'EOF'
import os, socketserver, sys
from http.server import BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def address_string(self): return "unix"
    def do_GET(self):
        b = ('{"Version":"lab","Path":"%s"}\n' % self.path).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer): daemon_threads = True
if os.path.exists(sys.argv[1]): os.unlink(sys.argv[1])
S(sys.argv[1], H).serve_forever()
EOF
    lab_bg c1 "$LAB_TMP/unix_api.log" python3 -u "$LAB_TMP/unix_api.py" "$LAB_TMP/api.sock"
    for _ in $(seq 1 100); do [ -S "$LAB_TMP/api.sock" ] && return 0; sleep 0.05; done
    return 1
}

plugins_setup() {
    lab_up || lab_fail "lab_up"
    mkdir -p "$LAB_TMP/www"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:$WEB" \
        -keyout "$LAB_TMP/web.key" -out "$LAB_TMP/web.crt" 2>/dev/null || lab_fail "openssl req"
    http_backend c1 WEB 0.0.0.0 8080 || lab_fail "http backend"
    http_backend c1 TLS 0.0.0.0 9443 --tls "$LAB_TMP/web.crt" "$LAB_TMP/web.key" ||
        lab_fail "https backend"
    unix_backend || lab_fail "unix socket backend"

    token=$(brw_token)
    brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPSPort = $VHOST_HTTPS"
    brw_client_conf "$LAB_TMP/c1.toml" "$token" "webServer.port = 7400"
    cat >>"$LAB_TMP/c1.toml" <<EOF

[[proxies]]
name = "socks"
type = "tcp"
remotePort = $P_SOCKS
[proxies.plugin]
type = "socks5"
username = "alice"
password = "s3cret"

[[proxies]]
name = "socks_open"
type = "tcp"
remotePort = $P_SOCKS_OPEN
plugin.type = "socks5"

[[proxies]]
name = "hproxy"
type = "tcp"
remotePort = $P_HTTP
[proxies.plugin]
type = "http_proxy"
httpUser = "bob"
httpPassword = "pa55"

[[proxies]]
name = "docker"
type = "tcp"
remotePort = $P_UNIX
[proxies.plugin]
type = "unix_domain_socket"
unixPath = "$LAB_TMP/api.sock"

[[proxies]]
name = "ssocks"
type = "stcp"
secretKey = "k3y"
[proxies.plugin]
type = "socks5"

[[proxies]]
name = "xsocks"
type = "xtcp"
secretKey = "k3y"
plugin.type = "socks5"
EOF
    plugins2_prepare
    plugins2_proxies "$LAB_TMP/c1.toml"
    brw_client_conf "$LAB_TMP/c2.toml" "$token"
    cat >>"$LAB_TMP/c2.toml" <<EOF

[[visitors]]
name = "v"
type = "stcp"
serverName = "ssocks"
secretKey = "k3y"
bindAddr = "192.168.2.10"
bindPort = $V_SOCKS

[[visitors]]
name = "xv"
type = "xtcp"
serverName = "xsocks"
secretKey = "k3y"
bindAddr = "192.168.2.10"
bindPort = $V_XSOCKS
keepTunnelOpen = true
EOF
    "$BURROW_BIN" client -c "$LAB_TMP/c1.toml" --check >"$LAB_TMP/check.log" 2>&1 ||
        lab_fail "--check refused the plugin config: $(cat "$LAB_TMP/check.log")"
    brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
    brw_start_client c1 c1 "$LAB_TMP/c1.toml"
    C1_PID=$LAB_LAST_PID
    local p
    for p in socks:$P_SOCKS socks_open:$P_SOCKS_OPEN hproxy:$P_HTTP docker:$P_UNIX; do
        brw_wait_proxy "$LAB_TMP/c1.log" "$LAB_TMP/server.log" "${p%%:*}" tcp "${p##*:}" ||
            lab_fail "proxy ${p%%:*} not registered"
    done
    lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=ssocks.*plugin=socks5' 10 ||
        lab_fail "stcp proxy ssocks not registered"
    lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=xsocks.*plugin=socks5' 10 ||
        lab_fail "xtcp proxy xsocks not registered"
    for p in files tlsapp toh2s toh2h; do
        lab_wait_log "$LAB_TMP/c1.log" "proxy registered.*name=$p" 10 || lab_fail "$p not registered"
    done
    # The visitors start once their proxies are there: an xtcp visitor that
    # logs in first is refused (unknown-proxy) and punches again only later.
    brw_start_client c2 c2 "$LAB_TMP/c2.toml"
    C2_PID=$LAB_LAST_PID
    lab_wait_port c2 tcp 192.168.2.10 "$V_SOCKS" 10 || lab_fail "visitor port"
    lab_wait_log "$LAB_TMP/c2.log" 'login ok' 10 || lab_fail "c2 did not log in"
    lab_pass "ten plugin proxies without localPort registered (--check ok)"
}

# ucurl ARGS...: curl from `user` on the internet; the body on stdout.
ucurl() { lab_exec user curl -sS --max-time 10 "$@"; }

# ---- socks5 ----------------------------------------------------------------

case_socks5() {
    local body
    body=$(ucurl --socks5-hostname "alice:s3cret@$SRV_ADDR:$P_SOCKS" http://localhost:8080/echo) ||
        lab_fail "socks5 with the right password"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "socks5 reached $body"
    lab_pass "socks5 --socks5-hostname with username/password: localhost resolved in c1, backend answered"
    if ucurl --socks5-hostname "alice:wrong@$SRV_ADDR:$P_SOCKS" http://localhost:8080/echo \
        >/dev/null 2>"$LAB_TMP/s5err"; then
        lab_fail "socks5 with a wrong password got through"
    fi
    grep -qi 'rejected\|auth\|password' "$LAB_TMP/s5err" || lab_fail "curl: $(cat "$LAB_TMP/s5err")"
    lab_wait_log "$LAB_TMP/c1.log" 'socks5 wrong username or password proxy=socks' 5 ||
        lab_fail "no log of the wrong password"
    if ucurl --socks5-hostname "$SRV_ADDR:$P_SOCKS" http://localhost:8080/echo >/dev/null 2>&1; then
        lab_fail "socks5 without credentials got through"
    fi
    lab_pass "socks5: wrong password and no credentials refused (RFC 1929), logged"
    body=$(ucurl --socks5 "$SRV_ADDR:$P_SOCKS_OPEN" "http://$WEB:8080/echo") ||
        lab_fail "socks5 without auth to an IPv4 address"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "socks5 open reached $body"
    body=$(ucurl --socks5-hostname "$SRV_ADDR:$P_SOCKS_OPEN" --cacert "$LAB_TMP/web.crt" \
        https://localhost:9443/echo) || lab_fail "socks5 to the https backend"
    [ "$(json_field "$body" site)" = TLS ] || lab_fail "socks5 https reached $body"
    lab_pass "socks5 without auth: IPv4 target, and HTTPS verified end to end"
    if ucurl --socks5-hostname "$SRV_ADDR:$P_SOCKS_OPEN" http://localhost:1/ >/dev/null \
        2>"$LAB_TMP/s5err"; then
        lab_fail "socks5 to a closed port succeeded"
    fi
    grep -qi 'refused\|(5)' "$LAB_TMP/s5err" || lab_fail "no 'connection refused' (0x05): $(cat "$LAB_TMP/s5err")"
    lab_pass "socks5 to a closed port: reply 0x05, connection refused"
}

# ---- socks5 behind stcp (the plugin on the end-to-end conn) ---------------

case_socks5_stcp() {
    local body
    body=$(lab_exec c2 curl -sS --max-time 10 --socks5-hostname "192.168.2.10:$V_SOCKS" \
        http://localhost:8080/echo) || lab_fail "socks5 through the stcp visitor"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "stcp socks5 reached $body"
    lab_pass "socks5 plugin on an stcp proxy: c2's visitor reaches c1's LAN through it"
}

# ---- socks5 behind xtcp (the plugin on the owner's QUIC streams) ----------

case_socks5_xtcp() {
    local body
    lab_wait_log "$LAB_TMP/c2.log" 'xtcp quic ready ' 15 || lab_fail "xtcp: QUIC never came up"
    body=$(lab_exec c2 curl -sS --max-time 10 --socks5-hostname "192.168.2.10:$V_XSOCKS" \
        http://localhost:8080/echo) || lab_fail "socks5 through the xtcp visitor"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "xtcp socks5 reached $body"
    lab_wait_log "$LAB_TMP/c2.log" 'visitor connected .*path=quic' 5 || lab_fail "not over QUIC"
    lab_pass "socks5 plugin on an xtcp proxy: the visitor's QUIC stream reaches c1's LAN through it"
}

# ---- http_proxy -------------------------------------------------------------

case_http_proxy() {
    local body code
    body=$(ucurl -x "http://bob:pa55@$SRV_ADDR:$P_HTTP" http://localhost:8080/echo) ||
        lab_fail "http_proxy plain GET"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "http_proxy reached $body"
    [ -z "$(json_header "$body" Proxy-Authorization)" ] || lab_fail "credentials reached the origin"
    [ -z "$(json_header "$body" Proxy-Connection)" ] || lab_fail "Proxy-Connection reached the origin"
    [ "$(json_header "$body" Host)" = localhost:8080 ] || lab_fail "origin saw Host $(json_header "$body" Host)"
    [ "$(json_field "$body" path)" = /echo ] || lab_fail "origin saw path $(json_field "$body" path)"
    lab_pass "http_proxy plain GET: origin-form /echo, Host from the URI, proxy headers stripped"
    body=$(ucurl -x "http://bob:pa55@$SRV_ADDR:$P_HTTP" --cacert "$LAB_TMP/web.crt" \
        https://localhost:9443/echo) || lab_fail "http_proxy CONNECT"
    [ "$(json_field "$body" site)" = TLS ] || lab_fail "CONNECT reached $body"
    lab_pass "http_proxy CONNECT: https://localhost:9443 verified end to end through the tunnel"
    code=$(ucurl -o /dev/null -w '%{http_code}' -D "$LAB_TMP/h407" \
        -x "http://bob:nope@$SRV_ADDR:$P_HTTP" http://localhost:8080/echo || true)
    [ "$code" = 407 ] || lab_fail "wrong proxy password got $code"
    grep -qi '^Proxy-Authenticate: Basic realm="burrow"' "$LAB_TMP/h407" || lab_fail "no Proxy-Authenticate"
    code=$(ucurl -o /dev/null -w '%{http_code}' -x "http://$SRV_ADDR:$P_HTTP" \
        http://localhost:8080/echo || true)
    [ "$code" = 407 ] || lab_fail "no proxy credentials got $code"
    code=$(ucurl -o /dev/null -w '%{http_connect}' -x "http://bob:nope@$SRV_ADDR:$P_HTTP" \
        --cacert "$LAB_TMP/web.crt" https://localhost:9443/ 2>/dev/null || true)
    [ "$code" = 407 ] || lab_fail "CONNECT with a wrong password got $code"
    lab_pass "http_proxy: wrong or missing password -> 407 with Proxy-Authenticate (plain and CONNECT)"
    code=$(ucurl -o /dev/null -w '%{http_code}' -x "http://bob:pa55@$SRV_ADDR:$P_HTTP" \
        http://localhost:1/ || true)
    [ "$code" = 502 ] || lab_fail "a closed port through http_proxy got $code"
    code=$(lab_exec user curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
        -H 'Proxy-Authorization: Basic Ym9iOnBhNTU=' "http://$SRV_ADDR:$P_HTTP/echo" || true)
    [ "$code" = 400 ] || lab_fail "an origin-form request to the proxy got $code"
    lab_pass "http_proxy: closed port -> 502, a request that is not for a proxy -> 400"
}

# ---- unix_domain_socket -----------------------------------------------------

case_unix_socket() {
    local body i
    for i in 1 2 3; do
        body=$(ucurl "http://$SRV_ADDR:$P_UNIX/v1.43/version?i=$i") || lab_fail "unix socket GET $i"
        grep -q "\"Path\":\"/v1.43/version?i=$i\"" <<<"$body" || lab_fail "unix socket answered $body"
    done
    lab_pass "unix_domain_socket: three requests reached the API on $LAB_TMP/api.sock"
}

# ---- burrow status: a plugin instead of a local address ----------------------

case_status() {
    local st
    st=$(lab_exec c1 "$BURROW_BIN" status -c "$LAB_TMP/c1.toml") || lab_fail "burrow status: $st"
    grep -Eq '^socks +tcp +running +plugin:socks5 ' <<<"$st" || lab_fail "status: $st"
    grep -Eq '^docker +tcp +running +plugin:unix_domain_socket ' <<<"$st" || lab_fail "status: $st"
    lab_pass "burrow status shows plugin:TYPE where a proxy has no local address"
}

# ---- hot reload: a plugin key changed, plugin proxies removed ----------------

# held_conn PORT: a connection to srv:PORT that says nothing; its log tells
# when (and how) it ended.
held_conn() {
    lab_bg user "$LAB_TMP/held.log" python3 -u -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("connected", flush=True)
s.settimeout(9)
t = time.time()
try:
    d = s.recv(10)
except socket.timeout:
    d = b"timeout"
except OSError:
    d = b""
print("end", "eof" if d == b"" else d.decode(), round(time.time() - t, 2), flush=True)' \
        "$SRV_ADDR" "$1"
}

# drop_proxies FILE NAME...: the config without those [[proxies]] entries.
drop_proxies() {
    python3 - "$@" <<'PY'
import re, sys
f = sys.argv[1]
t = open(f).read()
for name in sys.argv[2:]:
    t = re.sub(r'\n\[\[proxies\]\]\nname = "%s"\n.*?(?=\n\[\[|\Z)' % re.escape(name), "", t, flags=re.S)
open(f, "w").write(t)
PY
}

case_reload() {
    local body
    held_conn "$P_SOCKS_OPEN"
    lab_wait_log "$LAB_TMP/held.log" connected 5 || lab_fail "held connection"
    lab_wait_log "$LAB_TMP/c1.log" 'work started proxy=socks_open' 5 || lab_fail "held: no session"
    sed -i 's/password = "s3cret"/password = "n3w"/' "$LAB_TMP/c1.toml"
    drop_proxies "$LAB_TMP/c1.toml" socks_open docker
    kill -HUP "$C1_PID"
    lab_wait_log "$LAB_TMP/c1.log" 'reload applied added=' 10 || lab_fail "SIGHUP: no reload"
    grep -Eq 'reload applied added=- removed=socks_open,docker changed=socks kept=hproxy,ssocks,xsocks,files,tlsapp,toh2s,toh2h$' \
        "$LAB_TMP/c1.log" || lab_fail "reload: $(grep 'reload applied added' "$LAB_TMP/c1.log")"
    lab_wait_log "$LAB_TMP/held.log" '^end eof' 5 || lab_fail "held session not ended: $(cat "$LAB_TMP/held.log")"
    lab_pass "reload: a changed password is a changed proxy; removing socks_open ended its waiting session"
    lab_wait_log "$LAB_TMP/server.log" "proxy listening name=socks type=tcp port=$P_SOCKS" 10 2 ||
        lab_fail "socks not registered again"
    body=$(ucurl --socks5-hostname "alice:n3w@$SRV_ADDR:$P_SOCKS" http://localhost:8080/echo) ||
        lab_fail "socks5 with the new password"
    [ "$(json_field "$body" site)" = WEB ] || lab_fail "socks5 (new password) reached $body"
    if ucurl --socks5-hostname "alice:s3cret@$SRV_ADDR:$P_SOCKS" http://localhost:8080/ >/dev/null 2>&1; then
        lab_fail "the old socks5 password still works"
    fi
    if ucurl -o /dev/null "http://$SRV_ADDR:$P_UNIX/version" 2>/dev/null; then
        lab_fail "the removed unix_domain_socket proxy still answers"
    fi
    lab_pass "reload: the new password works, the old one not; the removed unix socket proxy is gone"
}

# ---- the end: clean stop ----------------------------------------------------

case_stop() {
    lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
    brw_stop_clean "$C1_PID" "$LAB_TMP/c1.log" "client c1"
    brw_stop_clean "$C2_PID" "$LAB_TMP/c2.log" "client c2"
    brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" "server"
    lab_pass "clients (plugin proxies, visitors) and server stopped cleanly, no sanitizer report"
}

plugins_setup
case_socks5
case_socks5_stcp
case_socks5_xtcp
case_http_proxy
case_unix_socket
plugins2_cases
case_status
case_reload
case_stop
echo "PASS test_plugins"
