#!/usr/bin/env bash
# test_https_sni: https proxies routed by SNI without terminating TLS. Two
# HTTPS backends with two certificates, behind two NATs, share
# vhostHTTPSPort; each name reaches its own backend (the certificate
# verifies against that backend's own CA file). An unknown SNI, a hello
# without SNI and non-TLS bytes are closed cleanly, with a logged reason.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
for s in s1 s2; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$s.example.com" -addext "subjectAltName=DNS:$s.example.com" \
        -keyout "$LAB_TMP/$s.key" -out "$LAB_TMP/$s.crt" 2>/dev/null || lab_fail "openssl req $s"
done
http_backend c1 S1 192.168.1.10 9443 --tls "$LAB_TMP/s1.crt" "$LAB_TMP/s1.key" || lab_fail "backend S1"
http_backend c2 S2 192.168.2.10 9443 --tls "$LAB_TMP/s2.crt" "$LAB_TMP/s2.key" || lab_fail "backend S2"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPSPort = $VHOST_HTTPS" \
    'vhostWildcardDomains = ["s2.example.com"]'
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" tls1 https 192.168.1.10 9443 'customDomains = ["s1.example.com"]'
brw_client_conf "$LAB_TMP/c2.toml" "$token"
vhost_proxy "$LAB_TMP/c2.toml" tls2 https 192.168.2.10 9443 'customDomains = ["s2.example.com", "*.s2.example.com"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_port srv tcp "$SRV_ADDR" "$VHOST_HTTPS" 5 || lab_fail "no https vhost listener"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=tls1' 15 || lab_fail "tls1 not registered"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=tls2' 15 || lab_fail "tls2 not registered"

# sget NAME CA PATH: HTTPS GET of https://NAME:8443/PATH via srv, verified against CA.
sget() {
    lab_exec user curl -sS --max-time 10 --cacert "$2" --resolve "$1:$VHOST_HTTPS:$SRV_ADDR" \
        "https://$1:$VHOST_HTTPS$3"
}
for i in 1 2; do
    body=$(sget s1.example.com "$LAB_TMP/s1.crt" /echo) || lab_fail "s1 over TLS"
    [ "$(json_field "$body" site)" = S1 ] || lab_fail "s1 reached $body"
    body=$(sget s2.example.com "$LAB_TMP/s2.crt" /echo) || lab_fail "s2 over TLS"
    [ "$(json_field "$body" site)" = S2 ] || lab_fail "s2 reached $body"
done
body=$(sget www.s2.example.com "$LAB_TMP/s2.crt" /echo 2>&1 || true)
grep -q "no alternative certificate subject name matches\|SSL: no alternative" <<<"$body" ||
    lab_fail "www.s2 should reach S2 (and fail host name verification there): $body"
lab_pass "SNI s1 -> c1's backend, s2 -> c2's backend (certificates verify end to end); *.s2 wildcard routed"
if sget s1.example.com "$LAB_TMP/s2.crt" /echo >/dev/null 2>&1; then
    lab_fail "s1 verified against s2's certificate"
fi
lab_pass "control: s1's certificate does not verify against s2's CA"
# TLS is not terminated: the backend saw the user's TLS, so the server never had a key.
[ "$(lab_count_log "$LAB_TMP/be-S1.log" '"GET /echo HTTP/1.1" 200')" -ge 2 ] || lab_fail "S1 log"

# Unknown SNI, no SNI, not TLS: closed, with reasons in the server log.
if sget unknown.example.com "$LAB_TMP/s1.crt" / >/dev/null 2>&1; then lab_fail "unknown SNI answered"; fi
lab_wait_log "$LAB_TMP/server.log" 'https connection closed.*reason=unknown-sni' 5 || lab_fail "no unknown-sni log"
out=$(lab_exec user timeout 10 openssl s_client -connect "$SRV_ADDR:$VHOST_HTTPS" -noservername </dev/null 2>&1)
grep -q 'no peer certificate available\|errno=\|unexpected eof\|write:errno' <<<"$out" || lab_fail "no-SNI hello: $out"
lab_wait_log "$LAB_TMP/server.log" 'https connection closed.*reason=no-sni' 5 || lab_fail "no no-sni log"
code=$(lab_exec user curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$SRV_ADDR:$VHOST_HTTPS/" || true)
[ "$code" = 000 ] || lab_fail "plain HTTP on the https port got $code"
lab_wait_log "$LAB_TMP/server.log" 'https connection closed.*reason=not-a-client-hello' 5 || lab_fail "no not-a-client-hello log"
lab_pass "unknown SNI, missing SNI and plain HTTP are closed (reasons logged at debug)"
body=$(sget s1.example.com "$LAB_TMP/s1.crt" /echo) || lab_fail "s1 after the bad ones"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_https_sni"
