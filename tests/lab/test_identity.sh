#!/usr/bin/env bash
# test_identity: how the client verifies the server.
#  (i)   trust on first use: the first login writes STATE/known_servers with
#        the fingerprint the server logged (`tls certificate fingerprint=`);
#  (ii)  the server restarts with another state dir (a new certificate): the
#        client logs `server identity CHANGED` on every attempt and never logs
#        in again;
#  (iii) a pinned transport.tls.serverFingerprint: a wrong one is refused
#        (`fingerprint mismatch`), the right one logs in;
#  (iv)  a CA made with the openssl CLI signs a server certificate with
#        SAN IP:203.0.113.10 (transport.tls.certFile/keyFile): a client with
#        that CA as trustedCaFile logs in and its proxy works, a client trusting
#        another CA does not; control: the same CA's certificate for another IP
#        is refused (host name check).
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
command -v openssl >/dev/null || { echo "openssl CLI not found" >&2; exit 1; }
lab_up || lab_fail "lab_up"

# srv_start STATEDIR CONF LOG: like brw_start_server, with a chosen state dir.
srv_start() {
    mkdir -p "$1"
    lab_bg srv "$3" "$BURROW_BIN" server -c "$2" --state-dir "$1"
    BRW_SERVER_PID=$LAB_LAST_PID
    lab_wait_log "$3" 'listening' 10 || return 1
    lab_wait_port srv tcp "$SRV_ADDR" "$SRV_PORT" 10 || return 1
    lab_alive "$BRW_SERVER_PID"
}
srv_fp() { sed -n 's/.*tls certificate fingerprint=\([^ ]*\).*/\1/p' "$1" | head -n1; }
# client NAME PORT [TOML...]: write NAME.toml with one echo proxy on PORT, start it in c1.
client() {
    local name=$1 port=$2; shift 2
    brw_client_conf "$LAB_TMP/$name.toml" "$token" "$@"
    brw_proxy "$LAB_TMP/$name.toml" "echo-$name" tcp 192.168.1.10 9000 "$port"
    brw_start_client c1 "$name" "$LAB_TMP/$name.toml"
}
# never_logs_in NAME REGEX: REGEX shows up in NAME.log at least twice (so the
# client retried), and NAME never logged in.
never_logs_in() {
    lab_wait_log "$LAB_TMP/$1.log" "$2" 15 2 || lab_fail "$1: '$2' not logged twice"
    if grep -q 'login ok' "$LAB_TMP/$1.log"; then lab_fail "$1 logged in"; fi
}

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token"

# --- (i) trust on first use ---------------------------------------------------
srv_start "$LAB_TMP/srv-state1" "$LAB_TMP/frps.toml" "$LAB_TMP/server1.log" || lab_fail "server 1 did not start"
fp1=$(srv_fp "$LAB_TMP/server1.log")
[[ $fp1 =~ ^sha256:[0-9a-f]{64}$ ]] || lab_fail "server 1 logged no fingerprint (got '$fp1')"
[ ! -e "$LAB_TMP/tofu-state/known_servers" ] || lab_fail "known_servers exists before the first contact"
client tofu 6001
tofu_pid=$LAB_LAST_PID
brw_wait_proxy "$LAB_TMP/tofu.log" "$LAB_TMP/server1.log" echo-tofu tcp 6001 || lab_fail "(i) tofu client did not register"
known="$LAB_TMP/tofu-state/known_servers"
[ -f "$known" ] || lab_fail "(i) $known not written"
grep -Eq "^203\.0\.113\.10:7000 $fp1\$" "$known" ||
    lab_fail "(i) known_servers does not hold '203.0.113.10:7000 $fp1': $(cat "$known")"
lab_pass "(i) first contact recorded '$(cat "$known")', the fingerprint server 1 logged"
grep -q "first connection to server=.*fingerprint=$fp1" "$LAB_TMP/tofu.log" || lab_fail "(i) client did not log the first-use trust"

