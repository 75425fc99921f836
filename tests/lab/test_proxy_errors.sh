#!/usr/bin/env bash
# test_proxy_errors: the server refuses bad proxy registrations one by one,
# says why, and keeps every good proxy working. Server: allowPorts 6000-6010,
# maxPortsPerClient = 3. Client A (c1), in registration order:
#   echo 6001, shared 6002 (ok), bad 7777 (not allowed), busy 6005 (bound by
#   another process on srv: already in use), auto 0 (ok, 6000<=N<=6010, the
#   3rd port), extra 6003 (4th port: too many).
# Client B (c2) then registers `shared` (held by A: already in use) and
# `bown` with remotePort 0 (ok). A keeps serving `shared` throughout.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

conf_set() { # FILE KEY VALUE: replace the top-level `KEY = ...` line or append it
    if grep -q "^$2 = " "$1"; then sed -i "s|^$2 = .*|$2 = $3|" "$1"; else echo "$2 = $3" >>"$1"; fi
}
blast() { # PORT: 2 verified echo connections through srv:PORT from user
    lab_exec user "$BLAST" -t 10 203.0.113.10 "$1" 2 65536 2>&1
}
refused_reason() { # LOG NAME: the quoted reason of `proxy refused name=NAME`
    sed -n "s/.*proxy refused name=$2 reason=\"\\(.*\\)\".*/\\1/p" "$1" | head -n1
}
expect_refused() { # LOG NAME REGEX DESCRIPTION
    lab_wait_log "$1" "proxy refused name=$2 reason=" 10 || lab_fail "$4: no 'proxy refused name=$2' in $(basename "$1")"
    local why; why=$(refused_reason "$1" "$2")
    printf '%s' "$why" | grep -Eq -- "$3" || lab_fail "$4: reason '$why' does not match /$3/"
    if grep -Eq "proxy registered name=$2( |\$)" "$1"; then lab_fail "$4: $2 was also registered"; fi
    lab_pass "$4: proxy refused name=$2 reason=\"$why\""
}

lab_bg c1 "$LAB_TMP/echo1.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c2 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.2.10 9000
# Another program already holds srv's port 6005.
lab_bg srv "$LAB_TMP/squatter.log" "$ECHO" -b 203.0.113.10 6005
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c2 tcp 192.168.2.10 9000 5 || lab_fail "tcp_echo in c2 did not start"
lab_wait_port srv tcp 203.0.113.10 6005 5 || lab_fail "squatter on srv:6005 did not start"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"
conf_set "$LAB_TMP/frps.toml" allowPorts '[{ start = 6000, end = 6010 }]'
conf_set "$LAB_TMP/frps.toml" maxPortsPerClient 3
brw_client_conf "$LAB_TMP/a.toml" "$token"
brw_proxy "$LAB_TMP/a.toml" echo tcp 192.168.1.10 9000 6001
brw_proxy "$LAB_TMP/a.toml" shared tcp 192.168.1.10 9000 6002
brw_proxy "$LAB_TMP/a.toml" bad tcp 192.168.1.10 9000 7777
brw_proxy "$LAB_TMP/a.toml" busy tcp 192.168.1.10 9000 6005
brw_proxy "$LAB_TMP/a.toml" auto tcp 192.168.1.10 9000 0
brw_proxy "$LAB_TMP/a.toml" extra tcp 192.168.1.10 9000 6003
brw_client_conf "$LAB_TMP/b.toml" "$token"
brw_proxy "$LAB_TMP/b.toml" shared tcp 192.168.2.10 9000 6004
brw_proxy "$LAB_TMP/b.toml" bown tcp 192.168.2.10 9000 0

brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 a "$LAB_TMP/a.toml"
a_pid=$LAB_LAST_PID
A="$LAB_TMP/a.log"
brw_wait_proxy "$A" "$LAB_TMP/server.log" echo tcp 6001 || lab_fail "proxy echo not registered"
brw_wait_proxy "$A" "$LAB_TMP/server.log" shared tcp 6002 || lab_fail "proxy shared not registered"

