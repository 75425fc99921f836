#!/usr/bin/env bash
# test_tcp_http (a): an HTTP server in c1 (behind port-restricted nat1) is
# published through a burrow tcp proxy; user downloads a random file through
# srv:6080 and the SHA-256 must match. user cannot reach c1 directly.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
head -c 3145728 /dev/urandom >"$LAB_TMP/www/file"
want=$(sha256sum <"$LAB_TMP/www/file" | cut -d' ' -f1)
lab_bg c1 "$LAB_TMP/http.log" python3 -u -m http.server --bind 192.168.1.10 --directory "$LAB_TMP/www" 8080
lab_wait_port c1 tcp 192.168.1.10 8080 10 || lab_fail "http server in c1 did not start"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" web tcp 192.168.1.10 8080 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
lab_wait_log "$LAB_TMP/server.log" 'client logged in' 5 || lab_fail "server did not log the login"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" web tcp 6080 || lab_fail "proxy web not registered"
grep -q 'client logged in.*peer=203\.0\.113\.21:.*tls=yes' "$LAB_TMP/server.log" ||
    lab_fail "server did not see a TLS login from nat1's public address"
lab_pass "client in c1 logged in over TLS via nat1 (203.0.113.21), proxy web on srv:6080"

for i in 1 2; do
    rm -f "$LAB_TMP/got"
    lab_exec user curl -sS --fail --max-time 20 -o "$LAB_TMP/got" http://203.0.113.10:6080/file ||
        lab_fail "download $i through the tunnel failed"
    got=$(sha256sum <"$LAB_TMP/got" | cut -d' ' -f1)
    [ "$got" = "$want" ] || lab_fail "download $i: sha256 $got, want $want"
    lab_pass "download $i of 3 MiB via srv:6080: sha256 matches ($want)"
done
# The HTTP server saw the requests coming from burrow's client in c1.
n=$(lab_count_log "$LAB_TMP/http.log" '^192\.168\.1\.10 .*"GET /file HTTP/1\.1" 200')
[ "$n" -ge 2 ] || lab_fail "http server log shows $n tunnelled GETs from 192.168.1.10, want 2"
lab_pass "http server saw $n GETs from the burrow client (192.168.1.10)"

if lab_exec user curl -sS --max-time 3 -o /dev/null http://192.168.1.10:8080/file 2>/dev/null; then
    lab_fail "user reached 192.168.1.10:8080 directly"
fi
lab_pass "user cannot reach 192.168.1.10:8080 directly"
# Control: the server is reachable on the LAN side, so the failure above is nat1's doing.
lab_check "control: nat1 (LAN side) reaches 192.168.1.10:8080" \
    lab_exec nat1 curl -sS --fail --max-time 5 -o /dev/null http://192.168.1.10:8080/file
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_tcp_http"
