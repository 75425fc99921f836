#!/usr/bin/env bash
# test_ftp (#13): Debian's vsftpd in c1 behind nat1, reached from user.
#  1. ONE tcp proxy block with `ftp = true` (srv:6021 -> c1:2121), vsftpd
#     untouched (its passive answers name 192.168.1.10): curl (EPSV, and
#     PASV with --disable-epsv) and lftp (PASV) move 50 MB each way, three
#     transfers at once, checksums compared; active mode (curl -P -, EPRT
#     and PORT; lftp with passive-mode off) 50 MB each way through the same
#     block; a PORT/EPRT naming a third party is refused by the server (FTP
#     bounce) and the transfer fails cleanly; the client's CFA_MAX with a fake
#     FTP server (ftp_fake_server.py); FTP_ACTIVE_MAX from a raw client.
#  2. The port-range route (the one FTPS can use): a second vsftpd with
#     pasv_address = the server's public address and a passive range of 10
#     ports, published by frp's parseNumberRangePair template (10 proxies)
#     plus a plain tcp proxy for the control port; curl transfers work.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
lab_trap
brw_require || exit 1
command -v vsftpd >/dev/null || [ -x /usr/sbin/vsftpd ] || { echo "SKIP: no vsftpd" >&2; exit 77; }
command -v lftp >/dev/null || { echo "SKIP: no lftp" >&2; exit 77; }
lab_up || lab_fail "lab_up"

PUB=203.0.113.10
mkdir -p "$LAB_TMP/empty" "$LAB_TMP/root/pub" "$LAB_TMP/got"
chmod 755 "$LAB_TMP" "$LAB_TMP/root"
chmod 777 "$LAB_TMP/root/pub"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$LAB_TMP/root/pub/big"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$LAB_TMP/up"
chmod 644 "$LAB_TMP/root/pub/big" "$LAB_TMP/up"
want=$(sha256sum <"$LAB_TMP/root/pub/big" | cut -d' ' -f1)
want_up=$(sha256sum <"$LAB_TMP/up" | cut -d' ' -f1)

