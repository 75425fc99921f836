#!/usr/bin/env bash
# test_http_owner: routes belong to users. alice (behind nat1) serves
# a.example.com; bob (behind nat2, same token, another user) cannot add
# /admin under it, cannot claim *.com or a wildcard outside subDomainHost
# and vhostWildcardDomains, and cannot take a.example.com while alice is
# briefly gone (its tombstone is reserved for her); alice takes it back at
# once when she returns. A proxy may hold 256 routes, a user 4,096.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
http_backend c2 B 192.168.2.10 8001 || lab_fail "backend B"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" \
    'subDomainHost = "lab.example"' 'vhostWildcardDomains = ["b.example.net"]'
brw_client_conf "$LAB_TMP/alice.toml" "$token" 'user = "alice"'
vhost_proxy "$LAB_TMP/alice.toml" a http 192.168.1.10 8001 'customDomains = ["a.example.com"]'
brw_client_conf "$LAB_TMP/bob.toml" "$token" 'user = "bob"'
vhost_proxy "$LAB_TMP/bob.toml" admin http 192.168.2.10 8001 'customDomains = ["a.example.com"]' \
    'locations = ["/admin"]'
vhost_proxy "$LAB_TMP/bob.toml" com http 192.168.2.10 8001 'customDomains = ["*.com"]'
vhost_proxy "$LAB_TMP/bob.toml" org http 192.168.2.10 8001 'customDomains = ["*.other.org"]'
vhost_proxy "$LAB_TMP/bob.toml" sub http 192.168.2.10 8001 'customDomains = ["*.bob.lab.example"]'
vhost_proxy "$LAB_TMP/bob.toml" net http 192.168.2.10 8001 'customDomains = ["*.b.example.net"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
lab_wait_port srv tcp "$SRV_ADDR" "$VHOST_HTTP" 5 || lab_fail "no http vhost listener"
brw_start_client c1 alice "$LAB_TMP/alice.toml"
ALICE_PID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/alice.log" 'proxy registered.*name=alice\.a' 15 || lab_fail "alice's proxy not registered"
brw_start_client c2 bob "$LAB_TMP/bob.toml"
lab_wait_log "$LAB_TMP/bob.log" 'proxy registered.*name=bob\.net' 15 || lab_fail "bob's proxies not registered"

refused() { # LOG NAME REASON-REGEX
    lab_wait_log "$1" "proxy refused name=$2 reason=\"$3" 5 || lab_fail "$2 not refused with '$3'"
}
refused "$LAB_TMP/bob.log" bob.admin 'domain a.example.com belongs to another user'
refused "$LAB_TMP/bob.log" bob.com 'wildcard domain \*.com needs at least two labels'
refused "$LAB_TMP/bob.log" bob.org 'wildcard domain \*.other.org is not under subDomainHost or vhostWildcardDomains'
lab_wait_log "$LAB_TMP/bob.log" 'proxy registered.*name=bob\.sub' 5 || lab_fail "*.bob.lab.example refused"
[ "$(json_field "$(vget a.example.com /admin)" site)" = A ] || lab_fail "a.example.com/admin not alice's"
[ "$(json_field "$(vget x.bob.lab.example /)" site)" = B ] || lab_fail "x.bob.lab.example not bob's"
[ "$(json_field "$(vget y.b.example.net /)" site)" = B ] || lab_fail "y.b.example.net not bob's"
[ "$(vcode anything.com /)" = 404 ] || lab_fail "*.com captured anything.com"
lab_pass "bob cannot add /admin under alice's domain nor claim *.com or *.other.org; his own wildcards work"

lab_kill "$ALICE_PID" KILL
lab_wait_log "$LAB_TMP/server.log" 'session ended.*reason=(client-closed|connection-error)' 10 ||
    lab_fail "server did not notice alice leaving"
[ "$(vcode a.example.com /)" = 502 ] || lab_fail "alice's site while she is gone: want 502"
brw_client_conf "$LAB_TMP/bob2.toml" "$token" 'user = "bob"'
vhost_proxy "$LAB_TMP/bob2.toml" grab http 192.168.2.10 8001 'customDomains = ["a.example.com"]'
brw_start_client c2 bob2 "$LAB_TMP/bob2.toml"
refused "$LAB_TMP/bob2.log" bob.grab 'domain a.example.com is reserved for its owner'
[ "$(vcode a.example.com /)" = 502 ] || lab_fail "alice's site after bob's attempt: want 502"
lab_pass "while alice is gone her domain answers 502 and bob's claim is refused (reserved for its owner)"

brw_start_client c1 alice2 "$LAB_TMP/alice.toml"
lab_wait_log "$LAB_TMP/alice2.log" 'proxy registered.*name=alice\.a' 15 || lab_fail "alice could not take her domain back"
[ "$(json_field "$(vget a.example.com /)" site)" = A ] || lab_fail "a.example.com not alice's after her return"
lab_pass "alice's return takes a.example.com back at once"
# Route caps: 256 per proxy (domains x locations), 4,096 per user.
doms() { # PREFIX COUNT: a customDomains line
    local i out=""
    for i in $(seq 1 "$2"); do out="$out\"$1-$i.example.org\", "; done
    echo "customDomains = [${out%, }]"
}
locs='locations = ["/", "/a", "/b", "/c"]'
brw_client_conf "$LAB_TMP/carol.toml" "$token" 'user = "carol"'
many=$(for i in $(seq 1 52); do printf '"/l%d", ' "$i"; done)
vhost_proxy "$LAB_TMP/carol.toml" big http 192.168.2.10 8001 "$(doms big 5)" "locations = [${many%, }]"
for k in $(seq 1 16); do
    vhost_proxy "$LAB_TMP/carol.toml" "p$k" http 192.168.2.10 8001 "$(doms "p$k" 64)" "$locs"
done
vhost_proxy "$LAB_TMP/carol.toml" last http 192.168.2.10 8001 'customDomains = ["last.example.org"]'
brw_start_client c2 carol "$LAB_TMP/carol.toml"
refused "$LAB_TMP/carol.log" carol.big 'too many routes: 5 domains x 52 locations > 256 per proxy'
refused "$LAB_TMP/carol.log" carol.last 'too many routes for this user: 4096 held \+ 1 > 4096'
n=$(lab_count_log "$LAB_TMP/carol.log" 'proxy registered.*name=carol\.p')
[ "$n" = 16 ] || lab_fail "carol registered $n of 16 proxies of 256 routes"
[ "$(json_field "$(vget p16-64.example.org /c/x)" site)" = B ] || lab_fail "carol's 4,096th route not served"
[ "$(json_field "$(vget a.example.com /)" site)" = A ] || lab_fail "alice's site after carol's routes"
lab_pass "route caps: a proxy with 5 x 52 routes refused, a user's 4,097th route refused; 16 x 256 routes served"

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_owner"
