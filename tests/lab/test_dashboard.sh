#!/usr/bin/env bash
# test_dashboard: the server's dashboard (webServer.* with a password,
# enablePrometheus) seen from `user` on the internet side. One client in c1
# behind nat1 with two tcp proxies and an http one. Checks: 401 without or with a wrong
# password (WWW-Authenticate), 200 with it; frp's /api/serverinfo,
# /api/proxy/tcp, /api/traffic/{name} and burrow's /api/clients fields;
# 3 MiB through a proxy makes its counters (today, total, the last hour)
# and /metrics grow; /metrics valid exposition format (prom_check.py); the
# page and its assets with their content types and security headers; the
# connection bound (HTTPD_MAX_CONNS = 64): 72 idle connections, 8 refused
# with one log line, the API answers again once they close; a
# non-loopback webServer.addr without a password is refused at start;
# then a server with webServer.tls.certFile/keyFile (a certificate made by
# openssl for 203.0.113.10): curl --cacert gets 200 over HTTPS, without the
# CA it refuses the certificate, plain HTTP to that port gets no answer.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$LAB_TMP/www"
head -c 3145728 /dev/urandom >"$LAB_TMP/www/file"
lab_bg c1 "$LAB_TMP/http.log" python3 -u -m http.server --bind 192.168.1.10 --directory "$LAB_TMP/www" 8080
lab_wait_port c1 tcp 192.168.1.10 8080 10 || lab_fail "http server in c1 did not start"

token=$(brw_token)
DASH=http://203.0.113.10:7500
PW='dash-pw-1'
brw_server_conf "$LAB_TMP/frps.toml" "$token" "enablePrometheus = true" "vhostHTTPPort = 8000" "[webServer]" \
    "addr = \"0.0.0.0\"" "port = 7500" "user = \"admin\"" "password = \"$PW\""
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" web tcp 192.168.1.10 8080 6080
brw_proxy "$LAB_TMP/frpc.toml" files tcp 192.168.1.10 8080 6081
printf '\n[[proxies]]\nname = "site"\ntype = "http"\nlocalIP = "192.168.1.10"\nlocalPort = 8080\ncustomDomains = ["site.test"]\n' \
    >>"$LAB_TMP/frpc.toml"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_log "$LAB_TMP/server.log" "dashboard listening addr=0.0.0.0 port=7500 tls=no auth=basic" 5 ||
    lab_fail "dashboard did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" web tcp 6080 || lab_fail "proxy web not registered"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" files tcp 6081 || lab_fail "proxy files not registered"
lab_wait_log "$LAB_TMP/server.log" "proxy listening name=site type=http" 10 || lab_fail "proxy site not registered"

get() { # PATH OUTFILE [curl args]: prints the status code
    local path=$1 out=$2; shift 2
    lab_exec user curl -sS --max-time 5 -o "$out" -D "$out.h" -w '%{http_code}' "$@" "$DASH$path"
}
jcheck() { # FILE PYTHON-EXPR (j is the parsed JSON): fails the test unless true
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
        lab_fail "$(basename "$1"): $2 is false: $(head -c 600 "$1")"
}

# ---- auth --------------------------------------------------------------------
code=$(get /api/serverinfo "$LAB_TMP/noauth")
[ "$code" = 401 ] || lab_fail "no password: HTTP $code, want 401"
grep -qi '^WWW-Authenticate: Basic realm="burrow"' "$LAB_TMP/noauth.h" || lab_fail "401 without WWW-Authenticate"
code=$(get /api/serverinfo "$LAB_TMP/badauth" -u admin:wrong)
[ "$code" = 401 ] || lab_fail "wrong password: HTTP $code, want 401"
code=$(get /api/serverinfo "$LAB_TMP/info.json" -u "admin:$PW")
[ "$code" = 200 ] || lab_fail "right password: HTTP $code, want 200"
lab_pass "401 without and with a wrong password (WWW-Authenticate: Basic), 200 with it"
lab_check "failed logins to the dashboard are logged" grep -q "dashboard request unauthorized" "$LAB_TMP/server.log"