# --- (iii) pinned fingerprint -------------------------------------------------
last=${fp1: -1}
case $last in 0) other=1 ;; *) other=0 ;; esac
wrong_fp="${fp1%?}$other"
client pinbad 6002 "transport.tls.serverFingerprint = \"$wrong_fp\""
client pinok 6003 "transport.tls.serverFingerprint = \"$fp1\""
brw_wait_proxy "$LAB_TMP/pinok.log" "$LAB_TMP/server1.log" echo-pinok tcp 6003 ||
    lab_fail "(iii) client pinning the right fingerprint did not register"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6003 2 65536 2>&1) || lab_fail "(iii) pinok proxy: $out"
lab_pass "(iii) right pin logs in, proxy works: ${out##*$'\n'}"
never_logs_in pinbad 'fingerprint mismatch'
grep -q "fingerprint mismatch.*expected=$wrong_fp got=$fp1" "$LAB_TMP/pinbad.log" ||
    lab_fail "(iii) mismatch line does not name expected and got"
[ ! -e "$LAB_TMP/pinbad-state/known_servers" ] || ! grep -q . "$LAB_TMP/pinbad-state/known_servers" ||
    lab_fail "(iii) the pinned client wrote known_servers"
lab_pass "(iii) wrong pin refused: $(grep -m1 'fingerprint mismatch' "$LAB_TMP/pinbad.log" | cut -c25-140)..."
if grep -q 'proxy listening name=echo-pinbad' "$LAB_TMP/server1.log"; then lab_fail "(iii) pinbad's proxy opened"; fi

# --- (ii) the certificate changes -------------------------------------------
lab_kill "$BRW_SERVER_PID" KILL
srv_start "$LAB_TMP/srv-state2" "$LAB_TMP/frps.toml" "$LAB_TMP/server2.log" || lab_fail "server 2 did not start"
fp2=$(srv_fp "$LAB_TMP/server2.log")
[[ $fp2 =~ ^sha256:[0-9a-f]{64}$ ]] && [ "$fp2" != "$fp1" ] || lab_fail "(ii) server 2 fingerprint '$fp2' is not new"
t0=$SECONDS
never_logs_in_since() { # NAME REGEX: like never_logs_in, but allow the one earlier login
    lab_wait_log "$LAB_TMP/$1.log" "$2" 15 2 || lab_fail "$1: '$2' not logged twice"
}
never_logs_in_since tofu 'server identity CHANGED'
grep -q "server identity CHANGED.*recorded=$fp1 got=$fp2" "$LAB_TMP/tofu.log" ||
    lab_fail "(ii) CHANGED line does not name the recorded and new fingerprints"
# Give it ~5 s of retries in all.
while [ $((SECONDS - t0)) -lt 5 ]; do sleep 0.2; done
n=$(lab_count_log "$LAB_TMP/tofu.log" 'login ok')
[ "$n" = 1 ] || lab_fail "(ii) tofu client logged in $n times, want only the first"
if grep -q 'client logged in' "$LAB_TMP/server2.log"; then lab_fail "(ii) server 2 saw a login"; fi
grep -Eq "^203\.0\.113\.10:7000 $fp1\$" "$known" || lab_fail "(ii) known_servers was rewritten"
grep -q "$fp2" "$known" && lab_fail "(ii) known_servers took the new fingerprint"
lab_alive "$tofu_pid" || lab_fail "(ii) tofu client exited"
lab_pass "(ii) new certificate: $(lab_count_log "$LAB_TMP/tofu.log" 'server identity CHANGED') x 'server identity CHANGED', no login in $((SECONDS - t0)) s, known_servers unchanged"
never_logs_in_since pinok 'fingerprint mismatch'
lab_pass "(iii) the client pinning server 1 refuses server 2 too"

# --- (iv) a private CA --------------------------------------------------------
pki="$LAB_TMP/pki"
mkdir -p "$pki"
mkca() { # NAME: self-signed CA NAME.crt/NAME.key
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=burrow test $1" -keyout "$pki/$1.key" -out "$pki/$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>>"$pki/openssl.log"
}
mkleaf() { # NAME CA SAN: NAME.crt/NAME.key signed by CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>>"$pki/openssl.log" &&
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$pki/$1.ext" &&
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" -CAkey "$pki/$2.key" -CAcreateserial \
        -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>>"$pki/openssl.log" &&
    chmod 600 "$pki/$1.key"
}
mkca ca && mkca otherca && mkleaf server ca IP:203.0.113.10 && mkleaf wrongip ca IP:203.0.113.99 ||
    lab_fail "(iv) openssl failed: $(cat "$pki/openssl.log")"
