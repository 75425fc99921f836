#!/usr/bin/env bash
# test_reload: hot reload of a running client (client/reload.c). Client in c1
# with tcp proxies a, b, c over echo services; a long-lived connection from
# user through a stays open across every reload and must echo intact at the
# end. SIGHUP after editing the file (b removed, c's remotePort changed, d
# added): b's and c's old ports close on the server, c's new port and d
# serve, a's connection untouched. A broken file is refused with its
# file:line error and nothing changes. Visitors: a second client in c1
# owns stcp proxy "sec"; the first one's visitor v (127.0.0.1:7300) carries
# a long connection that must survive every reload; visitor w is added
# (7301 serves), changed (bindPort 7302: 7301 closes with its open
# connection, 7302 serves) and removed (7302 closes). Then the admin API
# (webServer.*): `burrow status` prints the table, `burrow reload` applies a
# new file, PUT /api/config replaces the file (a broken body refused, the
# file unchanged), GET /api/reload applies it; without the password 401.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
lab_up || lab_fail "lab_up"

for p in 9001 9002 9003 9004 9005; do
    lab_bg c1 "$LAB_TMP/echo$p.log" "$ECHO" -b 192.168.1.10 $p
    lab_wait_port c1 tcp 192.168.1.10 $p 5 || lab_fail "tcp_echo $p in c1 did not start"
done
lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9010
lab_wait_port c1 udp 192.168.1.10 9010 5 || lab_fail "udp_echo in c1 did not start"

# echo_via PORT [NODE HOST]: one short echo through HOST:PORT (srv's from user by default).
echo_via() {
    lab_exec "${2:-user}" python3 - "$1" "${3:-203.0.113.10}" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=5)
s.sendall(b"ping-reload")
got = b""
while len(got) < 11:
    b = s.recv(64)
    if not b: break
    got += b
sys.exit(0 if got == b"ping-reload" else 1)
PY
}
# closed PORT: nothing on the server accepts srv:PORT any more.
closed() { ! lab_exec user timeout 3 bash -c "exec 3<>/dev/tcp/203.0.113.10/$1" 2>/dev/null; }

token=$(brw_token)
ADMIN_PW=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
CONF="$LAB_TMP/frpc.toml"
# write_conf PROXY-SPECS...: "name:localport:remoteport[:type]" each (tcp by default).
write_conf() {
    brw_client_conf "$CONF" "$token" "webServer.port = 7400" 'webServer.user = "admin"' \
        "webServer.password = \"$ADMIN_PW\""
    # Visitors of the owner client's stcp proxy "sec": v always (kept by
    # every reload), w on ${WPORT} when set.
    printf '\n[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "sec"\nsecretKey = "k"\nbindPort = 7300\n' >>"$CONF"
    [ -z "${WPORT:-}" ] ||
        printf '\n[[visitors]]\nname = "w"\ntype = "stcp"\nserverName = "sec"\nsecretKey = "k"\nbindPort = %s\n' \
            "$WPORT" >>"$CONF"
    local s
    for s in "$@"; do
        IFS=: read -r n l r t <<<"$s"
        brw_proxy "$CONF" "$n" "${t:-tcp}" 192.168.1.10 "$l" "$r"
    done
}
write_conf a:9001:6001 b:9002:6002 c:9003:6003 u:9010:6010:udp
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_client_conf "$LAB_TMP/owner.toml" "$token"
printf '\n[[proxies]]\nname = "sec"\ntype = "stcp"\nsecretKey = "k"\nlocalIP = "192.168.1.10"\nlocalPort = 9005\n' \
    >>"$LAB_TMP/owner.toml"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
