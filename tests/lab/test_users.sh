#!/usr/bin/env bash
# test_users: [[users]] on the server. alice and bob have their own tokens;
# a shared auth.token exists too. alice's port and proxy name are hers: bob
# cannot take her port, a shared-token client cannot take her name (held or
# reserved by the "alice." prefix), bob's token and the shared token cannot
# log in as alice, and alice's own allowPorts, domains and maxProxies (counted
# across her sessions) hold. alice's tunnel keeps serving throughout.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
lab_up || lab_fail "lab_up"

lab_bg c1 "$LAB_TMP/echo1.log" "$ECHO" -b 192.168.1.10 9000
lab_bg c2 "$LAB_TMP/echo2.log" "$ECHO" -b 192.168.2.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
lab_wait_port c2 tcp 192.168.2.10 9000 5 || lab_fail "tcp_echo in c2 did not start"
shared=$(brw_token) ta=$(brw_token) tb=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$shared" "vhostHTTPPort = 8080" 'subDomainHost = "tunnel.example"'
cat >>"$LAB_TMP/frps.toml" <<EOT

[[users]]
name = "alice"
token = "$ta"
allowPorts = [{ start = 6010, end = 6019 }]
domains = ["alice.example.com"]
subdomains = ["nas"]
maxProxies = 3

[[users]]
name = "bob"
token = "$tb"
EOT
brw_client_conf "$LAB_TMP/alice.toml" "$ta" 'user = "alice"'
brw_proxy "$LAB_TMP/alice.toml" web tcp 192.168.1.10 9000 6010
brw_proxy "$LAB_TMP/alice.toml" far tcp 192.168.1.10 9000 6050
brw_proxy "$LAB_TMP/alice.toml" any tcp 192.168.1.10 9000 0
printf '\n[[proxies]]\nname = "site"\ntype = "http"\nlocalPort = 9000\nlocalIP = "192.168.1.10"\ncustomDomains = ["bob.example.com"]\n' >>"$LAB_TMP/alice.toml"
printf '\n[[proxies]]\nname = "cam"\ntype = "http"\nlocalPort = 9000\nlocalIP = "192.168.1.10"\nsubdomain = "cam"\n' >>"$LAB_TMP/alice.toml"
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 alice "$LAB_TMP/alice.toml"
brw_wait_proxy "$LAB_TMP/alice.log" "$LAB_TMP/server.log" alice.web tcp 6010 || lab_fail "alice: web not registered"
lab_wait_log "$LAB_TMP/alice.log" 'proxy registered name=alice.any .*remote_port=601[0-9] ' 10 ||
    lab_fail "alice: port 0 was not given one of her ports"
lab_pass "alice: $(grep -m1 'name=alice.any' "$LAB_TMP/alice.log" | cut -c25-)"
lab_wait_log "$LAB_TMP/alice.log" 'proxy refused name=alice.far reason="port 6050 is not allowed for this user"' 10 ||
    lab_fail "alice: port 6050 (outside her allowPorts) not refused"
lab_pass "alice: $(grep -m1 'name=alice.far' "$LAB_TMP/alice.log" | cut -c25-)"

lab_wait_log "$LAB_TMP/alice.log" 'proxy refused name=alice.site reason="domain bob.example.com is not allowed for user alice"' 10 ||
    lab_fail "alice: a domain outside her domains not refused"
lab_pass "alice: $(grep -m1 'name=alice.site' "$LAB_TMP/alice.log" | cut -c25-)"
lab_wait_log "$LAB_TMP/alice.log" 'proxy refused name=alice.cam reason="subdomain cam is not allowed for user alice"' 10 ||
    lab_fail "alice: a subdomain outside her subdomains not refused"
lab_pass "alice: $(grep -m1 'name=alice.cam' "$LAB_TMP/alice.log" | cut -c25-)"

# A second session of alice: maxProxies counts both.
brw_client_conf "$LAB_TMP/alice2.toml" "$ta" 'user = "alice"'
brw_proxy "$LAB_TMP/alice2.toml" extra1 tcp 192.168.2.10 9000 0
brw_proxy "$LAB_TMP/alice2.toml" extra2 tcp 192.168.2.10 9000 0
brw_start_client c2 alice2 "$LAB_TMP/alice2.toml"
lab_wait_log "$LAB_TMP/alice2.log" 'proxy registered name=alice.extra1 .*remote_port=601[0-9] ' 15 || lab_fail "alice2: extra1 not registered"
lab_wait_log "$LAB_TMP/alice2.log" 'proxy refused name=alice.extra2 reason="too many proxies for user alice \(maxProxies 3\)"' 10 ||
    lab_fail "alice2: maxProxies not enforced across sessions"
lab_pass "alice, second session: $(grep -m1 'name=alice.extra2' "$LAB_TMP/alice2.log" | cut -c25-)"

# bob asks for alice's port.
brw_client_conf "$LAB_TMP/bob.toml" "$tb" 'user = "bob"'
brw_proxy "$LAB_TMP/bob.toml" grab tcp 192.168.2.10 9000 6010
brw_start_client c2 bob "$LAB_TMP/bob.toml"
lab_wait_log "$LAB_TMP/bob.log" 'proxy refused name=bob.grab reason="port 6010 is already in use by another user"' 15 ||
    lab_fail "bob: alice's port not refused as another user's"
lab_pass "bob: $(grep -m1 'proxy refused' "$LAB_TMP/bob.log" | cut -c25-)"

# A shared-token client (no user) asks for alice's proxy name.
brw_client_conf "$LAB_TMP/anon.toml" "$shared"
brw_proxy "$LAB_TMP/anon.toml" alice.web tcp 192.168.2.10 9000 6020
brw_start_client c2 anon "$LAB_TMP/anon.toml"
lab_wait_log "$LAB_TMP/anon.log" 'proxy refused name=alice.web reason="proxy names starting with alice. belong to user alice"' 15 ||
    lab_fail "shared-token client: alice's name not refused"
lab_pass "shared token: $(grep -m1 'proxy refused' "$LAB_TMP/anon.log" | cut -c25-)"

# Logging in as alice with bob's token, or with the shared token, fails.
for who in bob shared; do
    t=$tb; [ "$who" = shared ] && t=$shared
    brw_client_conf "$LAB_TMP/as-alice-$who.toml" "$t" 'user = "alice"' 'loginFailExit = true'
    brw_start_client c2 "as-alice-$who" "$LAB_TMP/as-alice-$who.toml"
    lab_wait_log "$LAB_TMP/as-alice-$who.log" 'server refused us .*code=auth' 15 || lab_fail "$who's token logged in as alice"
    lab_pass "$who's token as alice: $(grep -m1 'server refused us' "$LAB_TMP/as-alice-$who.log" | cut -c25-)"
done
[ "$(lab_count_log "$LAB_TMP/server.log" 'client logged in.*user=alice')" = 2 ] || lab_fail "an extra alice session exists"
lab_wait_log "$LAB_TMP/server.log" 'login refused .*reason=bad-token user=alice' 1 2 || lab_fail "server did not log both refusals"

grep -q 'disconnected' "$LAB_TMP/alice.log" && lab_fail "alice was disconnected"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6010 4 65536 2>&1) || lab_fail "through alice's port: $out"
lab_pass "alice's tunnel serves: ${out##*$'\n'}"
echo "PASS test_users"