openssl verify -CAfile "$pki/ca.crt" "$pki/server.crt" >/dev/null || lab_fail "(iv) server.crt does not verify against ca.crt"
openssl x509 -in "$pki/server.crt" -noout -ext subjectAltName | grep -q 'IP Address:203.0.113.10' ||
    lab_fail "(iv) server.crt lacks SAN IP:203.0.113.10"
lab_pass "(iv) openssl made ca, otherca, server (SAN IP:203.0.113.10, by ca), wrongip (SAN IP:203.0.113.99, by ca)"
lab_kill "$tofu_pid"
lab_kill "$BRW_SERVER_PID" KILL
cp "$LAB_TMP/frps.toml" "$LAB_TMP/frps-ca.toml"
printf 'transport.tls.certFile = "%s"\ntransport.tls.keyFile = "%s"\n' "$pki/server.crt" "$pki/server.key" >>"$LAB_TMP/frps-ca.toml"
srv_start "$LAB_TMP/srv-state3" "$LAB_TMP/frps-ca.toml" "$LAB_TMP/server3.log" || lab_fail "(iv) server with the CA-signed cert did not start"
fp3=$(srv_fp "$LAB_TMP/server3.log")
want3="sha256:$(openssl x509 -in "$pki/server.crt" -outform DER | sha256sum | cut -d' ' -f1)"
[ "$fp3" = "$want3" ] || lab_fail "(iv) server 3 serves '$fp3', not server.crt ($want3)"
client caok 6004 "transport.tls.trustedCaFile = \"$pki/ca.crt\""
client cabad 6005 "transport.tls.trustedCaFile = \"$pki/otherca.crt\""
brw_wait_proxy "$LAB_TMP/caok.log" "$LAB_TMP/server3.log" echo-caok tcp 6004 ||
    lab_fail "(iv) client trusting ca did not register"
lab_wait_log "$LAB_TMP/caok.log" 'login ok.*tls=yes' 1 || lab_fail "(iv) caok did not log in over TLS"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6004 2 65536 2>&1) || lab_fail "(iv) caok proxy: $out"
lab_pass "(iv) client trusting ca logs in to the CA-signed server; proxy works: ${out##*$'\n'}"
never_logs_in cabad 'reconnecting in'
lab_pass "(iv) client trusting otherca never logs in: $(grep -m1 -Ei 'fail|refus|verif|untrusted' "$LAB_TMP/cabad.log" | cut -c25-160)"
if grep -q 'proxy listening name=echo-cabad' "$LAB_TMP/server3.log"; then lab_fail "(iv) cabad's proxy opened"; fi

# Control: a certificate from the same CA for another IP must fail the host check.
lab_kill "$BRW_SERVER_PID" KILL
cp "$LAB_TMP/frps.toml" "$LAB_TMP/frps-wrongip.toml"
printf 'transport.tls.certFile = "%s"\ntransport.tls.keyFile = "%s"\n' "$pki/wrongip.crt" "$pki/wrongip.key" >>"$LAB_TMP/frps-wrongip.toml"
srv_start "$LAB_TMP/srv-state4" "$LAB_TMP/frps-wrongip.toml" "$LAB_TMP/server4.log" || lab_fail "(iv) server with wrongip cert did not start"
client caip 6006 "transport.tls.trustedCaFile = \"$pki/ca.crt\""
never_logs_in caip 'reconnecting in'
if grep -q 'client logged in' "$LAB_TMP/server4.log"; then lab_fail "(iv) server 4 (cert for 203.0.113.99) accepted a login"; fi
lab_pass "(iv) control: the CA's certificate for 203.0.113.99 is refused at 203.0.113.10"
echo "PASS test_identity"
