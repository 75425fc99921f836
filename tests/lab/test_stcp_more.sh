#!/usr/bin/env bash
# test_stcp_more: stcp across the hard NATs, bulk, no plaintext at the server,
# and the refusals by user. The owner (user alice) runs in c1 behind nat1
# (port-restricted), an http_backend as its local service; the visitor (user
# bob) runs in c2 behind nat2 (symmetric). Both clients run with TLS off, so
# that only the end-to-end layer stands between the payload and tcpdump.
#  - 100 MB down and 100 MB up through the visitor's port, sha256 checked;
#  - tcpdump at srv while a file full of a marker string goes through the
#    visitor: the marker is not in the capture; as a control, the same file
#    fetched through a plain tcp proxy of the same owner is;
#  - refusals, each closing the local connection at once with a line on both
#    sides, the good port serving afterwards: a user not in allowUsers (and
#    the default: the owner's own user only), a wrong key, an unknown
#    serverName. (Owner offline: test_stcp_restart.sh.)
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up port-restricted symmetric || lab_fail "lab_up"

MARKER="brw-MARKER-c0ffee-plaintext-1729"
mkdir -p "$LAB_TMP/www"
head -c 100000000 /dev/urandom >"$LAB_TMP/www/big"
want=$(sha256sum <"$LAB_TMP/www/big" | cut -d' ' -f1)
for _ in $(seq 1 20000); do echo "$MARKER"; done >"$LAB_TMP/www/m.txt"
http_backend c1 A 192.168.1.10 8001 || lab_fail "http_backend in c1"

token=$(brw_token)
BRW_LOG_LEVEL=${BRW_LOG_LEVEL:-info}
brw_server_conf "$LAB_TMP/frps.toml" "$token"
brw_client_conf "$LAB_TMP/owner.toml" "$token" 'user = "alice"'
brw_client_conf "$LAB_TMP/visitor.toml" "$token" 'user = "bob"'
sed -i 's/^transport.tls.enable = true/transport.tls.enable = false/' \
    "$LAB_TMP/owner.toml" "$LAB_TMP/visitor.toml"
cat >>"$LAB_TMP/owner.toml" <<'TOML'

[[proxies]]
name = "web"
type = "stcp"
secretKey = "k-web"
allowUsers = ["bob"]
localIP = "192.168.1.10"
localPort = 8001
transport.useEncryption = true

[[proxies]]
name = "db"
type = "stcp"
secretKey = "k-db"
localIP = "192.168.1.10"
localPort = 8001
TOML
brw_proxy "$LAB_TMP/owner.toml" plain tcp 192.168.1.10 8001 6000
visitor() { # NAME SERVERNAME KEY PORT
    printf '\n[[visitors]]\nname = "%s"\ntype = "stcp"\nserverUser = "alice"\nserverName = "%s"\nsecretKey = "%s"\nbindPort = %s\n' \
        "$@" >>"$LAB_TMP/visitor.toml"
}
visitor web-v web k-web 7100
visitor db-v db k-db 7101
visitor key-v web not-the-key 7102
visitor nope-v nope k-web 7103

brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 owner "$LAB_TMP/owner.toml"
brw_wait_proxy "$LAB_TMP/owner.log" "$LAB_TMP/server.log" alice.plain tcp 6000 || lab_fail "owner's proxies"
lab_wait_log "$LAB_TMP/owner.log" "proxy registered.*name=alice.db" 10 || lab_fail "stcp proxy db"
brw_start_client c2 visitor "$LAB_TMP/visitor.toml"
lab_wait_log "$LAB_TMP/visitor.log" "login ok" 15 || lab_fail "visitor did not log in"
lab_wait_port c2 tcp 127.0.0.1 7103 10 || lab_fail "visitor ports not open"
lab_check "useEncryption on an stcp proxy taken quietly" \
    bash -c "! grep -q 'useEncryption' '$LAB_TMP/owner.log'"
lab_pass "owner alice in c1 (port-restricted), visitor bob in c2 (symmetric), TLS off"

# --- 100 MB each way through the visitor ---------------------------------------
start=$(date +%s%N)
lab_exec c2 curl -sS --fail --max-time 60 -o "$LAB_TMP/got" "http://127.0.0.1:7100/file/big" ||
    lab_fail "100 MB download through the visitor"
ms=$((($(date +%s%N) - start) / 1000000))
got=$(sha256sum <"$LAB_TMP/got" | cut -d' ' -f1)
rm -f "$LAB_TMP/got"
[ "$got" = "$want" ] || lab_fail "100 MB download: sha256 $got, want $want"
lab_pass "100 MB download through the visitor: sha256 matches (${ms} ms)"
start=$(date +%s%N)
got=$(lab_exec c2 curl -sS --fail --max-time 60 -T "$LAB_TMP/www/big" "http://127.0.0.1:7100/sum") ||
    lab_fail "100 MB upload through the visitor"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$got" = "$want 100000000" ] || lab_fail "100 MB upload: backend got '$got', want '$want 100000000'"
