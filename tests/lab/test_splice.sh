#!/usr/bin/env bash
# test_splice: the opt-in splice pump (BURROW_SPLICE=1) on a plain tunnel.
# Bulk connections must move to the pump on both sides (debug log line), keep
# every byte intact in both directions (tcp_blast checks each echoed byte) and
# keep half-close: a sender that shuts down its write half after 3 MB still
# gets the service's byte count back.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"
export BURROW_SPLICE=1

cat >"$LAB_TMP/count.py" <<'PY'
import socket, sys
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "serve":  # read to EOF, reply with the count, close; forever
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port)); ls.listen(16)
    while True:
        c, _ = ls.accept(); n = 0
        while True:
            b = c.recv(65536)
            if not b: break
            n += len(b)
        c.sendall(b"%d\n" % n); c.close()
else:  # send N bytes, half-close, print the reply
    n = int(sys.argv[4]); s = socket.create_connection((addr, port), timeout=20)
    chunk = b"x" * 65536; left = n
    while left: k = min(left, len(chunk)); s.sendall(chunk[:k]); left -= k
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(100)
        if not b: break
        out += b
    print(out.decode().strip())
PY
lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c1 "$LAB_TMP/count.log" python3 -u "$LAB_TMP/count.py" serve 192.168.1.10 9100
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c1 tcp 192.168.1.10 9100 5 || lab_fail "count service in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token" "transport.tls.enable = false"
sed -i '/^transport.tls.enable = true$/d' "$LAB_TMP/frpc.toml"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_proxy "$LAB_TMP/frpc.toml" count tcp 192.168.1.10 9100 6081
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" count tcp 6081 || lab_fail "proxies not registered"
grep -q 'login ok.*tls=no' "$LAB_TMP/client.log" || lab_fail "the tunnel is not plain"

out=$(lab_exec user "$BLAST" -t 40 203.0.113.10 6080 16 4194304 2>&1) || lab_fail "blast: $out"
lab_pass "16 x 4 MiB echoed intact: ${out##*$'\n'}"
for side in server client; do
    n=$(lab_count_log "$LAB_TMP/$side.log" 'relay moved to the splice pump')
    [ "$n" -ge 16 ] || lab_fail "$side: only $n relays moved to the splice pump, want 16"
    lab_pass "$side: $n relays moved to the splice pump"
done
for n in 3000001 300000; do
    got=$(lab_exec user timeout 25 python3 "$LAB_TMP/count.py" send 203.0.113.10 6081 "$n" 2>&1)
    [ "$got" = "$n" ] || lab_fail "half-close through the pump: sent $n, service counted '$got'"
    lab_pass "half-close: sent $n then FIN, service counted $got and the reply came back"
done
