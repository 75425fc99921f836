#!/usr/bin/env bash
# test_ddns: dynamic DNS from a client behind nat1.
# - RFC 2136 + TSIG against BIND9 (named in `user`, zone home.test., key from
#   tsig-keygen read by tsigSecretFile): the client publishes its public
#   address as the server saw it at login (nat1's WAN, 203.0.113.21), dig
#   returns it; nat1's WAN address moves to 203.0.113.23 and the name follows
#   within ddnsCheckInterval (STUN re-check); a wrong key and an
#   unreachable DNS server log clear errors and retry, while a tcp proxy
#   keeps working and nothing crashes.
# - dyndns2 over HTTPS (tests/lab/dyndns2_server.py, certificate from a test
#   CA given by caFile): Basic auth and hostname/myip arrive, "good" is
#   published; a restart with the state dir kept sends nothing (unchanged);
#   without the state "nochg"; a wrong password gets "badauth" once and is
#   not retried.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
command -v named >/dev/null && command -v tsig-keygen >/dev/null && command -v dig >/dev/null ||
    { echo "named, tsig-keygen or dig missing (bind9, bind9-utils, bind9-dnsutils)" >&2; exit 1; }
lab_up || lab_fail "lab_up"

NS=203.0.113.50
D="$LAB_TMP/named"
mkdir -p "$D"
tsig-keygen -a hmac-sha256 ddns-key >"$D/ddns.key"
tsig-keygen -a hmac-sha256 ddns-key >"$D/wrong.key" # same name, another secret
cat >"$D/home.test.db" <<ZONE
\$TTL 60
@   IN SOA ns.home.test. admin.home.test. 1 60 60 600 60
@   IN NS  ns.home.test.
ns  IN A   $NS
ZONE
cat >"$D/named.conf" <<CONF
include "$D/ddns.key";
options {
    directory "$D";
    pid-file "$D/named.pid";
    session-keyfile "$D/session.key";
    listen-on port 53 { $NS; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    allow-query { any; };
};
zone "home.test" { type primary; file "$D/home.test.db"; allow-update { key "ddns-key"; }; };
CONF
lab_bg user "$LAB_TMP/named.log" named -g -c "$D/named.conf"
NAMED_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/named.log" 'running$' 20 || lab_fail "named did not start"
lab_pass "named serves home.test. on $NS with TSIG key ddns-key"

# The dyndns2 endpoint: a test CA and a certificate for the IP $NS.
C="$LAB_TMP/ca"
mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ddns-test-ca \
    -keyout "$C/ca.key" -out "$C/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$NS \
    -keyout "$C/srv.key" -out "$C/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\n' "$NS" >"$C/ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
    -extfile "$C/ext" -out "$C/srv.pem" 2>/dev/null || lab_fail "test certificate"
lab_bg user "$LAB_TMP/dyn.log" python3 -u "$(dirname "$0")/dyndns2_server.py" $NS 8443 \
    "$C/srv.pem" "$C/srv.key" alice s3cret "$LAB_TMP/dyn-requests.txt"
lab_wait_port user tcp $NS 8443 10 || lab_fail "dyndns2 endpoint did not start"

# A service behind nat1 for the "other proxies fine" check.
mkdir -p "$LAB_TMP/www" && echo hello-ddns >"$LAB_TMP/www/index.html"
lab_bg c1 "$LAB_TMP/http.log" python3 -m http.server --bind 192.168.1.10 --directory "$LAB_TMP/www" 8080
lab_wait_port c1 tcp 192.168.1.10 8080 10 || lab_fail "http server in c1"

token=$(brw_token)
# The server keeps a name for itself: bindAddr is global, so that one.
brw_server_conf "$LAB_TMP/frps.toml" "$token" "ddnsCheckInterval = 10" "" "[[ddns]]" \
    'provider = "rfc2136"' 'name = "relay.home.test"' "server = \"$NS\"" \
    'tsigKeyName = "ddns-key"' "tsigSecretFile = \"$D/ddns.key\""
brw_client_conf "$LAB_TMP/frpc.toml" "$token" "ddnsCheckInterval = 10"
cat >>"$LAB_TMP/frpc.toml" <<EOF2

[[ddns]]
provider = "rfc2136"
name = "home-pc.home.test"
server = "$NS:53"
tsigKeyName = "ddns-key"
tsigSecretFile = "$D/ddns.key"
ttl = 30

[[ddns]]
provider = "rfc2136"
name = "badkey.home.test"
server = "$NS"
tsigKeyName = "ddns-key"
tsigSecretFile = "$D/wrong.key"

[[ddns]]
provider = "rfc2136"
name = "nowhere.home.test"
server = "203.0.113.99:53"
tcp = true
tsigKeyName = "ddns-key"
tsigSecretFile = "$D/ddns.key"

[[ddns]]
provider = "dyndns2"
name = "home-pc.dyn.test"
server = "https://$NS:8443"
user = "alice"
password = "s3cret"
caFile = "$C/ca.pem"

[[ddns]]
provider = "dyndns2"
name = "wrongpw.dyn.test"
server = "https://$NS:8443/nic/update"
user = "mallory"
password = "guess"
caFile = "$C/ca.pem"
EOF2
brw_proxy "$LAB_TMP/frpc.toml" web tcp 192.168.1.10 8080 6080
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
CLIENT_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"

dig_a() { lab_exec user dig +short +time=2 +tries=1 @$NS "$1" A; }
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=home-pc\.home\.test provider=rfc2136 address=203\.0\.113\.21 published' 15 ||
    lab_fail "rfc2136 name not published"
[ "$(dig_a home-pc.home.test)" = 203.0.113.21 ] || lab_fail "dig: $(dig_a home-pc.home.test)"
lab_pass "rfc2136: home-pc.home.test A 203.0.113.21 (nat1's WAN, from LOGIN_OK)"

lab_wait_log "$LAB_TMP/server.log" \
    'ddns name=relay\.home\.test provider=rfc2136 address=203\.0\.113\.10 published' 10 ||
    lab_fail "the server's own name not published"
[ "$(dig_a relay.home.test)" = 203.0.113.10 ] || lab_fail "dig relay: $(dig_a relay.home.test)"
lab_pass "the server keeps relay.home.test A 203.0.113.10 (its bindAddr)"

# dyndns2: good, with the protocol's parameters and Basic auth.
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=home-pc\.dyn\.test provider=dyndns2 address=203\.0\.113\.21 published answer="HTTP 200: good' 15 ||
    lab_fail "dyndns2 name not published"
grep -q '^user=alice hostname=home-pc.dyn.test myip=203.0.113.21 answer=good agent=burrow/' \
    "$LAB_TMP/dyn-requests.txt" || lab_fail "dyndns2 request: $(cat "$LAB_TMP/dyn-requests.txt")"
lab_pass "dyndns2: hostname, myip and Basic auth arrived; answered good"

# Wrong key, unreachable server, bad password: clear logs, retries (not for badauth).
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=badkey\.home\.test provider=rfc2136 .*failed \(try 2\).*(TSIG|NOTAUTH)' 30 ||
    lab_fail "wrong TSIG key: no retried failure"
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=nowhere\.home\.test provider=rfc2136 .*failed \(try 2\).*no answer from the DNS server' 40 ||
    lab_fail "unreachable DNS server: no retried failure"
[ -z "$(dig_a badkey.home.test)" ] || lab_fail "badkey.home.test was published"
lab_pass "wrong key and unreachable server: logged, retried, nothing published"
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=wrongpw\.dyn\.test provider=dyndns2 .*not retrying until the config changes.*badauth' 5 ||
    lab_fail "badauth not logged"
n=$(lab_count_log "$LAB_TMP/dyn-requests.txt" '^user=mallory ')
[ "$n" = 1 ] || lab_fail "badauth was retried: $n requests"
lab_exec user curl -sS --fail --max-time 5 http://203.0.113.10:6080/index.html | grep -q hello-ddns ||
    lab_fail "tcp proxy broken"
lab_pass "badauth: one request, not retried; the tcp proxy keeps working"

# nat1's WAN address moves: the STUN re-check finds it, the name follows.
lab_exec user ip route replace 192.168.1.0/24 via 203.0.113.23
lab_exec nat1 ip addr del 203.0.113.21/24 dev wan
lab_exec nat1 ip addr add 203.0.113.23/24 dev wan
lab_exec nat1 conntrack -F 2>/dev/null || true
t0=$SECONDS
lab_wait_log "$LAB_TMP/client.log" \
    'ddns name=home-pc\.home\.test provider=rfc2136 address=203\.0\.113\.23 published' 25 ||
    lab_fail "rfc2136 name did not follow the new address"
[ "$(dig_a home-pc.home.test)" = 203.0.113.23 ] || lab_fail "dig after move: $(dig_a home-pc.home.test)"
lab_wait_log "$LAB_TMP/client.log" 'ddns name=home-pc\.dyn\.test .*address=203\.0\.113\.23 published' 10 ||
    lab_fail "dyndns2 name did not follow"
lab_pass "WAN address moved to 203.0.113.23: both names followed in $((SECONDS - t0)) s (ddnsCheckInterval 10)"
lab_alive "$CLIENT_PID" || lab_fail "client died"
# The periodic check asks the server's STUN service (every 10 s here).
lab_wait_log "$LAB_TMP/client.log" 'ddns: STUN answer address=203\.0\.113\.23' 15 ||
    lab_fail "no STUN re-check answer"
lab_pass "the periodic re-check asks STUN and sees 203.0.113.23"

# A restart with the state dir: the last published address is remembered.
brw_stop_clean "$CLIENT_PID" "$LAB_TMP/client.log" client
before=$(lab_count_log "$LAB_TMP/dyn-requests.txt" '^user=alice ')
mv "$LAB_TMP/client.log" "$LAB_TMP/client1.log"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
CLIENT_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'ddns name=home-pc\.dyn\.test provider=dyndns2 address=203\.0\.113\.23 unchanged' 20 ||
    lab_fail "restart: not 'unchanged'"
sleep 1
[ "$(lab_count_log "$LAB_TMP/dyn-requests.txt" '^user=alice ')" = "$before" ] ||
    lab_fail "restart sent an update for an unchanged address"
lab_pass "restart with the state dir: unchanged, no request (a stopped badauth entry tries once more: a restart is a config change)"
brw_stop_clean "$CLIENT_PID" "$LAB_TMP/client.log" client
rm -f "$LAB_TMP/client-state/ddns.state"
mv "$LAB_TMP/client.log" "$LAB_TMP/client2.log"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
CLIENT_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'ddns name=home-pc\.dyn\.test .*address=203\.0\.113\.23 published answer="HTTP 200: nochg' 20 ||
    lab_fail "restart without state: no nochg"
lab_pass "restart without the state: the provider answered nochg"
brw_stop_clean "$CLIENT_PID" "$LAB_TMP/client.log" client
lab_alive "$NAMED_PID" || lab_fail "named died"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" server
echo "PASS test_ddns"
