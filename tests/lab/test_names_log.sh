#!/usr/bin/env bash
# test_names_log: host names and the server's access log, end to end.
#  - an unset token variable ({{ .Envs.X }}) is refused by `burrow server`;
#  - the client in c1 reaches the server by a name (serverAddr =
#    "burrow-srv") and its proxies' localIP = "svc" names a backend; both
#    come from c1's hosts file (/etc/netns/<ns>/hosts, which `ip netns exec`
#    bind-mounts over /etc/hosts). svc is first c1 (backend A), then the
#    file is rewritten in place to nat1's LAN address (backend B) and the
#    next connection follows, for a tcp and an http proxy;
#  - a localIP that does not resolve is logged clearly and the user's
#    connection is closed;
#  - the server logs one access line per tcp connection with the byte
#    counts curl saw, and per http request with method, host, path, status;
#  - clientID and metadatas show in the dashboard's /api/clients, proxy
#    metadatas in /api/proxies, and in the login line; LOGIN past the
#    server's bounds is refused;
#  - a healthCheck on such a proxy probes the resolved address;
#  - a client with an empty token warns, and its refusal says so.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1

# 1. The unset variable: refused before anything listens (no lab needed).
LAB_TMP=${LAB_TMP:-}
tmp=$(mktemp -d)
printf 'bindPort = 7000\nauth.token = "{{ .Envs.BRW_NAMES_UNSET }}"\n' >"$tmp/unset.toml"
env -u BRW_NAMES_UNSET "$BURROW_BIN" server -c "$tmp/unset.toml" --state-dir "$tmp" >"$tmp/out" 2>&1
rc=$?
grep -q "unset.toml:2: error: .*environment variable BRW_NAMES_UNSET is not set" "$tmp/out" ||
    { cat "$tmp/out"; rm -rf "$tmp"; lab_fail "unset token variable: no error naming it"; }
rm -rf "$tmp"
[ "$rc" = 2 ] || lab_fail "unset token variable: burrow server exited $rc, want 2"
lab_pass "burrow server refuses auth.token = {{ .Envs.BRW_NAMES_UNSET }} unset (exit 2, names file:line)"

lab_up || lab_fail "lab_up"
HOSTS_DIR=/etc/netns/$(lab_ns c1)
names_down() {
    local rc=$?
    rm -rf "$HOSTS_DIR"
    (exit $rc)
    lab_down
}
trap names_down EXIT
mkdir -p "$HOSTS_DIR"
hosts() { printf '127.0.0.1 localhost\n203.0.113.10 burrow-srv\n%s svc\n' "$1" >"$HOSTS_DIR/hosts"; }
hosts 192.168.1.10

# Backend A in c1, backend B in nat1 (LAN side), each saying who it is.
for b in A B; do mkdir -p "$LAB_TMP/www$b" && echo "backend $b" >"$LAB_TMP/www$b/who"; done
lab_bg c1 "$LAB_TMP/httpA.log" python3 -u -m http.server --bind 192.168.1.10 --directory "$LAB_TMP/wwwA" 8081
lab_bg nat1 "$LAB_TMP/httpB.log" python3 -u -m http.server --bind 192.168.1.1 --directory "$LAB_TMP/wwwB" 8081
lab_wait_port c1 tcp 192.168.1.10 8081 10 || lab_fail "backend A did not start"
lab_wait_port nat1 tcp 192.168.1.1 8081 10 || lab_fail "backend B did not start"

token=$(brw_token)
PW=names-pw
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = 8080" "[webServer]" \
    "addr = \"0.0.0.0\"" "port = 7500" "user = \"admin\"" "password = \"$PW\""
brw_client_conf "$LAB_TMP/frpc.toml" "$token" 'clientID = "edge-7"' \
    'metadatas = { site = "lab", "owner id" = "ops team" }'
