#!/usr/bin/env bash
# test_http_vhost: two clients behind two different NATs each serve sites
# through one server port (vhostHTTPPort), routed by Host: customDomains,
# subdomain + subDomainHost, wildcard domains, locations (longest prefix).
# Keep-alive and pipelined requests to two hosts on one connection, the
# X-Forwarded-* headers, and the 404 (custom), 502 and 504 pages.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
echo '<html><body><h1>nothing here, says burrow-lab</h1></body></html>' >"$LAB_TMP/404.html"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
http_backend c1 A-API 192.168.1.10 8002 || lab_fail "backend A-API"
http_backend c1 A-V2 192.168.1.10 8003 || lab_fail "backend A-V2"
http_backend c2 B 192.168.2.10 8001 || lab_fail "backend B"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" \
    'subDomainHost = "lab.example"' 'vhostWildcardDomains = ["wild.example.com"]' "custom404Page = \"$LAB_TMP/404.html\"" 'vhostHTTPTimeout = 2'
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" a http 192.168.1.10 8001 'customDomains = ["a.example.com"]' \
    'subdomain = "nas"'
vhost_proxy "$LAB_TMP/c1.toml" a-api http 192.168.1.10 8002 'customDomains = ["a.example.com"]' \
    'locations = ["/api"]'
vhost_proxy "$LAB_TMP/c1.toml" a-v2 http 192.168.1.10 8003 'customDomains = ["a.example.com"]' \
    'locations = ["/api/v2"]'
vhost_proxy "$LAB_TMP/c1.toml" wild http 192.168.1.10 8003 'customDomains = ["*.wild.example.com"]'
vhost_proxy "$LAB_TMP/c1.toml" down http 192.168.1.10 8999 'customDomains = ["down.example.com"]'
brw_client_conf "$LAB_TMP/c2.toml" "$token"
vhost_proxy "$LAB_TMP/c2.toml" b http 192.168.2.10 8001 'customDomains = ["b.example.com"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_port srv tcp "$SRV_ADDR" "$VHOST_HTTP" 5 || lab_fail "no http vhost listener"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
C2_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=down' 15 || lab_fail "c1 proxies not registered"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=b' 15 || lab_fail "c2 proxy not registered"
grep -q 'client logged in.*peer=203\.0\.113\.21:' "$LAB_TMP/server.log" || lab_fail "c1 not via nat1"
grep -q 'client logged in.*peer=203\.0\.113\.22:' "$LAB_TMP/server.log" || lab_fail "c2 not via nat2"
lab_pass "c1 (behind nat1) and c2 (behind nat2) registered http proxies"

# --- routing by Host ---------------------------------------------------------
expect_site() { # HOST PATH SITE
    local body; body=$(vget "$1" "$2") || lab_fail "GET $1$2 failed"
    local got; got=$(json_field "$body" site)
    [ "$got" = "$3" ] || lab_fail "GET $1$2 reached site '$got', want '$3'"
}
expect_site a.example.com /echo A
expect_site b.example.com /echo B
expect_site A.Example.COM:8080 /echo A
lab_pass "one port, routed by Host: a.example.com -> c1, b.example.com -> c2 (case and port ignored)"
expect_site nas.lab.example /echo A
lab_pass "subdomain nas + subDomainHost lab.example -> c1"
expect_site x.wild.example.com /echo A-V2
expect_site deep.x.wild.example.com /echo A-V2
[ "$(vcode wild.example.com /)" = 404 ] || lab_fail "wild.example.com itself should not match *.wild.example.com"
lab_pass "wildcard *.wild.example.com matches x. and deep.x., not the bare domain"
expect_site a.example.com / A
expect_site a.example.com /api A-API
expect_site a.example.com /api/users A-API
expect_site a.example.com /api/v2/users A-V2
expect_site a.example.com /api/v2 A-V2
expect_site a.example.com /other A
lab_pass "locations: /api/v2 beats /api beats /, by longest prefix"

# --- X-Forwarded-* -------------------------------------------------------------
body=$(vget a.example.com /echo -H 'X-Forwarded-For: 10.9.9.9')
[ "$(json_header "$body" X-Forwarded-For)" = "10.9.9.9, 203.0.113.50" ] ||
    lab_fail "X-Forwarded-For: '$(json_header "$body" X-Forwarded-For)'"
[ "$(json_header "$body" X-Real-IP)" = 203.0.113.50 ] || lab_fail "X-Real-IP: $body"
[ "$(json_header "$body" X-Forwarded-Host)" = a.example.com ] || lab_fail "X-Forwarded-Host: $body"
[ "$(json_header "$body" X-Forwarded-Proto)" = http ] || lab_fail "X-Forwarded-Proto: $body"
[ "$(json_header "$body" Host)" = a.example.com ] || lab_fail "Host changed: $body"
lab_pass "backend sees X-Forwarded-For (appended), X-Real-IP, X-Forwarded-Host, X-Forwarded-Proto"