# vsftpd_conf FILE PORT PASV_MIN PASV_MAX [EXTRA...]
vsftpd_conf() {
    local f=$1 port=$2 lo=$3 hi=$4; shift 4
    {
        echo "listen=YES"
        echo "listen_ipv6=NO"
        echo "listen_address=192.168.1.10"
        echo "listen_port=$port"
        echo "background=NO"
        echo "anonymous_enable=YES"
        echo "no_anon_password=YES"
        echo "local_enable=NO"
        echo "write_enable=YES"
        echo "anon_upload_enable=YES"
        echo "anon_other_write_enable=YES"
        echo "anon_umask=022"
        echo "anon_root=$LAB_TMP/root"
        echo "secure_chroot_dir=$LAB_TMP/empty"
        echo "seccomp_sandbox=NO"
        echo "pasv_enable=YES"
        echo "pasv_min_port=$lo"
        echo "pasv_max_port=$hi"
        echo "port_enable=YES"
        echo "connect_from_port_20=NO"
        echo "xferlog_enable=YES"
        echo "vsftpd_log_file=$f.log"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$f"
}
vsftpd_conf "$LAB_TMP/vsftpd1.conf" 2121 30000 30009
vsftpd_conf "$LAB_TMP/vsftpd2.conf" 2122 30010 30019 "pasv_address=$PUB"
lab_bg c1 "$LAB_TMP/vsftpd1.out" /usr/sbin/vsftpd "$LAB_TMP/vsftpd1.conf"
lab_bg c1 "$LAB_TMP/vsftpd2.out" /usr/sbin/vsftpd "$LAB_TMP/vsftpd2.conf"
lab_wait_port c1 tcp 192.168.1.10 2121 10 || lab_fail "vsftpd 1 did not start"
lab_wait_port c1 tcp 192.168.1.10 2122 10 || lab_fail "vsftpd 2 did not start"

token=$(brw_token)
cat >"$LAB_TMP/frps.toml" <<EOF
bindAddr = "$SRV_ADDR"
bindPort = $SRV_PORT
auth.token = "$token"
allowPorts = [{ start = 6000, end = 6100 }, { start = 30010, end = 30019 }]
log.level = "debug"
EOF
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
cat >>"$LAB_TMP/frpc.toml" <<'EOF'

[[proxies]]
name = "ftp"
type = "tcp"
localIP = "192.168.1.10"
localPort = 2121
remotePort = 6021
ftp = true

# a minimal FTP server (ftp_fake_server.py) for the client's bound
[[proxies]]
name = "ftpfake"
type = "tcp"
localIP = "192.168.1.10"
localPort = 2123
remotePort = 6023
ftp = true

[[proxies]]
name = "ftp2"
type = "tcp"
localIP = "192.168.1.10"
localPort = 2122
remotePort = 6022

# a range with one port outside allowPorts (6101): refused whole
[[proxies]]
name = "bad"
type = "tcp"
localPort = "31000-31002"
remotePort = "6099-6101"

{{- range $_, $v := parseNumberRangePair "30010-30019" "30010-30019" }}
[[proxies]]
name = "ftp2-pasv-{{ $v.First }}"
type = "tcp"
localIP = "192.168.1.10"
localPort = {{ $v.First }}
remotePort = {{ $v.Second }}
{{- end }}
EOF
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
client_pid=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" ftp tcp 6021 || lab_fail "proxy ftp"
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" ftp2-pasv-30019 tcp 30019 ||
    lab_fail "template proxies not registered"
lab_pass "one ftp proxy and 1 + 10 range-route proxies (template) registered"
lab_wait_log "$LAB_TMP/client.log" 'proxy refused.*name=bad-31000.*port range 6099-6101: port 6101 is not allowed' 10 ||
    lab_fail "range with a port outside allowPorts not refused whole"
grep -q 'proxy listening.*port=6099' "$LAB_TMP/server.log" && lab_fail "a port of a refused range was opened"
lab_pass "a range with 6101 outside allowPorts is refused whole, naming 6101"

# check FILE WANT WHAT
check() {
    local got
    got=$(sha256sum <"$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || lab_fail "$3: sha256 $got, want $2"
}

URL=ftp://$PUB:6021
# Sequential first: EPSV (229) and PASV (227), down and up.
lab_exec user curl -sS --fail --max-time 30 -o "$LAB_TMP/got/epsv" "$URL/pub/big" ||
    lab_fail "curl EPSV download"
check "$LAB_TMP/got/epsv" "$want" "curl EPSV download"
lab_exec user curl -sS --fail --max-time 30 --disable-epsv -T "$LAB_TMP/up" "$URL/pub/up-pasv" ||
    lab_fail "curl PASV upload"
check "$LAB_TMP/root/pub/up-pasv" "$want_up" "curl PASV upload"
grep -q 'ftp data port' "$LAB_TMP/server.log" || lab_fail "server opened no ftp data port"
lab_pass "curl through one ftp proxy: 50 MB down (EPSV) and 50 MB up (PASV), sha256 match"

# Parallel: two curl downloads, an lftp upload and an lftp download at once.
lab_exec user curl -sS --fail --max-time 40 --disable-epsv -o "$LAB_TMP/got/p1" "$URL/pub/big" &
p1=$!
lab_exec user curl -sS --fail --max-time 40 -o "$LAB_TMP/got/p2" "$URL/pub/big" &
p2=$!
lab_exec user lftp -e "set net:max-retries 1; set net:timeout 20; set ftp:passive-mode on; \
put -O pub $LAB_TMP/up -o up-lftp; get pub/big -o $LAB_TMP/got/p3; bye" "ftp://anonymous:x@$PUB:6021" \
    >"$LAB_TMP/lftp.out" 2>&1 &
p3=$!
wait $p1 || lab_fail "parallel curl PASV download"
wait $p2 || lab_fail "parallel curl EPSV download"
wait $p3 || { cat "$LAB_TMP/lftp.out" >&2; lab_fail "parallel lftp put/get"; }
check "$LAB_TMP/got/p1" "$want" "parallel curl 1"
check "$LAB_TMP/got/p2" "$want" "parallel curl 2"
check "$LAB_TMP/got/p3" "$want" "lftp get"
check "$LAB_TMP/root/pub/up-lftp" "$want_up" "lftp put"
lab_pass "parallel: 2 curl downloads + lftp put and get, 50 MB each, sha256 match"

# Active mode through the same proxy block: the user (public, no NAT) names
# its own address; burrow gives vsftpd a LAN listener and the server dials
# the user. curl -P - sends EPRT (then PORT with --disable-eprt).
lab_exec user curl -sS --fail --max-time 30 -P - -o "$LAB_TMP/got/act" "$URL/pub/big" ||
    lab_fail "curl active (EPRT) download"
check "$LAB_TMP/got/act" "$want" "curl active download"
lab_exec user curl -sS --fail --max-time 30 -P - --disable-eprt -T "$LAB_TMP/up" \
    "$URL/pub/up-active" || lab_fail "curl active (PORT) upload"
check "$LAB_TMP/root/pub/up-active" "$want_up" "curl active upload"
lab_wait_log "$LAB_TMP/server.log" 'ftp-active relay finished' 5 || lab_fail "no ftp-active relay in the server log"
lab_exec user lftp -e "set net:max-retries 1; set net:timeout 20; set ftp:passive-mode off; \
put -O pub $LAB_TMP/up -o up-lftp-act; get pub/big -o $LAB_TMP/got/act2; bye" \
    "ftp://anonymous:x@$PUB:6021" >"$LAB_TMP/lftp-act.out" 2>&1 ||
    { cat "$LAB_TMP/lftp-act.out" >&2; lab_fail "lftp active put/get"; }
check "$LAB_TMP/got/act2" "$want" "lftp active get"
check "$LAB_TMP/root/pub/up-lftp-act" "$want_up" "lftp active put"
lab_pass "active mode: curl EPRT down, PORT up, lftp put and get, 50 MB each, sha256 match"

# The FTP bounce attack (RFC 2577): a PORT naming another host than the
# user's. vsftpd says 200 (it sees burrow's LAN listener); the server
# refuses to dial and the transfer fails cleanly (425/426), nothing moves.
cat >"$LAB_TMP/bounce.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
f = s.makefile("rwb", buffering=0)
def reply():
    line = f.readline().decode()
    while line[3:4] == "-":
        line = f.readline().decode()
    return line.strip()
def cmd(c):
    f.write((c + "\r\n").encode())
    return reply()
print(reply())
print(cmd("USER anonymous"))
print(cmd("PASS x"))
print(cmd("TYPE I"))
print(cmd(sys.argv[3]))
r = cmd("RETR pub/big")
print(r)
if r.startswith("150"):
    print(reply())
PY
for c in "PORT 203,0,113,60,156,65" "EPRT |1|203.0.113.60|40001|"; do
    out=$(lab_exec user python3 "$LAB_TMP/bounce.py" "$PUB" 6021 "$c" 2>&1) ||
        lab_fail "bounce script ($c): $out"
    echo "$out" | grep -q '^200 ' || lab_fail "bounce ($c): no 200 for the rewritten command: $out"
    echo "$out" | tail -1 | grep -Eq '^42[56] ' || lab_fail "bounce ($c): want 425/426 last: $out"
done
lab_wait_log "$LAB_TMP/server.log" 'ftp active: refused.*target=203.0.113.60:40001.*not the user' 5 ||
    lab_fail "server did not log the refused bounce"
lab_wait_log "$LAB_TMP/client.log" 'ftp active: the server will not dial the user' 5 ||
    lab_fail "client did not log the refusal"
lab_pass "a PORT/EPRT naming a third-party address: the server refuses to dial, the transfer fails (42x)"

# The client's bound: at most CFA_MAX (8) FTP server connections wait for
# their dial per control connection. A fake FTP server connects at once for
# each PORT; the user drops SYNs to the port it names, so every dial hangs;
# the 9th PORT gets burrow's own 425.
lab_bg c1 "$LAB_TMP/fake.out" python3 -u "$(dirname "$0")/ftp_fake_server.py" 192.168.1.10 2123
lab_wait_port c1 tcp 192.168.1.10 2123 10 || lab_fail "fake FTP server did not start"
lab_exec user nft -f - <<'NFT' || lab_fail "nft drop rule in user"
table inet ftpdrop {
  chain input { type filter hook input priority filter; policy accept; tcp dport 40935 drop; }
}
NFT
brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" ftpfake tcp 6023 || lab_fail "proxy ftpfake"
out=$(lab_exec user python3 - "$PUB" 6023 <<'PY' 2>&1
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
f = s.makefile("rwb", buffering=0)
print(f.readline().decode().strip())
for i in range(9):
    time.sleep(0.3)  # the FTP server's connection is accepted before the next PORT
    f.write(b"PORT 203,0,113,50,159,231\r\n")
    print(f.readline().decode().strip())
f.write(b"QUIT\r\n")
print(f.readline().decode().strip())
PY
) || lab_fail "bound script: $out"
[ "$(echo "$out" | grep -c '^200 ok$')" = 8 ] || lab_fail "CFA_MAX: want 8 PORTs taken: $out"
echo "$out" | sed -n 10p | grep -q '^425 burrow cannot take an active data connection now' ||
    lab_fail "CFA_MAX: the 9th PORT did not get burrow's 425: $out"
[ "$(grep -c '^connected' "$LAB_TMP/fake.out")" = 8 ] || lab_fail "fake server: $(cat "$LAB_TMP/fake.out")"
lab_pass "client bound: 8 FTP server connections wait per control connection, the 9th PORT gets 425"

# The server's bound on dials (FTP_ACTIVE_MAX 16) and its checks, from a raw
# client: 20 dials to a silent address (4 refused), a third party, port 25,
# a foreign proxy.
out=$(lab_exec user timeout 40 python3 "$(dirname "$0")/brw_wire.py" ftpactive "$SRV_ADDR" \
    "$SRV_PORT" "$token" 20) || lab_fail "brw_wire ftpactive: $out"
echo "$out" | grep -q '^4 too many dials$' || lab_fail "FTP_ACTIVE_MAX: $out"
echo "$out" | grep -Eq '^16 dial (failed|timed out)$' || lab_fail "FTP_ACTIVE_MAX dials: $out"
echo "$out" | grep -q "^1 target is not the user's address$" || lab_fail "third party: $out"
echo "$out" | grep -q '^1 target port below 1024$' || lab_fail "low port: $out"
echo "$out" | grep -q '^1 unknown tcp proxy$' || lab_fail "foreign proxy: $out"
lab_pass "FTP_ACTIVE_DIAL: 16 dials at most per session, third party / port 25 / foreign proxy refused"

# The port-range route: vsftpd announces the server's address, the template
# carries its passive range.
URL2=ftp://$PUB:6022
lab_exec user curl -sS --fail --max-time 30 --disable-epsv -o "$LAB_TMP/got/r1" "$URL2/pub/big" ||
    lab_fail "range route: curl PASV download"
check "$LAB_TMP/got/r1" "$want" "range route download"
lab_exec user curl -sS --fail --max-time 30 --disable-epsv -T "$LAB_TMP/up" "$URL2/pub/up-range" ||
    lab_fail "range route: curl PASV upload"
check "$LAB_TMP/root/pub/up-range" "$want_up" "range route upload"
lab_pass "range route (pasv_address + parseNumberRangePair template): 50 MB down and up"

# The server's bound: at most FTP_DATA_MAX (16) data listeners wait per
# session; a proxy the session does not own gets none.
out=$(lab_exec user timeout 30 python3 "$(dirname "$0")/brw_wire.py" ftpdata "$SRV_ADDR" "$SRV_PORT" \
    "$token" 20) || lab_fail "brw_wire ftpdata: $out"
echo "$out" | grep -q '^ports=16 errors=5$' || lab_fail "FTP_DATA_MAX: got $out"
echo "$out" | grep -q '^4 too many data ports waiting$' || lab_fail "FTP_DATA_MAX refusals: $out"
echo "$out" | grep -q '^1 unknown tcp proxy$' || lab_fail "foreign proxy: $out"
lab_pass "FTP_DATA_PORT: 16 listeners at most per session (4 of 20 refused), none for a foreign proxy"

lab_alive "$BRW_SERVER_PID" || lab_fail "server died"

# Stopping with a transfer in flight (a control connection in cftp, a data
# relay): both ends close every handle, no sanitizer report.
lab_exec user curl -sS --limit-rate 2M -o /dev/null "$URL/pub/big" 2>/dev/null &
slow=$!
n0=$(lab_count_log "$LAB_TMP/server.log" 'ftp-data relay finished')
sleep 1
brw_stop_clean "$client_pid" "$LAB_TMP/client.log" "client with an FTP transfer in flight"
wait $slow 2>/dev/null && lab_fail "the slow transfer finished although the client stopped"
brw_stop_clean "$BRW_SERVER_PID" "$LAB_TMP/server.log" "server"
lab_pass "client and server stop cleanly with an FTP transfer in flight (relays before: $n0)"
echo "PASS test_ftp"
