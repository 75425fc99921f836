#!/usr/bin/env bash
# test_udp_echo (b): a UDP echo service in c1 published through a burrow udp
# proxy on srv:6090. udp_check from user gets every datagram back intact;
# then three senders at once (two sockets on user, one on c2 behind nat2)
# each get only their own replies. user cannot reach the service directly.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
UDP_ECHO=$(lab_tool udp_echo) || exit 1
UDP_CHECK=$(lab_tool udp_check) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/udp_echo.log" "$UDP_ECHO" -b 192.168.1.10 9000
lab_wait_port c1 udp 192.168.1.10 9000 5 || lab_fail "udp_echo in c1 did not start"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo udp 192.168.1.10 9000 6090
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo udp 6090 || lab_fail "udp proxy not registered"
lab_pass "udp proxy echo registered on srv:6090"

out=$(lab_exec user "$UDP_CHECK" -s 1200 203.0.113.10 6090 200) || lab_fail "udp_check from user: $out"
lab_pass "user: $out"

# Three concurrent senders, each with its own session id: a reply delivered
# to the wrong sender shows up as 'foreign' and fails that sender's check.
lab_bg user "$LAB_TMP/check-u1.log" "$UDP_CHECK" -s 300 203.0.113.10 6090 300
p1=$LAB_LAST_PID
lab_bg user "$LAB_TMP/check-u2.log" "$UDP_CHECK" -s 700 203.0.113.10 6090 300
p2=$LAB_LAST_PID
lab_bg c2 "$LAB_TMP/check-c2.log" "$UDP_CHECK" -s 500 203.0.113.10 6090 300
p3=$LAB_LAST_PID
for who in u1:$p1 u2:$p2 c2:$p3; do
    name=${who%%:*} pid=${who#*:}
    wait "$pid"; rc=$?
    res=$(cat "$LAB_TMP/check-$name.log")
    [ "$rc" = 0 ] || lab_fail "concurrent sender $name: $res"
    lab_pass "concurrent sender $name: $res"
done

if lab_exec user "$UDP_CHECK" -w 300 -r 2 192.168.1.10 9000 1 >/dev/null; then
    lab_fail "user got an echo from 192.168.1.10:9000 directly"
fi
lab_pass "user gets no reply from 192.168.1.10:9000 directly"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_udp_echo"