# ---- the API -----------------------------------------------------------------
jcheck "$LAB_TMP/info.json" 'j["bindPort"] == 7000 and j["clientCounts"] == 1 and j["proxyTypeCount"] == {"tcp": 2, "http": 1} and j["version"] and j["uptime"] >= 0'
get /api/proxy/tcp "$LAB_TMP/proxies.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/proxies.json" 'sorted(p["name"] for p in j["proxies"]) == ["files", "web"]'
jcheck "$LAB_TMP/proxies.json" 'all(p["status"] == "online" and p["curConns"] == 0 and p["todayTrafficOut"] == 0 and p["lastStartTime"] and p["lastCloseTime"] == "" and p["clientVersion"] for p in j["proxies"])'
jcheck "$LAB_TMP/proxies.json" '{p["name"]: p["conf"]["remotePort"] for p in j["proxies"]} == {"web": 6080, "files": 6081}'
get /api/proxy/udp "$LAB_TMP/udp.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/udp.json" 'j["proxies"] == []'
get /api/clients "$LAB_TMP/clients.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/clients.json" 'len(j["clients"]) == 1 and j["clients"][0]["address"].startswith("203.0.113.21:") and j["clients"][0]["hostname"] and j["clients"][0]["proxies"] == 3 and len(j["clients"][0]["runId"]) == 32'
get /api/proxy/http "$LAB_TMP/http.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/http.json" 'len(j["proxies"]) == 1 and j["proxies"][0]["name"] == "site" and j["proxies"][0]["conf"]["customDomains"] == ["site.test"]'
get /api/p2p "$LAB_TMP/p2p.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/p2p.json" 'j["pairs"] == []'
code=$(get /api/traffic/nope "$LAB_TMP/nope.json" -u "admin:$PW")
[ "$code" = 404 ] || lab_fail "/api/traffic/nope: HTTP $code, want 404"
lab_pass "serverinfo, proxy/tcp (two online, frp's fields), proxy/udp empty, clients (nat1's address), p2p, traffic 404"

# ---- counters grow -----------------------------------------------------------
lab_exec user curl -sS --fail --max-time 20 -o /dev/null http://203.0.113.10:6080/file || lab_fail "download through web failed"
get /api/proxy/tcp "$LAB_TMP/proxies2.json" -u "admin:$PW" >/dev/null
MiB3=3145728
jcheck "$LAB_TMP/proxies2.json" "[p for p in j['proxies'] if p['name'] == 'web'][0]['todayTrafficOut'] >= $MiB3"
jcheck "$LAB_TMP/proxies2.json" "[p for p in j['proxies'] if p['name'] == 'web'][0]['totalConns'] == 1"
jcheck "$LAB_TMP/proxies2.json" "[p for p in j['proxies'] if p['name'] == 'web'][0]['todayTrafficIn'] > 0"
jcheck "$LAB_TMP/proxies2.json" "[p for p in j['proxies'] if p['name'] == 'files'][0]['todayTrafficOut'] == 0"
get /api/traffic/web "$LAB_TMP/traffic.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/traffic.json" "j['name'] == 'web' and len(j['trafficIn']) == 7 and len(j['trafficOut']) == 7 and j['trafficOut'][0] >= $MiB3 and sum(j['trafficOut'][1:]) == 0"
jcheck "$LAB_TMP/traffic.json" "len(j['minuteOut']) == 60 and sum(j['minuteOut']) >= $MiB3"
get /api/serverinfo "$LAB_TMP/info2.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/info2.json" "j['totalTrafficOut'] >= $MiB3"
lab_pass "3 MiB through web: its today/total/last-hour counters grew, files' did not"
# Through the http vhost: one 200 (site.test) and one 404 (an unknown host).
lab_exec user curl -sS --fail --max-time 20 -o /dev/null -H 'Host: site.test' http://203.0.113.10:8000/file ||
    lab_fail "download through the http proxy failed"
