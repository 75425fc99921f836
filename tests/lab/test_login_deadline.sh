#!/usr/bin/env bash
# test_login_deadline: the server's control port silently drops every packet
# (no RST, no ICMP), so a TCP connect would hang through the kernel's whole SYN
# retry series. The client must give the attempt up after its 10 s login
# deadline, log it, back off and try again; once the port answers, the same
# process logs in and its proxy works.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"

lab_exec srv nft -f - <<'NFT' || lab_fail "cannot install the blackhole"
table inet blackhole {
    chain input {
        type filter hook input priority -10; policy accept;
        tcp dport 7000 counter drop
    }
}
NFT
lab_pass "srv now silently drops tcp/7000"
t0=$SECONDS
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'no login within 10 s' 14 ||
    lab_fail "client did not give up the hanging attempt within its login deadline"
lab_pass "after $((SECONDS - t0)) s: $(grep -m1 'no login within' "$LAB_TMP/client.log" | cut -c25-160)"
lab_wait_log "$LAB_TMP/client.log" 'reconnecting in' 3 || lab_fail "client did not schedule a retry"
if grep -q 'login ok' "$LAB_TMP/client.log"; then lab_fail "logged in through a blackhole?"; fi
dropped=$(lab_exec srv nft list table inet blackhole | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 0 ] || lab_fail "the blackhole dropped nothing: the hang was not real"
lab_pass "the blackhole dropped $dropped packets"

lab_exec srv nft delete table inet blackhole || lab_fail "cannot remove the blackhole"
lab_wait_log "$LAB_TMP/client.log" 'login ok' 25 || lab_fail "client did not log in once the port answered"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
lab_alive "$client_pid" || lab_fail "the client process exited"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 65536 2>&1) || lab_fail "after: $out"
lab_pass "same client process logged in after the port came back: ${out##*$'\n'}"
