#!/usr/bin/env bash
# test_reload: hot reload of a running client (client/reload.c). Client in c1
# with tcp proxies a, b, c over echo services; a long-lived connection from
# user through a stays open across every reload and must echo intact at the
# end. SIGHUP after editing the file (b removed, c's remotePort changed, d
# added): b's and c's old ports close on the server, c's new port and d
# serve, a's connection untouched. A broken file is refused with its
# file:line error and nothing changes. Then the admin API
# (webServer.*): `burrow status` prints the table, `burrow reload` applies a
# new file, PUT /api/config replaces the file (a broken body refused, the
# file unchanged), GET /api/reload applies it; without the password 401.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
lab_up || lab_fail "lab_up"

for p in 9001 9002 9003 9004 9005; do
    lab_bg c1 "$LAB_TMP/echo$p.log" "$ECHO" -b 192.168.1.10 $p
    lab_wait_port c1 tcp 192.168.1.10 $p 5 || lab_fail "tcp_echo $p in c1 did not start"
done

# echo_via PORT: one short echo through srv:PORT from user.
echo_via() {
    lab_exec user python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("203.0.113.10", int(sys.argv[1])), timeout=5)
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
# write_conf PROXY-SPECS...: "name:localport:remoteport" each.
write_conf() {
    brw_client_conf "$CONF" "$token" "webServer.port = 7400" 'webServer.user = "admin"' \
        "webServer.password = \"$ADMIN_PW\""
    local s
    for s in "$@"; do
        IFS=: read -r n l r <<<"$s"
        brw_proxy "$CONF" "$n" tcp 192.168.1.10 "$l" "$r"
    done
}
write_conf a:9001:6001 b:9002:6002 c:9003:6003
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$CONF"
CPID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
for x in a:6001 b:6002 c:6003; do
    brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" "${x%%:*}" tcp "${x##*:}" ||
        lab_fail "proxy ${x%%:*} not registered"
    echo_via "${x##*:}" || lab_fail "no echo through ${x%%:*} (srv:${x##*:})"
done
lab_pass "proxies a, b, c serve through srv:6001..6003"

lab_bg user "$LAB_TMP/hold.log" python3 -u "$(dirname "$0")/hold_conn.py" 203.0.113.10 6001 \
    "$LAB_TMP/go" 120
HOLD_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/hold.log" 'hold first round ok' 10 || lab_fail "long connection through a did not start"
lab_pass "long-lived connection through a open (64 KiB echoed)"

# ---- SIGHUP: b removed, c changed (remotePort 6003 -> 6013), d added -------
write_conf a:9001:6001 c:9003:6013 d:9004:6004
kill -HUP "$CPID"
lab_wait_log "$LAB_TMP/client.log" 'reload applied' 10 || lab_fail "SIGHUP: no reload"
grep -q 'reload applied added=d removed=b changed=c kept=a$' \
    "$LAB_TMP/client.log" || lab_fail "SIGHUP: wrong changes: $(grep 'reload applied' "$LAB_TMP/client.log")"
lab_wait_port srv tcp 203.0.113.10 6004 10 || lab_fail "d's port 6004 not open"
lab_wait_port srv tcp 203.0.113.10 6013 10 || lab_fail "c's new port 6013 not open"
echo_via 6004 || lab_fail "no echo through d (6004)"
echo_via 6013 || lab_fail "no echo through c's new port (6013)"
closed 6002 || lab_fail "b's port 6002 still open"
closed 6003 || lab_fail "c's old port 6003 still open"
echo_via 6001 || lab_fail "no new echo through a (6001)"
lab_alive "$HOLD_PID" || lab_fail "the long connection through a ended: $(cat "$LAB_TMP/hold.log")"
lab_pass "SIGHUP: b closed (6002), c moved 6003 -> 6013, d added (6004), a kept"

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
lab_pass "SIGHUP changing transport.poolCount refused by name"

#@API@

# ---- the long connection through a is intact ---------------------------------
touch "$LAB_TMP/go"
wait "$HOLD_PID"; rc=$?
[ "$rc" -eq 0 ] || lab_fail "the long connection through a broke: $(cat "$LAB_TMP/hold.log")"
grep -q 'hold ok 131072' "$LAB_TMP/hold.log" || lab_fail "long connection: $(cat "$LAB_TMP/hold.log")"
lab_pass "the connection through a opened before the reloads echoed 128 KiB intact after them"

brw_stop_clean "$CPID" "$LAB_TMP/client.log" client
lab_pass "client stopped clean after the reloads"
echo "PASS test_reload"
