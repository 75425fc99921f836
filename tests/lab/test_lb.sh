#!/usr/bin/env bash
# test_lb: load balancing (loadBalancer.group/groupKey) and health checks
# (healthCheck.*). Two clients behind two NATs each expose their own HTTP
# backend (answering with its site name) in one tcp group (port 6010) and
# one http group (lb.example.com), with healthCheck intervalSeconds = 1.
# Requests alternate between both; c2's backend killed: its health checks
# take both its proxies off the server and every request is answered by c1;
# the backend back: c2 rejoins and requests alternate again; kill -9 of the
# whole c2 client: c1 keeps serving. A third client with a wrong groupKey,
# and one outside the group, are refused with the reason; the dashboard
# lists the group.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
http_backend c2 B 192.168.2.10 8001 || lab_fail "backend B"
BE_B=$LAB_LAST_PID

token=$(brw_token)
key=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" \
    'webServer.addr = "127.0.0.1"' 'webServer.port = 7500'
# lb_client FILE NODE-IP KEY: both group proxies of one client
lb_client() {
    local f=$1 ip=$2 k=$3 n=$4
    brw_client_conf "$f" "$token" 'webServer.addr = "127.0.0.1"' 'webServer.port = 7400'
    vhost_proxy "$f" "t$n" tcp "$ip" 8001 'remotePort = 6010' \
        "loadBalancer = { group = \"tg\", groupKey = \"$k\" }" \
        'healthCheck = { type = "tcp", intervalSeconds = 1, timeoutSeconds = 1 }'
    vhost_proxy "$f" "h$n" http "$ip" 8001 'customDomains = ["lb.example.com"]' \
        "loadBalancer = { group = \"hg\", groupKey = \"$k\" }" \
        'healthCheck = { type = "http", path = "/echo", intervalSeconds = 1, timeoutSeconds = 1 }'
}
lb_client "$LAB_TMP/c1.toml" 192.168.1.10 "$key" 1
lb_client "$LAB_TMP/c2.toml" 192.168.2.10 "$key" 2
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
C1_PID=$LAB_LAST_PID
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
C2_PID=$LAB_LAST_PID
for n in 1 2; do
    lab_wait_log "$LAB_TMP/c$n.log" 'proxy registered.*name=t'$n 15 || lab_fail "c$n: t$n not registered"
    lab_wait_log "$LAB_TMP/c$n.log" 'proxy registered.*name=h'$n 15 || lab_fail "c$n: h$n not registered"
done
grep -q 'load-balancing group created group=tg' "$LAB_TMP/server.log" || lab_fail "tcp group not created"
grep -q 'load-balancing group joined group=tg.*members=2' "$LAB_TMP/server.log" || lab_fail "tcp group not joined"
grep -q 'load-balancing group joined group=hg.*members=2' "$LAB_TMP/server.log" || lab_fail "http group not joined"
lab_pass "c1 (nat1) and c2 (nat2) share port 6010 (group tg) and lb.example.com (group hg)"

# sites N: the sites answering N requests through the tcp group and N through the http group.
tsite() { lab_exec user curl -s --max-time 5 "http://$SRV_ADDR:6010/echo" | grep -o '"site": "[^"]*"' | cut -d'"' -f4; }
hsite() { vget lb.example.com /echo 2>/dev/null | grep -o '"site": "[^"]*"' | cut -d'"' -f4; }
sites() {
    local i out=""
    for i in $(seq 1 "$1"); do out+="$(tsite)/$(hsite) "; done
    echo "$out"
}
alternates() { # every request answered, both sites, never the same twice in a row per group
    local s=$1 prev_t="" prev_h="" pair
    for pair in $s; do
        local t=${pair%/*} h=${pair#*/}
        [ -n "$t" ] && [ -n "$h" ] || return 1
        [ "$t" != "$prev_t" ] && [ "$h" != "$prev_h" ] || return 1
        prev_t=$t prev_h=$h
    done
}
s=$(sites 6)
alternates "$s" || lab_fail "requests do not alternate between both clients: $s"
lab_pass "round robin: tcp/http answers $s"