sed -i 's/^serverAddr = .*/serverAddr = "burrow-srv"/' "$LAB_TMP/frpc.toml"
brw_proxy "$LAB_TMP/frpc.toml" tname tcp svc 8081 6081
printf 'metadatas.role = "files"\n' >>"$LAB_TMP/frpc.toml"
brw_proxy "$LAB_TMP/frpc.toml" broken tcp nosuch-host 8081 6082
brw_proxy "$LAB_TMP/frpc.toml" hc tcp svc 8081 6083
printf 'healthCheck.type = "tcp"\nhealthCheck.intervalSeconds = 1\n' >>"$LAB_TMP/frpc.toml"
printf '\n[[proxies]]\nname = "hweb"\ntype = "http"\nlocalIP = "svc"\nlocalPort = 8081\ncustomDomains = ["web.test"]\n' \
    >>"$LAB_TMP/frpc.toml"
"$BURROW_BIN" client --check -c "$LAB_TMP/frpc.toml" >/dev/null 2>&1 || lab_fail "client --check refused host names"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
lab_wait_log "$LAB_TMP/client.log" 'login ok server=burrow-srv:7000' 15 || lab_fail "client did not log in by name"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" tname tcp 6081 || lab_fail "proxy tname not registered"
lab_wait_log "$LAB_TMP/client.log" 'proxy registered.*name=hweb' 10 || lab_fail "proxy hweb not registered"
grep -q 'client logged in .*peer=203\.0\.113\.21:.*client_id=edge-7 metadatas="' "$LAB_TMP/server.log" ||
    lab_fail "login line without client_id/metadatas"
lab_pass "client logged in via serverAddr = \"burrow-srv\" (c1's hosts file); localIP = \"svc\" accepted"