code=$(lab_exec user curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H 'Host: nobody.test' http://203.0.113.10:8000/)
[ "$code" = 404 ] || lab_fail "unknown host: HTTP $code, want 404"
get /api/proxy/http "$LAB_TMP/http2.json" -u "admin:$PW" >/dev/null
jcheck "$LAB_TMP/http2.json" "j['proxies'][0]['todayTrafficOut'] >= $MiB3 and j['proxies'][0]['totalConns'] >= 1 and j['proxies'][0]['curConns'] <= 1"
lab_pass "3 MiB through the http proxy counted as its traffic"

# ---- /metrics ----------------------------------------------------------------
code=$(get /metrics "$LAB_TMP/metrics" -u "admin:$PW")
[ "$code" = 200 ] || lab_fail "/metrics: HTTP $code"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$LAB_TMP/metrics.h" || lab_fail "/metrics content type"
out=$(python3 "$HERE/prom_check.py" \
    'burrow_clients>=1' 'burrow_proxies{type="tcp"}>=2' \
    "burrow_proxy_bytes_total{proxy=\"web\",direction=\"out\"}>=$MiB3" \
    'burrow_connections{proxy="files"}>=0' 'burrow_work_pool_misses_total>=0' \
    'burrow_handshake_failures_total{reason="bad-token"}>=0' 'burrow_vhost_responses_total{class="2xx"}>=1' \
    'burrow_vhost_responses_total{class="4xx"}>=1' 'burrow_proxies{type="http"}>=1' \
    'process_resident_memory_bytes>=1000000' 'process_open_fds>=5' <"$LAB_TMP/metrics") ||
    lab_fail "/metrics: $out"
lab_pass "/metrics: $out"
# A login with a wrong token shows up under its reason.
brw_client_conf "$LAB_TMP/bad.toml" "not-the-token" "loginFailExit = true"
lab_exec c1 timeout 10 "$BURROW_BIN" client -c "$LAB_TMP/bad.toml" --state-dir "$LAB_TMP/bad-state" >"$LAB_TMP/bad.log" 2>&1
get /metrics "$LAB_TMP/metrics2" -u "admin:$PW" >/dev/null
out=$(python3 "$HERE/prom_check.py" 'burrow_handshake_failures_total{reason="bad-token"}>=1' <"$LAB_TMP/metrics2") ||
    lab_fail "bad token not counted: $out"
lab_pass "a wrong-token login counted as burrow_handshake_failures_total{reason=\"bad-token\"}"

# ---- the page ----------------------------------------------------------------
check_asset() { # PATH CONTENT-TYPE-PREFIX NEEDLE
    local code
    code=$(get "$1" "$LAB_TMP/asset" -u "admin:$PW")
    [ "$code" = 200 ] || lab_fail "$1: HTTP $code"
    grep -qi "^Content-Type: $2" "$LAB_TMP/asset.h" || lab_fail "$1: content type $(grep -i '^Content-Type' "$LAB_TMP/asset.h")"
    grep -q -- "$3" "$LAB_TMP/asset" || lab_fail "$1: no '$3' in the body"
}
check_asset / "text/html" 'src="/static/dashboard.js"'
grep -qi "^Content-Security-Policy: default-src 'self'" "$LAB_TMP/asset.h" || lab_fail "no CSP on the page"
grep -qi '^X-Frame-Options: DENY' "$LAB_TMP/asset.h" || lab_fail "no X-Frame-Options on the page"
check_asset /static/dashboard.js "text/javascript" "/api/serverinfo"
check_asset /static/dashboard.css "text/css" "@media"
code=$(get /static/nope.js "$LAB_TMP/asset" -u "admin:$PW")
[ "$code" = 404 ] || lab_fail "/static/nope.js: HTTP $code, want 404"
lab_pass "page (text/html, CSP, X-Frame-Options), script and style served from the binary; unknown asset 404"

# ---- the page in a browser ---------------------------------------------------
# Headless Chromium (Debian's package) renders the page from `user`; the DOM
# must hold the proxies' rows and the client's address, filled by the script.
if command -v chromium >/dev/null; then
    lab_exec user env HOME="$LAB_TMP" timeout 60 chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$LAB_TMP/chromium" --virtual-time-budget=6000 --dump-dom \
        "http://admin:$PW@203.0.113.10:7500/#proxy=web" >"$LAB_TMP/dom.html" 2>"$LAB_TMP/chromium.log"
    for want in 'data-name="web"' 'data-name="files"' '203\.0\.113\.21:' 'web — last hour' 'id="status">updated'; do
        grep -q "$want" "$LAB_TMP/dom.html" || lab_fail "rendered page lacks '$want': $(grep -o '<footer.*</footer>' "$LAB_TMP/dom.html")"
    done
    lab_pass "headless Chromium rendered both proxies, the client's address and web's chart"
else
    echo "skip: no chromium (Debian package chromium) for the rendered-page check"
fi

# ---- the connection bound ----------------------------------------------------
out=$(lab_exec user python3 - <<'PY'
import socket, time
socks = []
for i in range(72):
    s = socket.create_connection(("203.0.113.10", 7500), timeout=5)
    socks.append(s)
time.sleep(1.5)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except ConnectionResetError:
        closed += 1
print(closed)
for s in socks:
    s.close()
PY
)
[ "$out" = 8 ] || lab_fail "72 idle connections: $out closed by the server, want 8 (bound 64)"
lab_wait_log "$LAB_TMP/server.log" "dashboard connection refused reason=too-many-connections limit=64" 5 ||
    lab_fail "no log line for the refused connections"
n=$(lab_count_log "$LAB_TMP/server.log" "dashboard connection refused")
[ "$n" = 1 ] || lab_fail "$n log lines for the refused connections, want 1 (rate-limited)"
ok=0
for _ in $(seq 1 50); do
    code=$(get /api/serverinfo "$LAB_TMP/after" -u "admin:$PW")
    [ "$code" = 200 ] && { ok=1; break; }
    sleep 0.1
done
[ "$ok" = 1 ] || lab_fail "API did not answer after the idle connections closed"
lab_pass "72 idle connections: 8 refused (one log line), the API answers once they close"

# ---- no open dashboard by accident ---------------------------------------------
brw_server_conf "$LAB_TMP/open.toml" "$token" "webServer.port = 7501"
if lab_exec srv "$BURROW_BIN" server --check -c "$LAB_TMP/open.toml" >"$LAB_TMP/open.out" 2>&1; then
    lab_fail "a dashboard on 203.0.113.10 without a password passed --check"
fi
grep -q "open.toml:[0-9]*: error: key 'webServer.password': required when webServer.addr '0.0.0.0' is not a loopback address" \
    "$LAB_TMP/open.out" || lab_fail "refusal message: $(cat "$LAB_TMP/open.out")"
lab_pass "webServer on 0.0.0.0 without a password refused, naming the key"

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" server

# ---- the dashboard over HTTPS --------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=dash.test \
    -addext "subjectAltName=IP:203.0.113.10" -keyout "$LAB_TMP/dash.key" -out "$LAB_TMP/dash.crt" \
    >"$LAB_TMP/openssl.log" 2>&1 || lab_fail "openssl: $(cat "$LAB_TMP/openssl.log")"
chmod 600 "$LAB_TMP/dash.key"
brw_server_conf "$LAB_TMP/tls.toml" "$token" "[webServer]" "addr = \"0.0.0.0\"" "port = 7500" \
    "user = \"admin\"" "password = \"$PW\"" "tls.certFile = \"$LAB_TMP/dash.crt\"" "tls.keyFile = \"$LAB_TMP/dash.key\""
brw_start_server "$LAB_TMP/tls.toml" "$LAB_TMP/server-tls.log" || lab_fail "server with an HTTPS dashboard did not start"
lab_wait_log "$LAB_TMP/server-tls.log" "dashboard listening addr=0.0.0.0 port=7500 tls=yes auth=basic" 5 ||
    lab_fail "the HTTPS dashboard did not start: $(grep dashboard "$LAB_TMP/server-tls.log")"
code=$(lab_exec user curl -sS --max-time 5 --cacert "$LAB_TMP/dash.crt" -u "admin:$PW" -o "$LAB_TMP/tls-info.json" \
    -w '%{http_code}' https://203.0.113.10:7500/api/serverinfo)
[ "$code" = 200 ] || lab_fail "HTTPS with --cacert: HTTP $code"
jcheck "$LAB_TMP/tls-info.json" 'j["bindPort"] == 7000 and j["clientCounts"] == 0'
! lab_exec user curl -sS --max-time 5 -o /dev/null -u "admin:$PW" https://203.0.113.10:7500/api/serverinfo \
    2>"$LAB_TMP/tls-noca.err" || lab_fail "HTTPS without the CA: the certificate was accepted"
grep -qi "certificate" "$LAB_TMP/tls-noca.err" || lab_fail "HTTPS without the CA: $(cat "$LAB_TMP/tls-noca.err")"
code=$(lab_exec user curl -sS --max-time 5 -o "$LAB_TMP/plain.out" -w '%{http_code}' -u "admin:$PW" \
    http://203.0.113.10:7500/api/serverinfo 2>"$LAB_TMP/plain.err") && lab_fail "plain HTTP to the HTTPS port answered (HTTP $code)"
[ "$code" = 000 ] || lab_fail "plain HTTP to the HTTPS port: HTTP $code"
lab_pass "HTTPS dashboard: 200 with --cacert, certificate refused without it, plain HTTP gets no answer ($(head -c 80 "$LAB_TMP/plain.err"))"
lab_alive "$BRW_SERVER_PID" || lab_fail "server (HTTPS dashboard) died"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server-tls.log" server
echo "PASS test_dashboard"