OPID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/owner.log" 'proxy registered.*name=sec' 15 || lab_fail "owner's stcp proxy sec not registered"
brw_start_client c1 client "$CONF"
CPID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
for x in a:6001 b:6002 c:6003; do
    brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" "${x%%:*}" tcp "${x##*:}" ||
        lab_fail "proxy ${x%%:*} not registered"
    echo_via "${x##*:}" || lab_fail "no echo through ${x%%:*} (srv:${x##*:})"
done
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" u udp 6010 || lab_fail "proxy u not registered"
out=$(lab_exec user "$UDP_CHECK" -s 300 203.0.113.10 6010 50) || lab_fail "udp through u: $out"
lab_pass "proxies a, b, c (tcp) and u (udp, its channel open) serve through srv:6001..6003, 6010"

lab_bg user "$LAB_TMP/hold.log" python3 -u "$(dirname "$0")/hold_conn.py" 203.0.113.10 6001 \
    "$LAB_TMP/go" 120
HOLD_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/hold.log" 'hold first round ok' 10 || lab_fail "long connection through a did not start"
lab_pass "long-lived connection through a open (64 KiB echoed)"
lab_wait_port c1 tcp 127.0.0.1 7300 10 || lab_fail "visitor v not listening on 7300"
lab_bg c1 "$LAB_TMP/hold_v.log" python3 -u "$(dirname "$0")/hold_conn.py" 127.0.0.1 7300 \
    "$LAB_TMP/go" 120
HOLDV_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/hold_v.log" 'hold first round ok' 10 || lab_fail "long connection through visitor v did not start"
lab_pass "long-lived connection through visitor v (stcp, 127.0.0.1:7300) open"

# A connection through b, which the reload removes: it must be closed.
cat >"$LAB_TMP/hold_b.py" <<'PY'
import socket
s = socket.create_connection(("203.0.113.10", 6002), timeout=30)
s.sendall(b"x")
assert s.recv(1) == b"x"
print("b open", flush=True)
try:
    print("b closed" if s.recv(1) == b"" else "b data", flush=True)
except Exception as e:
    print("b error %s" % e, flush=True)
PY
lab_bg user "$LAB_TMP/hold_b.log" python3 -u "$LAB_TMP/hold_b.py"
lab_wait_log "$LAB_TMP/hold_b.log" 'b open' 10 || lab_fail "connection through b did not open"

# ---- SIGHUP: b removed, c changed (remotePort 6003 -> 6013), d added -------
write_conf a:9001:6001 c:9003:6013 d:9004:6004
t0=$(date +%s%3N)
kill -HUP "$CPID"
lab_wait_log "$LAB_TMP/client.log" 'reload applied' 10 || lab_fail "SIGHUP: no reload"
grep -q 'reload applied added=d removed=b,u changed=c kept=a$' \
    "$LAB_TMP/client.log" || lab_fail "SIGHUP: wrong changes: $(grep 'reload applied' "$LAB_TMP/client.log")"
lab_wait_port srv tcp 203.0.113.10 6004 10 || lab_fail "d's port 6004 not open"
lab_wait_port srv tcp 203.0.113.10 6013 10 || lab_fail "c's new port 6013 not open"
echo "measured: SIGHUP to the new ports listening on the server: $(($(date +%s%3N) - t0)) ms"
echo_via 6004 || lab_fail "no echo through d (6004)"
echo_via 6013 || lab_fail "no echo through c's new port (6013)"
closed 6002 || lab_fail "b's port 6002 still open"
closed 6003 || lab_fail "c's old port 6003 still open"
echo_via 6001 || lab_fail "no new echo through a (6001)"
lab_alive "$HOLD_PID" || lab_fail "the long connection through a ended: $(cat "$LAB_TMP/hold.log")"
grep -q 'proxy closed name=u' "$LAB_TMP/server.log" || lab_fail "SIGHUP: the server did not close u"
if lab_exec user "$UDP_CHECK" -w 300 -r 2 203.0.113.10 6010 1 >/dev/null 2>&1; then
    lab_fail "udp through u still echoes after its removal"
fi
lab_wait_log "$LAB_TMP/hold_b.log" 'b (closed|error)' 10 || lab_fail "the connection through b stayed open"
lab_pass "SIGHUP: b closed (6002) with its open connection, u closed with its udp channel (6010), c moved 6003 -> 6013, d added (6004), a kept"

# ---- a broken file: refused with file:line, nothing changes -------------------
cp "$CONF" "$LAB_TMP/good.toml"
sed -i 's/^localPort = 9004$/localPort = "x"/' "$CONF"
bad_line=$(grep -n '^localPort = "x"' "$CONF" | cut -d: -f1)
kill -HUP "$CPID"
lab_wait_log "$LAB_TMP/client.log" 'reload refused: the config has errors' 10 || lab_fail "SIGHUP: broken file not refused"
grep -q "frpc.toml:$bad_line: error" "$LAB_TMP/client.log" ||
    lab_fail "SIGHUP: the refusal does not name frpc.toml:$bad_line"
echo_via 6004 && echo_via 6013 && echo_via 6001 || lab_fail "a broken reload changed the running set"
lab_pass "SIGHUP with an error at frpc.toml:$bad_line refused; a, c, d still serve"
cp "$LAB_TMP/good.toml" "$CONF"

# ---- a client-level change: refused, naming the key --------------------------
sed -i 's/^transport.poolCount = 2$/transport.poolCount = 3/' "$CONF"
kill -HUP "$CPID"
lab_wait_log "$LAB_TMP/client.log" "reload refused: 'transport.poolCount' changed" 10 ||
    lab_fail "SIGHUP: poolCount change not refused by name"
cp "$LAB_TMP/good.toml" "$CONF"
echo_via 6004 && echo_via 6013 && echo_via 6001 || lab_fail "a refused reload changed the running set"
lab_pass "SIGHUP changing transport.poolCount refused by name; a, c, d still serve"

# ---- visitors: w added, changed, removed; v and its connection kept ----------
# vhold PORT TAG: a connection through visitor PORT in c1 that reports its end.
cat >"$LAB_TMP/vhold.py" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"x")
assert s.recv(1) == b"x"
print(sys.argv[2], "open", flush=True)
try:
    print(sys.argv[2], "closed" if s.recv(1) == b"" else "data", flush=True)
