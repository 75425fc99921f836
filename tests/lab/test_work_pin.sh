#!/usr/bin/env bash
# test_work_pin: work connections are pinned to the certificate of the
# control connection even when the client trusts a CA. Two servers hold
# certificates from the same CA, both valid for 203.0.113.10 (SAN IP): A on
# :7000, B on :7001. The client (trustedCaFile = the CA) logs in to A; then
# nat1 DNATs new connections for 203.0.113.10:7000 to :7001, so the next work
# connection lands on B. The client must refuse it after the handshake
# (`work connection reached a different server`) and never send B its work
# HELLO (B logs no work-connection refusal); the existing tunnel keeps working.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
ECHO=$(lab_tool tcp_echo) || exit 1
BLAST=$(lab_tool tcp_blast) || exit 1
command -v openssl >/dev/null || { echo "openssl CLI not found" >&2; exit 1; }
lab_up || lab_fail "lab_up"

pki="$LAB_TMP/pki"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=burrow test ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>>"$pki/openssl.log" || lab_fail "openssl: CA"
printf 'subjectAltName=IP:203.0.113.10\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$pki/leaf.ext"
for s in a b; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=server-$s" \
        -keyout "$pki/$s.key" -out "$pki/$s.csr" 2>>"$pki/openssl.log" &&
        openssl x509 -req -in "$pki/$s.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
            -days 2 -extfile "$pki/leaf.ext" -out "$pki/$s.crt" 2>>"$pki/openssl.log" &&
        chmod 600 "$pki/$s.key" || lab_fail "openssl: leaf $s: $(cat "$pki/openssl.log")"
done
lab_pass "one CA signed two server certificates for IP 203.0.113.10"

lab_bg c1 "$LAB_TMP/echo.log" "$ECHO" -b 192.168.1.10 9000
lab_wait_port c1 tcp 192.168.1.10 9000 5 || lab_fail "tcp_echo in c1 did not start"
token=$(brw_token)
for s in a b; do
    brw_server_conf "$LAB_TMP/srv-$s.toml" "$token" \
        "transport.tls.certFile = \"$pki/$s.crt\"" "transport.tls.keyFile = \"$pki/$s.key\""
done
sed -i 's/^bindPort = .*/bindPort = 7001/' "$LAB_TMP/srv-b.toml"
mkdir -p "$LAB_TMP/state-b"
lab_bg srv "$LAB_TMP/server-b.log" "$BURROW_BIN" server -c "$LAB_TMP/srv-b.toml" --state-dir "$LAB_TMP/state-b"
srv_b=$LAB_LAST_PID
lab_wait_port srv tcp "$SRV_ADDR" 7001 10 || lab_fail "server B did not start"
brw_start_server "$LAB_TMP/srv-a.toml" "$LAB_TMP/server.log" || lab_fail "server A did not start"
brw_client_conf "$LAB_TMP/frpc.toml" "$token" "transport.tls.trustedCaFile = \"$pki/ca.crt\""
brw_proxy "$LAB_TMP/frpc.toml" echo tcp 192.168.1.10 9000 6080
brw_start_client c1 client "$LAB_TMP/frpc.toml"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" echo tcp 6080 || lab_fail "proxy not registered"
out=$(lab_exec user "$BLAST" -t 10 203.0.113.10 6080 1 4096 2>&1) || lab_fail "before: $out"
lab_pass "client trusting the CA logged in to A; proxy works: ${out##*$'\n'}"

# From now on new connections from c1 to A:7000 reach B:7001.
lab_exec nat1 nft add chain ip natlab pin_pre '{ type nat hook prerouting priority dstnat; policy accept; }' &&
    lab_exec nat1 nft add rule ip natlab pin_pre iifname lan ip daddr "$SRV_ADDR" tcp dport 7000 \
        counter dnat to "$SRV_ADDR:7001" || lab_fail "cannot add the DNAT rule"
# Each user connection takes an idle work conn; A asks for a replacement.
for i in 1 2 3; do lab_exec user "$BLAST" -t 10 203.0.113.10 6080 1 4096 >/dev/null 2>&1; done
lab_wait_log "$LAB_TMP/client.log" 'work connection reached a different server' 10 ||
    lab_fail "client did not refuse the work connection that reached B"
lab_pass "client: $(grep -m1 'work connection reached a different server' "$LAB_TMP/client.log" | cut -c25-200)"
dnat=$(lab_exec nat1 nft list chain ip natlab pin_pre | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${dnat:-0}" -gt 0 ] || lab_fail "the DNAT rule matched nothing: no work connection went to B"
sleep 0.5
if grep -Eq 'unknown-run-id|bad-work-proof|role=work' "$LAB_TMP/server-b.log"; then
    lab_fail "server B received a work HELLO: $(grep -Em1 'unknown-run-id|bad-work-proof|role=work' "$LAB_TMP/server-b.log")"
fi
lab_pass "server B never saw a work HELLO ($dnat packets DNATed to it)"
lab_alive "$srv_b" && lab_alive "$BRW_SERVER_PID" || lab_fail "a server died"
echo "PASS test_work_pin"