# (i) remotePort = 0: the server picks an allowed port.
lab_wait_log "$A" 'proxy registered name=auto ' 10 || lab_fail "(i) proxy auto not registered"
n=$(sed -n 's/.*proxy registered name=auto .*remote_port=\([0-9]*\).*/\1/p' "$A" | head -n1)
[ -n "$n" ] && [ "$n" -ge 6000 ] && [ "$n" -le 6010 ] || lab_fail "(i) auto got remote_port='$n', want 6000..6010"
case $n in 6001|6002|6005) lab_fail "(i) auto got port $n, which is taken" ;; esac
lab_wait_port srv tcp 203.0.113.10 "$n" 5 || lab_fail "(i) srv does not listen on $n"
out=$(blast "$n") || lab_fail "(i) connection to srv:$n failed: $out"
lab_pass "(i) remotePort = 0 -> remote_port=$n in 6000..6010; ${out##*$'\n'}"

# (ii) outside allowPorts.
expect_refused "$A" bad 'not allowed' "(ii) remotePort 7777"
grep -q 'proxy refused name=bad .*port=7777' "$LAB_TMP/server.log" || lab_fail "(ii) server did not log the refusal"
if lab_exec srv ss -Hltn 'sport = :7777' | grep -q .; then lab_fail "(ii) srv listens on 7777"; fi
# (iii) bound by another process.
expect_refused "$A" busy 'already in use' "(iii) remotePort 6005 held by another process"
out=$(blast 6005) || lab_fail "(iii) the squatter on srv:6005 stopped answering: $out"
n_sq=$(lab_exec srv ss -Hltn 'sport = :6005' | wc -l)
[ "$n_sq" = 1 ] || lab_fail "(iii) $n_sq listeners on srv:6005, want only the squatter"
lab_pass "(iii) srv:6005 still belongs to the squatter"
# (v) beyond maxPortsPerClient.
expect_refused "$A" extra 'too many' "(v) 4th port beyond maxPortsPerClient = 3"
# (auto may have drawn 6003 itself, so ask the server log rather than ss.)
if grep -q 'proxy listening name=extra ' "$LAB_TMP/server.log"; then lab_fail "(v) server opened extra"; fi
for p in 6001 6002 "$n"; do
    out=$(blast "$p") || lab_fail "(ii)/(iii)/(v): good proxy on srv:$p broke: $out"
done
lab_pass "(ii)/(iii)/(v): the good proxies (6001, 6002, $n) still work after the refusals"

# (iv) a second client asks for a name the first holds.
brw_start_client c2 b "$LAB_TMP/b.toml"
B="$LAB_TMP/b.log"
lab_wait_log "$B" 'proxy registered name=bown ' 15 || lab_fail "(iv) client B's own proxy bown not registered"
expect_refused "$B" shared 'already in use' "(iv) client B registering A's name shared"
[ "$(lab_count_log "$LAB_TMP/server.log" 'proxy listening name=shared ')" = 1 ] ||
    lab_fail "(iv) the server opened shared more than once"
# A still serves shared: the connections are worked by A, never by B.
before=$(lab_count_log "$A" 'work started proxy=shared ')
out=$(blast 6002) || lab_fail "(iv) A's shared (srv:6002) broke: $out"
[ "$(lab_count_log "$A" 'work started proxy=shared ')" -ge $((before + 2)) ] ||
    lab_fail "(iv) A's log shows no work for shared"
if grep -q 'work started proxy=shared' "$B"; then lab_fail "(iv) B served connections for shared"; fi
lab_pass "(iv) A keeps serving shared: ${out##*$'\n'}"
nb=$(sed -n 's/.*proxy registered name=bown .*remote_port=\([0-9]*\).*/\1/p' "$B" | head -n1)
out=$(blast "$nb") || lab_fail "(iv) B's bown (srv:$nb) does not work: $out"
lab_pass "(iv) B's other proxy bown works on srv:$nb"
grep -q 'disconnected' "$A" "$B" && lab_fail "a client's control connection dropped"
lab_alive "$a_pid" || lab_fail "client A exited"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_proxy_errors"
