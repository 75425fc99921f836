#!/usr/bin/env bash
# test_proxy_protocol: transport.proxyProtocolVersion on tcp and https
# proxies. The local service (tests/lab/http_backend.py --proxy-protocol)
# parses the PROXY header the client writes before the user's bytes and
# reports the addresses: the outside user 203.0.113.50 and the server's
# public address and port the user dialed. v1 and v2, tcp and https (TLS
# starts right after the header); a proxy without the setting sends none.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=pp.example.com" -addext "subjectAltName=DNS:pp.example.com" \
    -keyout "$LAB_TMP/pp.key" -out "$LAB_TMP/pp.crt" 2>/dev/null || lab_fail "openssl req"
http_backend c1 V1 192.168.1.10 9001 --proxy-protocol || lab_fail "backend V1"
http_backend c1 V2 192.168.1.10 9002 --proxy-protocol || lab_fail "backend V2"
http_backend c1 TLS2 192.168.1.10 9003 --proxy-protocol --tls "$LAB_TMP/pp.crt" "$LAB_TMP/pp.key" ||
    lab_fail "backend TLS2"
http_backend c1 PLAIN 192.168.1.10 9004 || lab_fail "backend PLAIN"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPSPort = $VHOST_HTTPS"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
brw_proxy "$LAB_TMP/c1.toml" ppv1 tcp 192.168.1.10 9001 6001
echo 'transport.proxyProtocolVersion = "v1"' >>"$LAB_TMP/c1.toml"
brw_proxy "$LAB_TMP/c1.toml" ppv2 tcp 192.168.1.10 9002 6002
echo 'transport.proxyProtocolVersion = "v2"' >>"$LAB_TMP/c1.toml"
vhost_proxy "$LAB_TMP/c1.toml" pptls https 192.168.1.10 9003 'customDomains = ["pp.example.com"]' \
    'transport.proxyProtocolVersion = "v2"'
brw_proxy "$LAB_TMP/c1.toml" plain tcp 192.168.1.10 9004 6004
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=plain' 15 || lab_fail "proxies not registered"
lab_wait_port srv tcp "$SRV_ADDR" 6004 5 || lab_fail "tcp proxies not listening"

# check_proxy JSON VERSION DPORT: the backend's parsed header.
check_proxy() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
info = json.loads(sys.argv[1])
p = info["proxy"]
want = {"version": int(sys.argv[2]), "family": "TCP4", "src": "203.0.113.50",
        "dst": "203.0.113.10", "dport": int(sys.argv[3])}
for k, v in want.items():
    if p is None or p.get(k) != v:
        sys.exit("PROXY header %r, want %r" % (p, want))
if not 1024 <= p["sport"] <= 65535:
    sys.exit("bad source port %r" % p)
PY
}
body=$(lab_exec user curl -sS --max-time 10 "http://$SRV_ADDR:6001/echo") || lab_fail "tcp v1 request"
check_proxy "$body" 1 6001 || lab_fail "tcp v1: $body"
lab_pass "tcp proxy, v1: backend parsed PROXY TCP4 203.0.113.50 -> 203.0.113.10:6001"
body=$(lab_exec user curl -sS --max-time 10 "http://$SRV_ADDR:6002/echo") || lab_fail "tcp v2 request"
check_proxy "$body" 2 6002 || lab_fail "tcp v2: $body"
lab_pass "tcp proxy, v2: backend parsed the binary header (203.0.113.50 -> 203.0.113.10:6002)"
body=$(lab_exec user curl -sS --max-time 10 --cacert "$LAB_TMP/pp.crt" \
    --resolve "pp.example.com:$VHOST_HTTPS:$SRV_ADDR" "https://pp.example.com:$VHOST_HTTPS/echo") ||
    lab_fail "https v2 request"
check_proxy "$body" 2 "$VHOST_HTTPS" || lab_fail "https v2: $body"
lab_pass "https proxy, v2: PROXY header, then the user's own TLS (verified end to end)"
# The user's source port in the header is the one the server saw.
sport=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["proxy"]["sport"])' "$body")
grep -q "https connection routed peer=203\.0\.113\.50:$sport " "$LAB_TMP/server.log" ||
    lab_fail "source port $sport not the one the server logged"
lab_pass "the header's source port ($sport) is the user's port as the server saw it"
body=$(lab_exec user curl -sS --max-time 10 "http://$SRV_ADDR:6004/echo") || lab_fail "plain request"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["proxy"])' "$body")" = None ] ||
    lab_fail "plain proxy sent a PROXY header: $body"
grep -q 'PROXY header error' "$LAB_TMP/be-V1.log" "$LAB_TMP/be-V2.log" "$LAB_TMP/be-TLS2.log" &&
    lab_fail "a backend saw a malformed PROXY header"
lab_pass "a proxy without proxyProtocolVersion sends no header"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_proxy_protocol"