# 2. tcp through svc, and its access line with curl's byte counts.
got=$(lab_exec user curl -sS --max-time 5 -w ' %{size_request} %{size_header} %{size_download}' \
    http://203.0.113.10:6081/who) || lab_fail "tcp via svc failed"
set -- $got
[ "$1 $2" = "backend A" ] || lab_fail "tcp via svc reached '$1 $2', want backend A"
want_in=$3 want_out=$(($4 + $5))
lab_wait_log "$LAB_TMP/server.log" "access proxy=tname src=203\.0\.113\.50:[0-9]+ in=$want_in out=$want_out ms=[0-9]+" 5 ||
    lab_fail "no access line for tname with in=$want_in out=$want_out: $(grep 'access proxy=tname' "$LAB_TMP/server.log")"
lab_pass "tcp via svc -> backend A; access line in=$want_in out=$want_out"

# 3. http through svc: the request's access line.
got=$(lab_exec user curl -sS --max-time 5 -H 'Host: web.test' 'http://203.0.113.10:8080/who?a=%22b') ||
    lab_fail "http via svc failed"
[ "$got" = "backend A" ] || lab_fail "http via svc reached '$got', want backend A"
lab_wait_log "$LAB_TMP/server.log" 'access proxy=hweb src=203\.0\.113\.50:[0-9]+ method=GET host=web\.test path="/who\?a=%22b" status=200' 5 ||
    lab_fail "no access line for the http request"
lab_exec user curl -sS --max-time 5 -o /dev/null -H 'Host: nobody.test' http://203.0.113.10:8080/x
lab_wait_log "$LAB_TMP/server.log" 'access proxy=- src=203\.0\.113\.50:[0-9]+ method=GET host=nobody\.test path="/x" status=404' 5 ||
    lab_fail "no access line for the 404"
lab_pass "http via svc -> backend A; access lines for 200 and 404 (method, host, path, status)"

# 4. svc moves to backend B: the next connections follow (file rewritten in place).
hosts 192.168.1.1
got=$(lab_exec user curl -sS --max-time 5 http://203.0.113.10:6081/who) || lab_fail "tcp after the move failed"
[ "$got" = "backend B" ] || lab_fail "tcp after the move reached '$got', want backend B"
got=$(lab_exec user curl -sS --max-time 5 -H 'Host: web.test' http://203.0.113.10:8080/who) ||
    lab_fail "http after the move failed"
[ "$got" = "backend B" ] || lab_fail "http after the move reached '$got', want backend B"
lab_pass "svc -> 192.168.1.1: the next tcp and http connections reach backend B"

# 5. A name that does not resolve: clear log line, the user's connection closed.
if lab_exec user curl -sS --max-time 5 -o /dev/null http://203.0.113.10:6082/ 2>/dev/null; then
    lab_fail "a proxy with an unresolvable localIP answered"
fi
lab_wait_log "$LAB_TMP/client.log" 'proxy broken: cannot resolve localIP "nosuch-host": ' 5 ||
    lab_fail "no 'cannot resolve localIP' line"
lab_pass "unresolvable localIP: $(grep -m1 -o 'proxy broken: cannot resolve.*' "$LAB_TMP/client.log")"

# 6. The dashboard shows clientID and metadatas.
api=$(lab_exec user curl -sS --max-time 5 -u "admin:$PW" http://203.0.113.10:7500/api/clients) ||
    lab_fail "/api/clients failed"
echo "$api" | python3 -c '
import json, sys
c = json.load(sys.stdin)["clients"][0]
assert c["clientID"] == "edge-7", c
assert c["metadatas"] == {"site": "lab", "owner id": "ops team"}, c
' || lab_fail "/api/clients: $api"
api=$(lab_exec user curl -sS --max-time 5 -u "admin:$PW" http://203.0.113.10:7500/api/proxies) ||
    lab_fail "/api/proxies failed"
echo "$api" | python3 -c '
import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)["proxies"]}
assert p["tname"]["conf"]["metadatas"] == {"role": "files"}, p["tname"]
' || lab_fail "/api/proxies: $api"
lab_pass "/api/clients shows clientID edge-7 and metadatas; /api/proxies the proxy's"

# 7. The server's bounds on LOGIN's fields (peer input, proto/meta.h):
# 32 entries of 256-byte values and a 128-byte clientID pass; one more
# entry, or a 129-byte clientID, is refused.
wire() { lab_exec user python3 "$(dirname "$0")/brw_wire.py" meta 203.0.113.10 "$SRV_PORT" "$token" "$@"; }
[ "$(wire 32 128)" = ok ] || lab_fail "LOGIN at the metadatas/clientID bounds refused: $(wire 32 128)"
got=$(wire 33)
[ "$got" = "refused proto: metadatas has more than 32 entries" ] || lab_fail "33 metadatas: $got"
got=$(wire 1 129)
[ "$got" = "refused proto: client_id is empty, over 128 bytes or not text" ] || lab_fail "129-byte clientID: $got"
lab_pass "LOGIN bounds: 32 x 256-byte metadatas and a 128-byte clientID pass; 33 entries or 129 bytes refused"

# 8. healthCheck on a host-name localIP probes the resolved address.
grep -q 'health probe target=hc ok=yes' "$LAB_TMP/client.log" || lab_fail "healthCheck of hc (localIP svc): no passing probe"
! grep -q 'health check failed name=hc' "$LAB_TMP/client.log" || lab_fail "healthCheck of hc (localIP svc) failed"
lab_pass "healthCheck on localIP = \"svc\": $(grep -c 'health probe target=hc ok=yes' "$LAB_TMP/client.log") passing probes, no failure"

# 9. A client whose token is empty: warned at start, and the refusal says why.
brw_client_conf "$LAB_TMP/empty.toml" ""
brw_start_client c1 empty "$LAB_TMP/empty.toml"
lab_wait_log "$LAB_TMP/empty.log" "server refused us .*code=auth: .*this client's auth.token is empty" 10 ||
    lab_fail "empty token: the refusal does not say the token is empty"
grep -q 'WARN .*auth.token is empty' "$LAB_TMP/empty.log" || lab_fail "empty token: no warning at start"
lab_pass "empty token: $(grep -m1 -o "server refused us.*" "$LAB_TMP/empty.log" | cut -c1-150)"

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_names_log"
