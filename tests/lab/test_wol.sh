#!/usr/bin/env bash
# test_wol: Wake-on-LAN, the seed's routes. tcpdump on nat1's LAN side (c1's
# link) records every magic packet; wol_pcap.py checks each one byte by byte
# (6 x 0xFF, then 16 x the MAC).
#  1. `burrow wake MAC` on c1: UDP to 192.168.1.255 and 255.255.255.255,
#     ports 9 and 7, and an EtherType 0x0842 frame (root).
#  2. A udp proxy whose localIP is the LAN broadcast address (SO_BROADCAST):
#     a magic packet sent by `user` to the server's port reaches the LAN.
#  3. On-demand wake: a "sleeping host" (sleeping_host.py in nat1, on the
#     LAN address 192.168.1.1) starts its TCP service only a few seconds
#     after a magic packet for its MAC; the first user connection through a
#     tcp proxy with wakeOnLan waits, then gets the service's greeting and
#     its echoed bytes. The client logs "waking" and "is up after".
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
command -v tcpdump >/dev/null || { echo "tcpdump not found"; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
lab_up || lab_fail "lab_up"

MAC_CMD=52:54:00:00:00:a1   # route 1
MAC_UDP=52:54:00:00:00:a2   # route 2
MAC_DESK=52:54:00:00:00:a3  # route 3: the sleeping host's
MAC_SRV=52:54:00:00:00:a4   # route 4: burrow wake NAME --server
MAC_DASH=52:54:00:00:00:a5  # route 5: the dashboard's POST /api/wake

# magic ROUTE-REGEX MAC: the capture so far holds a correct magic packet for
# MAC on a route matching ROUTE-REGEX, and no malformed one for MAC.
pcap_has() {
    local out
    out=$(python3 "$HERE/wol_pcap.py" "$LAB_TMP/lan.pcap" "$2") || return 1
    if grep -q '^bad ' <<<"$out" && ! grep -q 'want' <<<"$out"; then
        lab_log "malformed magic packet: $(grep '^bad ' <<<"$out" | head -1)"; return 1
    fi
    grep -Eq "^($1)\$" <<<"$out"
}
# wait_pcap ROUTE-REGEX MAC: poll (10 s) until pcap_has.
wait_pcap() {
    local deadline=$((SECONDS + 10))
    until pcap_has "$1" "$2"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

lab_bg nat1 "$LAB_TMP/tcpdump.log" tcpdump -i lan -U -n -w "$LAB_TMP/lan.pcap" \
    'udp port 9 or udp port 7 or ether proto 0x0842'
tcpdump_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/tcpdump.log" 'listening on' 10 || lab_fail "tcpdump did not start"

# The sleeping host: its service at 192.168.1.1:8022 comes 3 s after its magic packet.
lab_bg nat1 "$LAB_TMP/sleeper.log" python3 -u "$HERE/sleeping_host.py" "$MAC_DESK" 192.168.1.1 8022 3
sleeper_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/sleeper.log" '^asleep' 10 || lab_fail "sleeping host did not start"
lab_exec c1 timeout 3 python3 -c 'import socket; socket.create_connection(("192.168.1.1", 8022), timeout=2)' \
    2>/dev/null && lab_fail "the sleeping host's service answers before any magic packet"

# 1. burrow wake MAC, from a LAN host.
out=$(lab_exec c1 "$BURROW_BIN" wake "$MAC_CMD" 2>&1) || lab_fail "burrow wake: $out"
grep -q "^ok: magic packet for $MAC_CMD sent on" <<<"$out" || lab_fail "burrow wake said: $out"
for r in 'udp 192.168.1.255:9' 'udp 192.168.1.255:7' 'udp 255.255.255.255:9' \
    'udp 255.255.255.255:7' 'ether 0x0842'; do
    wait_pcap "$r" "$MAC_CMD" || lab_fail "burrow wake: no correct magic packet on '$r'"
done
lab_pass "burrow wake $MAC_CMD: correct magic packets on the LAN to 192.168.1.255 and 255.255.255.255 (UDP 9 and 7) and as an EtherType 0x0842 frame"
out=$(lab_exec c1 "$BURROW_BIN" wake 52:54:00:00:00 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q "bad MAC address" <<<"$out" || lab_fail "a bad MAC: rc=$rc '$out'"
out=$(lab_exec c1 "$BURROW_BIN" wake "$MAC_CMD" --interface nosuch0 2>&1); rc=$?
[ "$rc" -eq 1 ] || lab_fail "an unknown interface: rc=$rc '$out'"
lab_pass "burrow wake refuses a bad MAC (exit 2) and an unknown interface (exit 1)"

lab_wait_log "$LAB_TMP/sleeper.log" "magic $MAC_CMD" 5 || lab_fail "the sleeping host did not see route 1's packet"
grep -q booting "$LAB_TMP/sleeper.log" && lab_fail "the sleeping host woke for another MAC"
lab_pass "a LAN listener (the sleeping host) received route 1's packet and stayed asleep (not its MAC)"

token=$(brw_token) alice=$(brw_token) mallory=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" 'webServer.addr = "203.0.113.10"' \
    'webServer.port = 7500' 'webServer.user = "admin"' 'webServer.password = "dashpw"' \
    '[[users]]' 'name = "alice"' "token = \"$alice\"" \
    '[[users]]' 'name = "mallory"' "token = \"$mallory\""
brw_client_conf "$LAB_TMP/frpc.toml" "$alice" 'user = "alice"'
brw_proxy "$LAB_TMP/frpc.toml" lanbcast udp 192.168.1.255 9 6082
brw_proxy "$LAB_TMP/frpc.toml" desk-ssh tcp 192.168.1.1 8022 6081
cat >>"$LAB_TMP/frpc.toml" <<EOF
wakeOnLan = "desk"
wakeTimeout = 40

[[wakeOnLan]]
name = "desk"
mac = "$MAC_DESK"

[[proxies]]
name = "never"
type = "tcp"
localIP = "192.168.1.1"
localPort = 8023
remotePort = 6083
wakeOnLan = "ghost"
wakeTimeout = 4

[[wakeOnLan]]
name = "ghost"
mac = "52:54:00:00:00:af"

[[wakeOnLan]]
name = "pc4"
mac = "$MAC_SRV"

[[wakeOnLan]]
name = "pc5"
mac = "$MAC_DASH"
EOF
# What `burrow wake NAME --server` reads on the outside host: alice's, mallory's.
for who in alice mallory; do
    brw_client_conf "$LAB_TMP/wake-$who.toml" "${!who}" "user = \"$who\""
done
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" alice.lanbcast udp 6082 || lab_fail "udp proxy not registered"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" alice.desk-ssh tcp 6081 || lab_fail "tcp proxy not registered"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" alice.never tcp 6083 || lab_fail "tcp proxy never not registered"

# The bound: a machine that never wakes; WOL_WAIT_MAX (16) connections wait
# for wakeTimeout (4 s) and are then closed; the 17th is refused at once.
res=$(lab_exec user timeout 30 python3 - <<'EOF' 2>&1
import socket, time, threading
closed = {}
def one(i):
    s = socket.create_connection(("203.0.113.10", 6083), timeout=5)
    t0 = time.monotonic()
    s.settimeout(20)
    try:
        s.recv(1)
    except OSError:
        pass
    closed[i] = time.monotonic() - t0
threads = []
for i in range(16):
    threads.append(threading.Thread(target=one, args=(i,)))
    threads[-1].start()
    time.sleep(0.05)
time.sleep(1.5)  # the 16 are waiting
one(16)
for t in threads:
    t.join()
waited = sorted(closed[i] for i in range(16))
print("17th closed after %.1f s; the 16 after %.1f..%.1f s" % (closed[16], waited[0], waited[-1]))
assert closed[16] < 1.5, closed[16]
assert waited[0] >= 2.0, waited
EOF
) || lab_fail "WOL_WAIT_MAX: $res"
lab_wait_log "$LAB_TMP/client.log" 'too many connections waiting proxy=never max=16' 5 || lab_fail "no line for the refused 17th connection"
lab_wait_log "$LAB_TMP/client.log" 'ghost did not come up within 4 s proxy=never' 5 || lab_fail "no line for the wake timeout"
lab_pass "WOL_WAIT_MAX: $res; both logged"

# 4. burrow wake NAME --server from outside, logged in as alice.
out=$(lab_exec user timeout 30 "$BURROW_BIN" wake pc4 --server 203.0.113.10:7000 \
    -c "$LAB_TMP/wake-alice.toml" --state-dir "$LAB_TMP/wake-state" 2>&1) ||
    lab_fail "burrow wake pc4 --server: $out"
grep -q '^ok: pc4 woken by client' <<<"$out" || lab_fail "burrow wake pc4 --server said: $out"
grep -q '^sent    udp 192.168.1.255:9' <<<"$out" || lab_fail "burrow wake pc4 --server: routes not printed: $out"
wait_pcap 'udp 192.168.1.255:9' "$MAC_SRV" || lab_fail "--server: no correct magic packet on the LAN"
lab_wait_log "$LAB_TMP/client.log" 'wake requested name=pc4 by=alice from=203\.0\.113\.50:[0-9]+ result=sent' 5 ||
    lab_fail "the client did not log who asked"
lab_pass "burrow wake pc4 --server (alice, from user): the LAN client sent the magic packet; it logged who asked"
# A wrong user's wake is refused: mallory cannot wake alice's machines.
out=$(lab_exec user timeout 30 "$BURROW_BIN" wake desk --server 203.0.113.10:7000 \
    -c "$LAB_TMP/wake-mallory.toml" --state-dir "$LAB_TMP/wake-state" 2>&1); rc=$?
[ "$rc" -eq 1 ] && grep -q 'no client of this user declared that name' <<<"$out" ||
    lab_fail "mallory's wake of desk: rc=$rc '$out'"
grep -q "magic $MAC_DESK" "$LAB_TMP/sleeper.log" && lab_fail "mallory's request reached the LAN"
lab_pass "a wrong user's wake refused (mallory asking for alice's desk: exit 1, nothing sent)"

# 5. The dashboard: POST /api/wake (Basic auth).
code=$(lab_exec user curl -s -o "$LAB_TMP/wake.json" -w '%{http_code}' -u admin:dashpw \
    -H 'Content-Type: application/json' -d '{"user": "alice", "name": "pc5"}' \
    http://203.0.113.10:7500/api/wake)
[ "$code" = 202 ] || lab_fail "POST /api/wake: $code $(cat "$LAB_TMP/wake.json")"
wait_pcap 'udp 192.168.1.255:9' "$MAC_DASH" || lab_fail "dashboard: no correct magic packet on the LAN"
code=$(lab_exec user curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"user": "alice", "name": "pc5"}' http://203.0.113.10:7500/api/wake)
[ "$code" = 401 ] || lab_fail "POST /api/wake without auth: $code (want 401)"
code=$(lab_exec user curl -s -o /dev/null -w '%{http_code}' -u admin:dashpw \
    -d '{"user": "mallory", "name": "pc5"}' http://203.0.113.10:7500/api/wake)
[ "$code" = 404 ] || lab_fail "POST /api/wake for another user's name: $code (want 404)"
lab_pass "dashboard POST /api/wake {alice, pc5}: 202 and the magic packet on the LAN; 401 without auth, 404 for mallory"

# 2. A udp proxy to the LAN broadcast address: user sends a magic packet.
lab_exec user python3 - "$MAC_UDP" <<'EOF' || lab_fail "user could not send to srv:6082"
import socket, sys
mac = bytes(int(x, 16) for x in sys.argv[1].split(":"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"\xff" * 6 + mac * 16, ("203.0.113.10", 6082))
EOF
wait_pcap 'udp 192.168.1.255:9' "$MAC_UDP" || lab_fail "udp proxy: no magic packet to 192.168.1.255:9 on the LAN"
lab_wait_log "$LAB_TMP/sleeper.log" "magic $MAC_UDP" 10 || lab_fail "udp proxy: the LAN listener got nothing"
lab_pass "udp proxy to 192.168.1.255:9: user's magic packet for $MAC_UDP broadcast on the LAN and received by a LAN listener"

# 3. On-demand wake: the first connection waits for the boot, then works.
res=$(lab_exec user timeout 60 python3 - <<'EOF' 2>&1
import os, socket, time
t0 = time.monotonic()
s = socket.create_connection(("203.0.113.10", 6081), timeout=10)
s.settimeout(50)
s.sendall(b"early bytes\n")  # sent while the machine still sleeps
buf = b""
while not buf.endswith(b"early bytes\n"):
    b = s.recv(4096)
    if not b:
        raise SystemExit("closed after %r" % buf)
    buf += b
assert buf == b"booted\nearly bytes\n", buf
blob = os.urandom(256 * 1024)
s.sendall(blob)
got = b""
while len(got) < len(blob):
    b = s.recv(65536)
    if not b:
        raise SystemExit("closed after %d echoed bytes" % len(got))
    got += b
assert got == blob, "echo differs"
print("waited %.1f s" % (time.monotonic() - t0))
EOF
) || lab_fail "on-demand wake: the user's connection failed: $res"
lab_wait_log "$LAB_TMP/client.log" 'waking desk for proxy desk-ssh' 5 || lab_fail "client did not log 'waking desk for proxy desk-ssh'"
lab_wait_log "$LAB_TMP/client.log" 'desk is up after [0-9.]+ s \(proxy desk-ssh\)' 5 || lab_fail "client did not log 'desk is up after'"
grep -q "magic $MAC_DESK" "$LAB_TMP/sleeper.log" || lab_fail "the sleeping host saw no magic packet for itself"
wait_pcap 'udp 192.168.1.255:9' "$MAC_DESK" || lab_fail "on-demand: no correct magic packet on the LAN"
lab_pass "on-demand wake: the first connection through desk-ssh waited (${res}), then got the greeting, its early bytes and 256 KiB echoed"
lab_pass "client: $(grep -m1 'desk is up after' "$LAB_TMP/client.log" | cut -c1-120)"
# A second connection is served at once (the machine is up).
res=$(lab_exec user timeout 10 python3 -c '
import socket; s = socket.create_connection(("203.0.113.10", 6081), timeout=5); s.settimeout(5)
assert s.recv(7) == b"booted\n"; print("ok")' 2>&1) || lab_fail "second connection: $res"
lab_pass "a second connection is served at once"

lab_kill "$tcpdump_pid" INT
lab_alive "$client_pid" || lab_fail "client exited"
brw_stop_clean "$client_pid" "$LAB_TMP/client.log" client
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" server
echo "PASS test_wol"
