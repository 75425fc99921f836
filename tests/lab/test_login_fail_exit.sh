#!/usr/bin/env bash
# test_login_fail_exit: loginFailExit = true with a wrong token: the client
# logs the refusal and exits non-zero within 5 s. With loginFailExit unset
# (default false) the same wrong token keeps the client running and retrying
# (`reconnecting in` at least twice). Control: loginFailExit = true with the
# right token logs in and keeps running.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_client_conf "$LAB_TMP/exit.toml" "wrong-$token" "loginFailExit = true"
brw_proxy "$LAB_TMP/exit.toml" ex tcp 192.168.1.10 9000 6001
brw_client_conf "$LAB_TMP/stay.toml" "wrong-$token"
brw_proxy "$LAB_TMP/stay.toml" st tcp 192.168.1.10 9000 6002
brw_client_conf "$LAB_TMP/good.toml" "$token" "loginFailExit = true"
brw_proxy "$LAB_TMP/good.toml" gd tcp 192.168.1.10 9000 6003

# --- loginFailExit = true, wrong token ------------------------------------------
t0=$(now_ms)
brw_start_client c1 exit "$LAB_TMP/exit.toml"
exit_pid=$LAB_LAST_PID
while lab_alive "$exit_pid"; do
    [ $(($(now_ms) - t0)) -le 5000 ] || lab_fail "loginFailExit=true: client still running after 5 s"
    sleep 0.05
done
wait "$exit_pid"
rc=$?
dt=$(($(now_ms) - t0))
[ "$rc" != 0 ] || lab_fail "loginFailExit=true: client exited with status 0"
lab_pass "loginFailExit=true: client exited with status $rc after $dt ms"
grep -Eq 'server refused us.*code=auth' "$LAB_TMP/exit.log" || lab_fail "loginFailExit=true: client did not log the refusal"
lab_pass "loginFailExit=true: client logged: $(grep -m1 'server refused us' "$LAB_TMP/exit.log" | cut -c25-140)"
grep -q 'login refused.*reason=bad-token' "$LAB_TMP/server.log" || lab_fail "server did not log the bad token"
n=$(lab_count_log "$LAB_TMP/exit.log" 'connecting to server=.*attempt=')
[ "$n" = 0 ] || lab_fail "loginFailExit=true: client retried $n times before exiting"
if grep -q 'login ok' "$LAB_TMP/exit.log"; then lab_fail "loginFailExit=true: wrong token logged in"; fi

# --- loginFailExit unset, wrong token: keeps retrying ------------------------------
brw_start_client c1 stay "$LAB_TMP/stay.toml"
stay_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/stay.log" 'reconnecting in' 10 2 || lab_fail "default: client did not log 'reconnecting in' twice"
lab_wait_log "$LAB_TMP/stay.log" 'server refused us.*code=auth' 1 2 || lab_fail "default: client did not log two refusals"
lab_alive "$stay_pid" || lab_fail "default: client exited"
if grep -q 'login ok' "$LAB_TMP/stay.log"; then lab_fail "default: wrong token logged in"; fi
lab_pass "default: client keeps running and retrying ($(lab_count_log "$LAB_TMP/stay.log" 'reconnecting in') x 'reconnecting in', $(lab_count_log "$LAB_TMP/stay.log" 'server refused us') refusals)"

# --- control: loginFailExit = true, right token --------------------------------
brw_start_client c1 good "$LAB_TMP/good.toml"
good_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/good.log" "$LAB_TMP/server.log" gd tcp 6003 || lab_fail "control: good client did not register"
lab_alive "$good_pid" || lab_fail "control: good client with loginFailExit=true exited"
lab_pass "control: loginFailExit=true with the right token logs in and keeps running"
lab_alive "$stay_pid" || lab_fail "default: client exited later"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_login_fail_exit"
