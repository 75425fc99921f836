#!/usr/bin/env bash
# test_resume_hijack: a second client that holds the token and the victim's
# run id (logged at INFO on both sides) but not the victim's resume key logs
# in naming that run id. The server refuses the resume (logs it), gives the
# attacker a fresh session whose proxy of the same name and port is refused,
# and the victim keeps its session and keeps serving.
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
brw_client_conf "$LAB_TMP/victim.toml" "$token"
brw_proxy "$LAB_TMP/victim.toml" web tcp 192.168.1.10 9000 6081
# The attacker's "service" is a closed port: if it got the users, they fail.
brw_client_conf "$LAB_TMP/attacker.toml" "$token"
brw_proxy "$LAB_TMP/attacker.toml" web tcp 192.168.2.10 9 6081
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 victim "$LAB_TMP/victim.toml"
victim_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/victim.log" "$LAB_TMP/server.log" web tcp 6081 || lab_fail "victim: proxy not registered"
run_id=$(sed -n 's/.*login ok .*run_id=\([0-9a-f]*\).*/\1/p' "$LAB_TMP/victim.log" | head -n1)
[ -n "$run_id" ] || lab_fail "no run id in the victim's log"
lab_pass "victim logged in run_id=$run_id"

# The attacker's client resumes whatever its state dir names. A first run
# creates its file; the attacker then puts the victim's run id in it, with a
# key of its own making, and starts again.
brw_start_client c2 attacker "$LAB_TMP/attacker.toml"
attacker_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/attacker.log" 'proxy refused name=web' 15 || lab_fail "attacker: first run not refused"
lab_kill "$attacker_pid" TERM
saved=$(ls "$LAB_TMP"/attacker-state/resume-203.0.113.10_7000-* 2>/dev/null | head -n1)
[ -n "$saved" ] || lab_fail "the attacker's client saved no resume file"
printf '%s %s\n' "$run_id" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$saved"
mv "$LAB_TMP/attacker.log" "$LAB_TMP/attacker-first.log"
brw_start_client c2 attacker "$LAB_TMP/attacker.toml"
attacker_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/attacker.log" "resuming saved session run_id=$run_id" 5 || lab_fail "attacker did not send the victim's run id"
lab_wait_log "$LAB_TMP/server.log" "resume refused .*run_id=$run_id reason=no-valid-proof" 15 ||
    lab_fail "server did not refuse the resume"
lab_wait_log "$LAB_TMP/attacker.log" 'login ok .*resumed=no' 5 || lab_fail "attacker: no fresh-session login"
lab_pass "server: $(grep -m1 'resume refused' "$LAB_TMP/server.log" | cut -c25-)"
lab_wait_log "$LAB_TMP/attacker.log" 'proxy refused name=web reason="proxy name already in use"' 10 ||
    lab_fail "the attacker's proxy was not refused"
lab_pass "attacker: $(grep -m1 'proxy refused' "$LAB_TMP/attacker.log" | cut -c25-)"
grep -q "client session ended run_id=$run_id" "$LAB_TMP/server.log" && lab_fail "the victim's session was ended"
grep -q 'disconnected' "$LAB_TMP/victim.log" && lab_fail "the victim was disconnected"
lab_alive "$attacker_pid" || lab_fail "attacker client exited"
lab_alive "$victim_pid" || lab_fail "victim client exited"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6081 8 65536 2>&1) || lab_fail "through the victim: $out"
lab_pass "victim keeps its session and serves: ${out##*$'\n'}"
echo "PASS test_resume_hijack"