except Exception as e:
    print(sys.argv[2], "error %s" % e, flush=True)
PY
vhold() {
    lab_bg c1 "$LAB_TMP/hold_$2.log" python3 -u "$LAB_TMP/vhold.py" "$1" "$2"
    lab_wait_log "$LAB_TMP/hold_$2.log" "$2 open" 10 || lab_fail "connection through visitor port $1 did not open"
}
reloads() { grep -c 'reload applied to visitors' "$LAB_TMP/client.log"; }
hup_wait() { # WANT-LINE: SIGHUP, then the visitors' line of that reload
    local n
    n=$(reloads)
    kill -HUP "$CPID"
    for _ in $(seq 1 100); do [ "$(reloads)" -gt "$n" ] && break; sleep 0.1; done
    grep 'reload applied to visitors' "$LAB_TMP/client.log" | tail -1 | grep -q "$1" ||
        lab_fail "SIGHUP: visitors: $(grep 'reload applied to visitors' "$LAB_TMP/client.log" | tail -1), want $1"
}
WPORT=7301 write_conf a:9001:6001 c:9003:6013 d:9004:6004
hup_wait 'added=w removed=- changed=- kept=v$'
lab_wait_port c1 tcp 127.0.0.1 7301 10 || lab_fail "added visitor w not listening on 7301"
echo_via 7301 c1 127.0.0.1 || lab_fail "no echo through added visitor w (7301)"
vhold 7301 w1
WPORT=7302 write_conf a:9001:6001 c:9003:6013 d:9004:6004
hup_wait 'added=- removed=- changed=w kept=v$'
lab_wait_port c1 tcp 127.0.0.1 7302 10 || lab_fail "changed visitor w not listening on 7302"
echo_via 7302 c1 127.0.0.1 || lab_fail "no echo through changed visitor w (7302)"
closed_local() { ! lab_exec c1 timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
closed_local 7301 || lab_fail "w's old port 7301 still open"
lab_wait_log "$LAB_TMP/hold_w1.log" 'w1 (closed|error)' 10 || lab_fail "the connection through w's old port stayed open"
vhold 7302 w2
write_conf a:9001:6001 c:9003:6013 d:9004:6004
hup_wait 'added=- removed=w changed=- kept=v$'
closed_local 7302 || lab_fail "removed visitor w's port 7302 still open"
lab_wait_log "$LAB_TMP/hold_w2.log" 'w2 (closed|error)' 10 || lab_fail "the connection through removed w stayed open"
echo_via 7300 c1 127.0.0.1 || lab_fail "no new echo through kept visitor v (7300)"
lab_alive "$HOLDV_PID" || lab_fail "the long connection through v ended: $(cat "$LAB_TMP/hold_v.log")"
echo_via 6004 && echo_via 6013 && echo_via 6001 || lab_fail "visitor reloads changed the proxies"
lab_pass "visitor w added (7301), changed (7301 closed with its connection, 7302 serves), removed (7302 closed with its connection); v and its connection kept"

# ---- the admin API and the CLI -------------------------------------------------
lab_wait_port c1 tcp 127.0.0.1 7400 5 || lab_fail "admin API not listening on 127.0.0.1:7400 in c1"
lab_exec c1 "$BURROW_BIN" status -c "$CONF" >"$LAB_TMP/status.txt" 2>&1 ||
    lab_fail "burrow status failed: $(cat "$LAB_TMP/status.txt")"
cat "$LAB_TMP/status.txt"
head -1 "$LAB_TMP/status.txt" | grep -Eq '^NAME +TYPE +STATUS +LOCAL +REMOTE +ERROR/PATH' ||
    lab_fail "burrow status: no header"
for x in a:9001:6001 c:9003:6013 d:9004:6004; do
    IFS=: read -r n l r <<<"$x"
    grep -Eq "^$n +tcp +running +192\.168\.1\.10:$l +203\.0\.113\.10:$r" "$LAB_TMP/status.txt" ||
        lab_fail "burrow status: no running row for $n"
done
! grep -q '^b ' "$LAB_TMP/status.txt" || lab_fail "burrow status still lists b"
lab_pass "burrow status lists a, c, d running with local and remote addresses"

# Without the password: 401, nothing changes.
code=$(lab_exec c1 curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:7400/api/reload)
[ "$code" = 401 ] || lab_fail "GET /api/reload without a password: $code, want 401"
code=$(lab_exec c1 curl -s -o /dev/null -w '%{http_code}' -u "admin:wrong" http://127.0.0.1:7400/api/status)
[ "$code" = 401 ] || lab_fail "GET /api/status with a wrong password: $code, want 401"
sed 's/^user = .*//' "$CONF" >"$LAB_TMP/nopw.toml"
sed -i '/^webServer.password/d' "$LAB_TMP/nopw.toml"
if lab_exec c1 "$BURROW_BIN" status -c "$LAB_TMP/nopw.toml" >"$LAB_TMP/nopw.txt" 2>&1; then
    lab_fail "burrow status without the password succeeded"
fi
grep -q '401' "$LAB_TMP/nopw.txt" || lab_fail "burrow status without the password: $(cat "$LAB_TMP/nopw.txt")"
lab_pass "no or wrong password: 401 (curl and burrow status, which exits non-zero)"

# No webServer.port in the file: a clear message.
grep -v '^webServer' "$CONF" >"$LAB_TMP/noweb.toml"
if "$BURROW_BIN" reload -c "$LAB_TMP/noweb.toml" >"$LAB_TMP/noweb.txt" 2>&1; then
    lab_fail "burrow reload without webServer.port succeeded"
fi
grep -q "admin API not enabled: set webServer.port in $LAB_TMP/noweb.toml" "$LAB_TMP/noweb.txt" ||
    lab_fail "burrow reload without webServer.port: $(cat "$LAB_TMP/noweb.txt")"
lab_pass "burrow reload without webServer.port says how to enable it"

# burrow reload: d removed, e added, c changed in place (localPort 9003 -> 9002,
# the same remotePort 6013: CLOSE_PROXY then NEW_PROXY take the port again).
write_conf a:9001:6001 c:9002:6013 e:9005:6005
t0=$(date +%s%3N)
lab_exec c1 "$BURROW_BIN" reload -c "$CONF" >"$LAB_TMP/reload1.txt" 2>&1 ||
    lab_fail "burrow reload failed: $(cat "$LAB_TMP/reload1.txt")"
echo "measured: burrow reload (parse, ask, apply, answer): $(($(date +%s%3N) - t0)) ms"
grep -Eq '^ +added +e$' "$LAB_TMP/reload1.txt" && grep -Eq '^ +removed +d$' "$LAB_TMP/reload1.txt" &&
    grep -Eq '^ +changed +c$' "$LAB_TMP/reload1.txt" && grep -Eq '^ +kept +a$' "$LAB_TMP/reload1.txt" ||
    lab_fail "burrow reload: $(cat "$LAB_TMP/reload1.txt")"
lab_wait_log "$LAB_TMP/server.log" 'proxy listening name=c type=tcp port=6013' 10 2 ||
    lab_fail "c not registered again on 6013"
lab_wait_log "$LAB_TMP/client.log" 'proxy registered name=c .*local=192.168.1.10:9002' 10 ||
    lab_fail "c not registered again with localPort 9002"
echo_via 6013 || lab_fail "no echo through c's port 6013 after its change"
lab_wait_port srv tcp 203.0.113.10 6005 10 || lab_fail "e's port 6005 not open"
echo_via 6005 || lab_fail "no echo through e (6005)"
closed 6004 || lab_fail "d's port 6004 still open"
lab_pass "burrow reload: e added (6005), d removed (6004 closed), c re-registered on 6013 with a new localPort"

# A broken file through the CLI: its file:line error, nothing sent.
cp "$CONF" "$LAB_TMP/good.toml"
echo 'remotePort = "y"' >>"$CONF"
bad_line=$(wc -l <"$CONF")
if lab_exec c1 "$BURROW_BIN" reload -c "$CONF" >"$LAB_TMP/reload2.txt" 2>&1; then
    lab_fail "burrow reload of a broken file succeeded"
fi
grep -Eq "frpc.toml:$bad_line(:[0-9]+)?: error" "$LAB_TMP/reload2.txt" || lab_fail "burrow reload: $(cat "$LAB_TMP/reload2.txt")"
# ... and through GET /api/reload: refused with the same lines, the set unchanged.
lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o "$LAB_TMP/api_reload.json" -w '%{http_code}' \
    http://127.0.0.1:7400/api/reload >"$LAB_TMP/code" || true
[ "$(cat "$LAB_TMP/code")" = 400 ] || lab_fail "GET /api/reload of a broken file: $(cat "$LAB_TMP/code")"
python3 - "$LAB_TMP/api_reload.json" "frpc.toml:$bad_line:" <<'PY' || lab_fail "GET /api/reload: $(cat "$LAB_TMP/api_reload.json")"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if j["ok"] is False and sys.argv[2] in j["errors"] and "error" in j["errors"] else 1)
PY
echo_via 6005 && echo_via 6013 && echo_via 6001 || lab_fail "a refused reload changed the running set"
cp "$LAB_TMP/good.toml" "$CONF"
lab_pass "a broken file: burrow reload and GET /api/reload both refuse with frpc.toml:$bad_line; a, c, e serve"

# GET /api/config returns the file; PUT /api/config replaces it (a broken body
# refused and the file untouched), then GET /api/reload applies it.
lab_exec c1 curl -s -u "admin:$ADMIN_PW" http://127.0.0.1:7400/api/config >"$LAB_TMP/got.toml"
cmp -s "$LAB_TMP/got.toml" "$CONF" || lab_fail "GET /api/config differs from the file"
printf 'serverAddr = 3\n' >"$LAB_TMP/broken.toml"
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o "$LAB_TMP/put.json" -w '%{http_code}' -X PUT \
    --data-binary @"$LAB_TMP/broken.toml" http://127.0.0.1:7400/api/config)
[ "$code" = 400 ] && grep -Eq 'frpc.toml:1(:[0-9]+)?: error' "$LAB_TMP/put.json" ||
    lab_fail "PUT of a broken config: $code $(cat "$LAB_TMP/put.json")"
cmp -s "$LAB_TMP/good.toml" "$CONF" || lab_fail "a refused PUT changed the file"
head -c 2000000 /dev/zero | tr '\0' '#' >"$LAB_TMP/huge.toml"
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o /dev/null -w '%{http_code}' -X PUT \
    --data-binary @"$LAB_TMP/huge.toml" http://127.0.0.1:7400/api/config)
[ "$code" = 413 ] || lab_fail "PUT of 2 MB: $code, want 413"
cmp -s "$LAB_TMP/good.toml" "$CONF" || lab_fail "a refused PUT changed the file"
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o /dev/null -w '%{http_code}' -X PUT \
    -H 'Origin: http://evil.example' --data-binary @"$CONF" http://127.0.0.1:7400/api/config)
[ "$code" = 403 ] || lab_fail "cross-site PUT: $code, want 403"
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o /dev/null -w '%{http_code}' \
    -H 'Sec-Fetch-Site: cross-site' http://127.0.0.1:7400/api/reload)
[ "$code" = 403 ] || lab_fail "cross-site GET /api/reload: $code, want 403"
cp "$CONF" "$LAB_TMP/put.toml"
brw_proxy "$LAB_TMP/put.toml" f tcp 192.168.1.10 9002 6006
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o "$LAB_TMP/put.json" -w '%{http_code}' -X PUT \
    --data-binary @"$LAB_TMP/put.toml" http://127.0.0.1:7400/api/config)
[ "$code" = 200 ] || lab_fail "PUT /api/config: $code $(cat "$LAB_TMP/put.json")"
cmp -s "$LAB_TMP/put.toml" "$CONF" || lab_fail "PUT /api/config did not replace the file"
code=$(lab_exec c1 curl -s -u "admin:$ADMIN_PW" -o "$LAB_TMP/api_reload.json" -w '%{http_code}' \
    http://127.0.0.1:7400/api/reload)
[ "$code" = 200 ] && grep -q '"added":\["f"\]' "$LAB_TMP/api_reload.json" ||
    lab_fail "GET /api/reload after the PUT: $code $(cat "$LAB_TMP/api_reload.json")"
lab_wait_port srv tcp 203.0.113.10 6006 10 || lab_fail "f's port 6006 not open"
echo_via 6006 || lab_fail "no echo through f (6006)"
lab_pass "GET/PUT /api/config (broken body 400 with frpc.toml:1, 2 MB 413, cross-site PUT and reload 403), GET /api/reload: f added"

# ---- the long connection through a is intact ---------------------------------
touch "$LAB_TMP/go"
wait "$HOLD_PID"; rc=$?
[ "$rc" -eq 0 ] || lab_fail "the long connection through a broke: $(cat "$LAB_TMP/hold.log")"
grep -q 'hold ok 131072' "$LAB_TMP/hold.log" || lab_fail "long connection: $(cat "$LAB_TMP/hold.log")"
lab_pass "the connection through a opened before the reloads echoed 128 KiB intact after them"
wait "$HOLDV_PID"; rc=$?
[ "$rc" -eq 0 ] && grep -q 'hold ok 131072' "$LAB_TMP/hold_v.log" ||
    lab_fail "the long connection through visitor v broke: $(cat "$LAB_TMP/hold_v.log")"
lab_pass "the connection through visitor v opened before the reloads echoed 128 KiB intact after them"

brw_stop_clean "$CPID" "$LAB_TMP/client.log" client
brw_stop_clean "$OPID" "$LAB_TMP/owner.log" client
lab_pass "client stopped clean after the reloads"
echo "PASS test_reload"