# --- keep-alive and pipelining ----------------------------------------------
out=$(lab_exec user curl -sv --max-time 15 -H 'Host: a.example.com' "http://$SRV_ADDR:$VHOST_HTTP/echo" \
    --next -H 'Host: b.example.com' "http://$SRV_ADDR:$VHOST_HTTP/echo" \
    --next -H 'Host: a.example.com' "http://$SRV_ADDR:$VHOST_HTTP/api/x" 2>&1)
[ "$(grep -c 'Re-using existing connection' <<<"$out")" -eq 2 ] || lab_fail "curl did not reuse the connection: $out"
[ "$(grep -c '^\* Connected to' <<<"$out")" -eq 1 ] || lab_fail "more than one connection: $out"
sites=$(grep -o '"site": "[^"]*"' <<<"$out" | tr '\n' ' ')
[ "$sites" = '"site": "A" "site": "B" "site": "A-API" ' ] || lab_fail "keep-alive sites: $sites"
lab_pass "keep-alive: a, b, a/api on one connection, each routed by its own Host"
before=$(lab_count_log "$LAB_TMP/be-B.log" '"GET /reuse')
lab_exec user curl -s --max-time 15 -o /dev/null -H 'Host: b.example.com' "http://$SRV_ADDR:$VHOST_HTTP/reuse1" \
    --next -o /dev/null -H 'Host: b.example.com' "http://$SRV_ADDR:$VHOST_HTTP/reuse2" \
    --next -o /dev/null -H 'Host: b.example.com' "http://$SRV_ADDR:$VHOST_HTTP/reuse3" || lab_fail "reuse requests"
ports=$(grep -E '"GET /reuse[123] ' "$LAB_TMP/be-B.log" | sed 's/.*port=//' | sort -u | wc -l)
[ "$before" = 0 ] && [ "$ports" = 1 ] || lab_fail "3 keep-alive requests to one site used $ports backend connections"
lab_pass "consecutive requests to the same site reuse one work conn (one backend connection for three)"
lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" <<'PY' || lab_fail "pipelining"
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
reqs = [b"GET /echo HTTP/1.1\r\nHost: b.example.com\r\n\r\n",
        b"POST /sum HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HEAD /echo HTTP/1.1\r\nHost: b.example.com\r\n\r\n",
        b"POST /api/v2/x HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /close HTTP/1.1\r\nHost: b.example.com\r\n\r\n"]
s.sendall(b"".join(reqs))  # all at once: pipelined
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
text = buf.decode("latin-1")
sites = [l.split(": ")[1] for l in text.split("\r\n") if l.startswith("X-Site: ")]
assert sites == ["B", "A", "B", "A-V2", "B"], sites
assert "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 5" in text, text
assert text.endswith("bye\n"), text[-200:]
print("pipelined:", sites)
PY
lab_pass "5 pipelined requests (chunked body, HEAD, Content-Length body) answered in order, then closed"

# --- error pages -----------------------------------------------------------------
body=$(vget unknown.example.com /)
code=$(vcode unknown.example.com /)
[ "$code" = 404 ] && grep -q 'nothing here, says burrow-lab' <<<"$body" ||
    lab_fail "unknown host: $code $body"
lab_pass "unknown host: 404 with the custom404Page"
body=$(vget down.example.com / 2>&1)
[ "$(vcode down.example.com /)" = 502 ] && grep -q '502 Bad Gateway' <<<"$body" || lab_fail "backend down: $body"
lab_pass "local service down: 502 page"
t0=$SECONDS
body=$(vget b.example.com /sleep/5)
[ "$(vcode b.example.com /sleep/5)" = 504 ] && grep -q '504 Gateway Timeout' <<<"$body" ||
    lab_fail "slow backend: $body"
[ $((SECONDS - t0)) -lt 10 ] || lab_fail "504 took too long"
lab_pass "backend slower than vhostHTTPTimeout (2 s): 504 page"
expect_site b.example.com /echo B
lab_kill "$C2_PID" KILL
lab_wait_log "$LAB_TMP/server.log" 'session ended.*reason=(client-closed|connection-error)' 10 ||
    lab_fail "server did not notice c2 leaving"
[ "$(vcode b.example.com /echo)" = 502 ] || lab_fail "site of a gone client: want 502"
expect_site a.example.com /echo A
lab_pass "client c2 gone: its site answers 502, c1's sites still work"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_vhost"