lab_pass "100 MB upload through the visitor: backend's sha256 matches (${ms} ms)"
lab_check "visitor log names peer, proxy and path" \
    grep -q "visitor connected name=web-v proxy=alice.web peer=.* path=relay" "$LAB_TMP/visitor.log"

# --- tcpdump at srv: the marker crosses in the clear only through the control --
# capture NAME CMD...: run CMD (a fetch of m.txt) under tcpdump at srv; leaves
# the number of capture lines holding the marker in $hits, its size in $bytes.
capture() {
    local name=$1 pcap="$LAB_TMP/$1.pcap"; shift
    lab_bg srv "$LAB_TMP/tcpdump-$name.log" tcpdump -i any -U -s 0 -w "$pcap" tcp
    local pid=$LAB_LAST_PID
    lab_wait_log "$LAB_TMP/tcpdump-$name.log" "listening on" 10 || lab_fail "tcpdump did not start"
    "$@" || lab_fail "$name: the fetch failed"
    cmp -s "$LAB_TMP/m.got" "$LAB_TMP/www/m.txt" || lab_fail "$name: the file arrived damaged"
    sleep 0.3 # the last segments reach the capture file (-U)
    lab_kill "$pid" INT
    hits=$(grep -a -c -- "$MARKER" "$pcap" || true)
    bytes=$(stat -c %s "$pcap")
}
size=$(stat -c %s "$LAB_TMP/www/m.txt")
capture control lab_exec user curl -sS --fail --max-time 20 -o "$LAB_TMP/m.got" "http://$SRV_ADDR:6000/file/m.txt"
[ "$hits" -gt 0 ] || lab_fail "control: the marker is not in the capture of a plain tcp proxy (${bytes} B)"
lab_pass "control: the plain tcp proxy's capture shows the marker (${hits} lines, ${bytes} B)"
capture stcp lab_exec c2 curl -sS --fail --max-time 20 -o "$LAB_TMP/m.got" "http://127.0.0.1:7100/file/m.txt"
[ "$bytes" -gt "$size" ] || lab_fail "stcp: the capture holds ${bytes} B, less than the ${size} B relayed"
[ "$hits" -eq 0 ] || lab_fail "stcp: the marker is in the capture at the server (${hits} lines)"
lab_pass "stcp: ${size} B of markers relayed, none in the ${bytes} B captured at the server"

# --- refusals ---------------------------------------------------------------
# refused PORT WHAT: a connection to the visitor's PORT is closed within 4 s.
refused() {
    local start took
    start=$(date +%s%N)
    lab_exec c2 timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf x >&3; cat <&3 >/dev/null" 2>/dev/null
    took=$((($(date +%s%N) - start) / 1000000))
    [ "$took" -lt 4000 ] || lab_fail "$2: the local connection was not closed at once (${took} ms)"
}
# serves: the good port still works.
serves() {
    local got
    got=$(lab_exec c2 curl -sS --fail --max-time 10 "http://127.0.0.1:7100/echo") &&
        grep -q '"site": *"A"' <<<"$got" || lab_fail "visitor port after $1: $got"
}

refused 7101 "wrong user"
lab_wait_log "$LAB_TMP/owner.log" "stcp visitor refused proxy=db visitor=bob path=relay reason=user-not-allowed" 5 ||
    lab_fail "owner did not log the user not allowed"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=db-v proxy=alice.db path=relay reason=user-not-allowed" 5 ||
    lab_fail "visitor did not log the user not allowed"
serves "the wrong user"
lab_pass "user bob, not allowed by default on alice's db: refused, logged by owner and visitor; port 7100 serves"

refused 7102 "wrong key"
lab_wait_log "$LAB_TMP/owner.log" "stcp visitor refused proxy=web visitor=bob path=relay reason=wrong-key" 5 ||
    lab_fail "owner did not log the wrong key"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=key-v proxy=alice.web path=relay reason=wrong-key" 5 ||
    lab_fail "visitor did not log the wrong key"
serves "the wrong key"
lab_pass "wrong key: refused, logged by owner and visitor; port 7100 serves"

refused 7103 "unknown serverName"
lab_wait_log "$LAB_TMP/server.log" "stcp visitor refused proxy=alice.nope visitor=bob .*reason=unknown-proxy" 5 ||
    lab_fail "server did not log the unknown proxy"
lab_wait_log "$LAB_TMP/visitor.log" "visitor refused name=nope-v proxy=alice.nope path=relay reason=unknown-proxy" 5 ||
    lab_fail "visitor did not log the unknown proxy"
serves "the unknown serverName"
lab_pass "unknown serverName: refused, logged by server and visitor; port 7100 serves"

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_stcp_more"