# --- c2's backend dies: its health checks take it out ------------------------------
t0=$(date +%s%N)
lab_kill "$BE_B" KILL
lab_wait_log "$LAB_TMP/c2.log" 'health check failed name=t2' 6 || lab_fail "c2: tcp health check did not fail"
lab_wait_log "$LAB_TMP/c2.log" 'health check failed name=h2' 6 || lab_fail "c2: http health check did not fail"
lab_wait_log "$LAB_TMP/server.log" 'proxy closed name=h2' 3 || lab_fail "server did not close h2"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -le 4000 ] || lab_fail "health check took ${ms} ms to drop c2 (interval 1 s x maxFailed 1)"
s=$(sites 6)
[ "$s" = "$(printf 'A/A %.0s' 1 2 3 4 5 6)" ] || lab_fail "after c2's backend died, not all answered by A: $s"
lab_pass "c2's backend killed: dropped by its health checks in ${ms} ms; 12 requests all answered by c1"
lab_exec c2 "$BURROW_BIN" status -c "$LAB_TMP/c2.toml" >"$LAB_TMP/status.txt" 2>&1 ||
    lab_fail "burrow status failed: $(cat "$LAB_TMP/status.txt")"
grep -Eq '^t2 +tcp +unhealthy .*refused' "$LAB_TMP/status.txt" || lab_fail "status: $(cat "$LAB_TMP/status.txt")"
lab_exec c2 curl -s --max-time 5 http://127.0.0.1:7400/api/status | grep -q '"health": *"down"' ||
    lab_fail "/api/status has no health down"
lab_pass "burrow status: t2 unhealthy (connection refused); /api/status health down"

# --- it comes back: c2 rejoins ---------------------------------------------------------
http_backend c2 B 192.168.2.10 8001 || lab_fail "backend B again"
lab_wait_log "$LAB_TMP/c2.log" 'health check passed name=t2' 5 || lab_fail "c2: tcp health check did not pass again"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=h2' 5 2 || lab_fail "c2: h2 not registered again"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=t2' 5 2 || lab_fail "c2: t2 not registered again"
s=$(sites 6)
alternates "$s" || lab_fail "after c2's backend came back, requests do not alternate: $s"
lab_pass "c2's backend back: its proxies registered again, requests alternate: $s"

# --- the dashboard lists the group ------------------------------------------------------
api=$(lab_exec srv curl -s --max-time 5 http://127.0.0.1:7500/api/proxies)
grep -q '"loadBalancer": *{ *"group": *"tg"' <<<"$api" || lab_fail "/api/proxies has no group: $api"
lab_pass "/api/proxies shows loadBalancer.group"

# --- a wrong groupKey, and a proxy outside the group -------------------------------------
brw_client_conf "$LAB_TMP/m.toml" "$token"
vhost_proxy "$LAB_TMP/m.toml" mt tcp 192.168.1.10 8001 'remotePort = 6010' \
    'loadBalancer = { group = "tg", groupKey = "guess" }'
vhost_proxy "$LAB_TMP/m.toml" mh http 192.168.1.10 8001 'customDomains = ["lb.example.com"]' \
    'loadBalancer = { group = "hg", groupKey = "guess" }'
vhost_proxy "$LAB_TMP/m.toml" mo tcp 192.168.1.10 8001 'remotePort = 6010'
brw_start_client c1 m "$LAB_TMP/m.toml"
M_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/m.log" 'proxy refused name=mt reason="wrong groupKey for load-balancing group tg"' 10 ||
    lab_fail "wrong tcp groupKey not refused"
lab_wait_log "$LAB_TMP/m.log" 'proxy refused name=mh reason="wrong groupKey for load-balancing group hg"' 10 ||
    lab_fail "wrong http groupKey not refused"
lab_wait_log "$LAB_TMP/m.log" 'proxy refused name=mo reason="port 6010 belongs to load-balancing group tg' 10 ||
    lab_fail "a proxy outside the group took its port"
lab_kill "$M_PID"
s=$(sites 4)
alternates "$s" || lab_fail "after the refusals, requests do not alternate: $s"
lab_pass "wrong groupKey (tcp, http) and a non-group proxy on the group's port refused with the reason"

# --- kill -9 of a whole client ------------------------------------------------------------
lab_kill "$C2_PID" KILL
lab_wait_log "$LAB_TMP/server.log" 'load-balancing group left group=tg proxy=t2' 10 ||
    lab_fail "t2 did not leave tg after kill -9"
lab_wait_log "$LAB_TMP/server.log" 'load-balancing group left group=hg proxy=h2' 3 ||
    lab_fail "h2 did not leave hg after kill -9"
s=$(sites 6)
[ "$s" = "$(printf 'A/A %.0s' 1 2 3 4 5 6)" ] || lab_fail "after kill -9 of c2, not all answered by A: $s"
lab_pass "c2 killed (-9): both groups keep serving through c1 alone"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" "server (c1 still in both groups)"
brw_stop_clean "$C1_PID" "$LAB_TMP/c1.log" "c1 (health checks running)"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$LAB_TMP"/*.log && lab_fail "sanitizer report"
lab_pass "test_lb"
