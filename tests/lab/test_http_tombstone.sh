#!/usr/bin/env bash
# test_http_tombstone: a closed http proxy's site answers 502 for the
# tombstone lifetime (BURROW_VHOST_TOMBSTONE=3 s here, 10 min by default),
# then a timer forgets it and the site answers 404, with no other proxy
# registering in between. The https tombstone goes the same way (the
# connection is then closed for an unknown name, logged).
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
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" "vhostHTTPSPort = $VHOST_HTTPS"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" a http 192.168.1.10 8001 'customDomains = ["a.example.com"]'
vhost_proxy "$LAB_TMP/c1.toml" t https 192.168.1.10 8001 'customDomains = ["t.example.com"]'
BRW_SERVER_ENV="BURROW_VHOST_TOMBSTONE=3" brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" ||
    lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
C1_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=t' 15 || lab_fail "proxies not registered"
[ "$(json_field "$(vget a.example.com /)" site)" = A ] || lab_fail "a.example.com not served"

lab_kill "$C1_PID" KILL
lab_wait_log "$LAB_TMP/server.log" 'session ended' 10 || lab_fail "server did not notice the client leaving"
[ "$(vcode a.example.com /)" = 502 ] || lab_fail "a closed proxy's site should answer 502 at first"
lab_pass "client gone: its site answers 502 (tombstone)"

# https: a ClientHello for t.example.com; "no-client" while the tombstone
# lives, "unknown-sni" once it is gone.
hello() {
    lab_exec user timeout 5 openssl s_client -connect "$SRV_ADDR:$VHOST_HTTPS" -servername t.example.com \
        </dev/null >/dev/null 2>&1 || true
}
hello
lab_wait_log "$LAB_TMP/server.log" 'https connection closed.*reason=no-client' 5 || lab_fail "https tombstone"
code=502
for _ in $(seq 1 40); do
    code=$(vcode a.example.com /)
    [ "$code" = 404 ] && break
    sleep 0.25
done
[ "$code" = 404 ] || lab_fail "the tombstone did not expire: still $code"
hello
lab_wait_log "$LAB_TMP/server.log" 'https connection closed.*reason=unknown-sni' 5 || lab_fail "https tombstone kept"
lab_pass "after the tombstone lifetime the site answers 404 (http) and the name is unknown (https), nothing else registered"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_tombstone"
