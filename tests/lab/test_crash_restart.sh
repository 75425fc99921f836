#!/usr/bin/env bash
# test_crash_restart: the client machine dies (kill -9 during a partition, so
# the server hears no FIN and keeps the old session with its port) and the
# client is restarted at once with the same state directory. The restarted
# process proves, with the {run_id, resume_key} it saved (mode 0600), that it
# is the old session's client: the server replaces the stale session and the
# proxy serves again within 5 s of the partition being lifted. Without the
# proof the port stays held for the 90 s heartbeat timeout ("name already in
# use"), which is what issue 7 measured.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rule_handle() {
    lab_exec nat1 nft -a list chain ip natlab forward | sed -n "s/.*\"$1\".*# handle \([0-9]*\).*/\1/p"
}

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
old_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 2 65536 2>&1) || lab_fail "before: $out"
lab_pass "before the crash: ${out##*$'\n'}"
saved=$(ls "$LAB_TMP"/client-state/resume-* 2>/dev/null | head -n1)
[ -n "$saved" ] || lab_fail "the client saved no resume file in its state dir"
mode=$(stat -c %a "$saved")
[ "$mode" = 600 ] || lab_fail "resume file $saved has mode $mode, want 600"
lab_pass "client saved $(basename "$saved") (mode $mode)"

# The dying machine's connections: their FIN (and anything after) never
# reaches the server, as after a power cut. Then a full partition.
ports=$(lab_exec c1 ss -Htn state established "dst 203.0.113.10:7000" | awk '{split($3,a,":"); print a[2]}' | paste -sd, -)
[ -n "$ports" ] || lab_fail "no established client connections found in c1"
lab_exec nat1 nft insert rule ip natlab forward ip saddr 192.168.1.10 tcp sport "{ $ports }" drop comment '"deadhost"' ||
    lab_fail "cannot add the dead-host rule"
lab_exec nat1 nft insert rule ip natlab forward counter drop comment '"partition"' || lab_fail "cannot add the partition rule"
lab_kill "$old_pid" KILL
lab_pass "partitioned; client (flows from ports $ports) killed with SIGKILL"

# Restarted at once, same state directory (brw_start_client would pick a new one).
lab_bg c1 "$LAB_TMP/client2.log" "$BURROW_BIN" client -c "$LAB_TMP/frpc.toml" --state-dir "$LAB_TMP/client-state"
new_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client2.log" 'resuming saved session' 5 || lab_fail "restarted client did not load its saved session"
lab_wait_log "$LAB_TMP/client2.log" 'connecting to server' 5 || lab_fail "restarted client did not try to connect"
lab_pass "restarted client: $(grep -m1 'resuming saved session' "$LAB_TMP/client2.log" | cut -c25-140)"
grep -q 'client session ended' "$LAB_TMP/server.log" && lab_fail "the server ended the old session during the partition"
lab_pass "the server still holds the old session"

lab_exec nat1 nft delete rule ip natlab forward handle "$(rule_handle partition)" || lab_fail "cannot lift the partition"
t0=$(now_ms)
served=
while [ $(($(now_ms) - t0)) -lt 15000 ]; do
    if lab_exec user "$BLAST" -t 1 203.0.113.10 6080 1 4096 >/dev/null 2>&1; then served=$(($(now_ms) - t0)); break; fi
    sleep 0.1
done
[ -n "$served" ] || lab_fail "the proxy did not serve within 15 s of the lift"
lab_pass "probe through the proxy succeeded $served ms after the partition was lifted"
[ "$served" -le 5000 ] || lab_fail "served after $served ms, want <= 5000"
lab_wait_log "$LAB_TMP/server.log" 'session resumed .*replaces=' 2 || lab_fail "server did not log the resume"
lab_pass "server: $(grep -m1 'session resumed' "$LAB_TMP/server.log" | cut -c25-200)"
lab_wait_log "$LAB_TMP/server.log" 'client session ended.*reason=replaced-by-resume' 1 || lab_fail "old session not ended by the resume"
lab_wait_log "$LAB_TMP/client2.log" 'login ok .*resumed=yes' 1 || lab_fail "restarted client was not told it resumed"
grep -q 'proxy refused' "$LAB_TMP/client2.log" && lab_fail "the restarted client saw its proxy refused"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 4 262144 2>&1) || lab_fail "after: $out"
lab_pass "after the restart: ${out##*$'\n'}"
lab_alive "$new_pid" || lab_fail "the restarted client exited"
echo "PASS test_crash_restart"
