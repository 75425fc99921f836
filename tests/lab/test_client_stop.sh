#!/usr/bin/env bash
# test_client_stop: SIGTERM stops a busy client cleanly. While a tcp tunnel
# carries data, a udp proxy holds sessions, the pool holds idle work conns
# and a refused proxy waits on its retry timer, the client gets SIGTERM: it
# must close everything, let its loop run dry and exit 0 within a few
# seconds, logging "stopped: every handle closed" without "did not stop" or
# "left open" lines and (in the sanitizer build) without a leak report. Then
# the same for clients that never reach a server: one backing off after a
# refused connect, one whose connect goes unanswered, one whose server name
# does not resolve (its lookup still running).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9001
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c1 udp 192.168.1.10 9001 5 || lab_fail "udp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
brw_proxy "$LAB_TMP/c1.toml" echo tcp 192.168.1.10 9000 6080
brw_proxy "$LAB_TMP/c1.toml" uecho udp 192.168.1.10 9001 6090
brw_proxy "$LAB_TMP/c1.toml" refused tcp 192.168.1.10 9000 6200 # outside allowPorts
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
c1_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/c1.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy echo not registered"
brw_wait_proxy "$LAB_TMP/c1.log" "$LAB_TMP/server.log" uecho udp 6090 || lab_fail "proxy uecho not registered"
lab_wait_log "$LAB_TMP/c1.log" "proxy refused name=refused .*retrying in" 15 || lab_fail "proxy refused: no retry"

# busy.py: a tcp connection that keeps echoing and three udp senders that
# keep their sessions, reporting once all answered; runs until killed.
cat >"$LAB_TMP/busy.py" <<'PY'
import socket, time
t = socket.create_connection(("203.0.113.10", 6080), 5)
t.settimeout(5)
us = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for u in us:
    u.settimeout(2)
def udp_round():
    for i, u in enumerate(us):
        for _ in range(5):
            u.sendto(b"dgram%d" % i, ("203.0.113.10", 6090))
            try:
                if u.recv(64) == b"dgram%d" % i:
                    break
            except socket.timeout:
                pass
        else:
            raise SystemExit("no udp echo")
udp_round()
t.sendall(b"ping")
assert t.recv(16) == b"ping", "no echo"
print("busy", flush=True)
while True:
    try:
        t.sendall(b"x" * 4096)
        t.recv(65536)
    except OSError:
        break
    time.sleep(0.01)
time.sleep(60)
PY
lab_bg user "$LAB_TMP/busy.log" python3 -u "$LAB_TMP/busy.py"
busy_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/busy.log" "busy" 15 || lab_fail "tunnel or udp sessions not live: $(cat "$LAB_TMP/busy.log")"
sleep 0.5 # the pool refills (poolCount 2)
lab_pass "live: a tcp tunnel carrying data, three udp sessions, idle pool conns, a proxy waiting to retry"

brw_stop_clean "$c1_pid" "$LAB_TMP/c1.log" "busy client"
lab_pass "SIGTERM: the busy client closed everything and exited 0"
lab_kill "$busy_pid"

# Clients that never log in: connect refused (backoff), connect unanswered
# (no host at .99), a name that does not resolve.
mk_conf() { # FILE ADDR PORT
    brw_client_conf "$1" "$token"
    sed -i "s/^serverAddr = .*/serverAddr = \"$2\"/; s/^serverPort = .*/serverPort = $3/" "$1"
    brw_proxy "$1" echo tcp 192.168.2.10 9000 6081
}
mk_conf "$LAB_TMP/backoff.toml" 203.0.113.10 7999
mk_conf "$LAB_TMP/blackhole.toml" 203.0.113.99 7000
mk_conf "$LAB_TMP/noname.toml" burrow-no-such-server.invalid 7000
brw_start_client c2 backoff "$LAB_TMP/backoff.toml"
backoff_pid=$LAB_LAST_PID
brw_start_client c2 blackhole "$LAB_TMP/blackhole.toml"
blackhole_pid=$LAB_LAST_PID
# DNS from c2 goes unanswered (whatever the resolver's address: c2 sends it
# to 203.0.113.53, which nat2 drops), so the lookup still runs at SIGTERM.
# Once running it cannot be cancelled: stopping waits for it, so it gets a
# short resolver timeout.
lab_exec c2 nft -f - <<'NFT'
table ip nodns {
  chain out {
    type nat hook output priority -100; policy accept;
    udp dport 53 dnat to 203.0.113.53
    tcp dport 53 dnat to 203.0.113.53
  }
}
NFT
lab_exec nat2 nft -f - <<'NFT'
table ip nodns {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    ip daddr 203.0.113.53 drop
  }
}
NFT
mkdir -p "$LAB_TMP/noname-state"
lab_bg c2 "$LAB_TMP/noname.log" env RES_OPTIONS="timeout:2 attempts:1" \
    "$BURROW_BIN" client -c "$LAB_TMP/noname.toml" --state-dir "$LAB_TMP/noname-state"
noname_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/backoff.log" "reconnecting in" 10 || lab_fail "backoff: no retry scheduled"
lab_wait_log "$LAB_TMP/blackhole.log" "connecting to server" 10 || lab_fail "blackhole: not connecting"
lab_wait_log "$LAB_TMP/noname.log" "connecting to server" 10 || lab_fail "noname: not started"
sleep 0.5
brw_stop_clean "$backoff_pid" "$LAB_TMP/backoff.log" "client in backoff"
brw_stop_clean "$blackhole_pid" "$LAB_TMP/blackhole.log" "client connecting"
brw_stop_clean "$noname_pid" "$LAB_TMP/noname.log" "client resolving"
if grep -q "cannot resolve" "$LAB_TMP/noname.log"; then lab_fail "client resolving: the lookup ended before SIGTERM"; fi
lab_pass "SIGTERM: clients that never reached a server exited 0 cleanly"
echo "PASS test_client_stop"
