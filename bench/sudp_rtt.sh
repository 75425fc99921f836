#!/usr/bin/env bash
# bench/sudp_rtt.sh: round trips of 64-byte datagrams from c2 (behind nat2,
# symmetric) to udp_echo in c1 (behind nat1) in the NAT lab, through a udp
# proxy (srv:6090) and through an sudp visitor (127.0.0.1:7200 in c2), with
# the same server and owner: the cost of the visitor's hop and the
# end-to-end records. Three rounds of 2,000 sequential datagrams each (after
# 50 to warm up); prints p50/p90/p99 per path. Needs root (network
# namespaces) and a build: BURROW_BUILD=$PWD/build bash bench/sudp_rtt.sh.
# Machines here are shared and noisy: compare the two paths of one run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lab/lab.sh"
. "$here/../tests/lab/burrow.sh"
lab_trap
UDP_ECHO=$(lab_tool udp_echo) || exit 1
lab_up port-restricted symmetric || lab_fail "lab_up"
lab_bg c1 "$LAB_TMP/echo.log" "$UDP_ECHO" -b 192.168.1.10 9000
lab_wait_port c1 udp 192.168.1.10 9000 5 || lab_fail echo
token=$(brw_token)
BRW_LOG_LEVEL=info
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token"
brw_proxy "$LAB_TMP/owner.toml" echo udp 192.168.1.10 9000 6090
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "dns"
type = "sudp"
secretKey = "k"
localIP = "192.168.1.10"
localPort = 9000
TOML
brw_client_conf "$LAB_TMP/visitor.toml" "$token"
cat >>"$LAB_TMP/visitor.toml" <<'TOML'

[[visitors]]
name = "v"
type = "sudp"
serverName = "dns"
secretKey = "k"
bindPort = 7200
TOML
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail server
brw_start_client c1 owner "$LAB_TMP/owner.toml"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
lab_wait_log "$LAB_TMP/visitor.log" "visitor connected name=v" 15 || lab_fail "the visitor's path did not come up"
lab_wait_log "$LAB_TMP/owner.log" "proxy registered.*name=echo" 15 || lab_fail "udp proxy not registered"
cat > "$LAB_TMP/rtt.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
for _ in range(50):
    s.sendto(b"w" * 64, (host, port))
    try: s.recvfrom(2048)
    except socket.timeout: pass
rtts = []; lost = 0
for i in range(n):
    t = time.perf_counter(); s.sendto(b"x" * 64, (host, port))
    try:
        s.recvfrom(2048); rtts.append((time.perf_counter() - t) * 1e6)
    except socket.timeout:
        lost += 1
rtts.sort()
q = lambda p: rtts[min(len(rtts) - 1, int(p * len(rtts)))]
print("%s:%d n=%d lost=%d p50=%.0fus p90=%.0fus p99=%.0fus" % (host, port, n, lost, q(.5), q(.9), q(.99)))
PY
for r in 1 2 3; do
  printf 'udp proxy    '; lab_exec c2 python3 "$LAB_TMP/rtt.py" 203.0.113.10 6090 2000
  printf 'sudp visitor '; lab_exec c2 python3 "$LAB_TMP/rtt.py" 127.0.0.1 7200 2000
done
