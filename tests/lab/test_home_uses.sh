#!/usr/bin/env bash
# test_home_uses: the seed's home uses (issue #13) through burrow with Debian's
# real software. The services run in c1 (behind nat1) next to the client, the
# users on `user`, the server on srv; each use moves real data, checked:
#   ssh   openssh-server (generated host key, an authorized key) via a tcp
#         proxy: a command runs, scp of 50 MB up and down, sha256 both ways
#   smb   smbd (generated smb.conf, a guest share) via a tcp proxy: smbclient
#         puts and gets 8 MB, sha256 both ways and of the file on the share
#   vnc   Xvnc (tigervnc, -SecurityTypes None) via a tcp proxy: rfb_client.py
#         does the RFB 3.8 handshake and reads a full-screen FramebufferUpdate
#   dav   nginx with dav_methods and the dav-ext module (PROPFIND) via an
#         http vhost proxy: PUT 8 MB, PROPFIND (207, the file and its length),
#         GET (sha256), DELETE
#   router a router-style admin page (router_page.py: cookie login, refuses a
#         foreign Host) via an http vhost proxy with hostHeaderRewrite: the
#         admin page without the cookie redirects, a wrong password is 403,
#         the right one sets the cookie and the page opens with it
# A use whose program is missing is skipped with a SKIP line (the package
# named). The MJPEG camera is test_home_camera.sh.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
LABDIR="${BURROW_SRC:-$(dirname "$0")/../..}/tests/lab"
C1=192.168.1.10
lab_up || lab_fail "lab_up"

have() { # PROGRAM PACKAGE USE: true when installed, else a SKIP line
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "SKIP: $3: $1 not installed (Debian package $2, scripts/deps.sh)"
    return 1
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }
USES=()

# ---- services in c1 ---------------------------------------------------------
start_sshd() {
    local d="$LAB_TMP/ssh"
    mkdir -p "$d" /run/sshd && chmod 700 "$d"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -f "$d/user_key" || return 1
    cp "$d/user_key.pub" "$d/authorized_keys"
    cat >"$d/sshd_config" <<EOF2
Port 2222
ListenAddress $C1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF2
    lab_bg c1 "$LAB_TMP/sshd.log" "$(command -v sshd)" -D -e -f "$d/sshd_config"
    lab_wait_port c1 tcp "$C1" 2222 10
}

start_smbd() {
    local d="$LAB_TMP/smb"
    mkdir -p "$d"/{private,lock,state,cache,pid,ncalrpc,share}
    chmod 777 "$d/share"
    cat >"$d/smb.conf" <<EOF2
[global]
  server role = standalone server
  interfaces = $C1
  bind interfaces only = yes
  smb ports = 4445
  disable netbios = yes
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/pid
  ncalrpc dir = $d/ncalrpc
  log file = $d/log.%m
  map to guest = Bad User
  load printers = no
  printing = bsd
  printcap name = /dev/null
[share]
  path = $d/share
  read only = no
  guest ok = yes
  force user = root
EOF2
    # smbd makes its own process group (it signals that group when it stops).
    lab_bg c1 "$LAB_TMP/smbd.log" "$(command -v smbd)" --foreground --debug-stdout -s "$d/smb.conf"
    lab_wait_port c1 tcp "$C1" 4445 15
}

start_xvnc() {
    # Displays are files in the shared /tmp (/tmp/.X11-unix/XN): one per run.
    VNC_DISPLAY=$((200 + $$ % 700))
    lab_bg c1 "$LAB_TMP/xvnc.log" Xvnc ":$VNC_DISPLAY" -rfbport 5901 -interface "$C1" \
        -SecurityTypes None -geometry 320x200 -depth 24 -nolisten tcp -desktop burrow-lab
    VNC_PID=$LAB_LAST_PID
    lab_wait_port c1 tcp "$C1" 5901 15
}

start_nginx_dav() {
    local d="$LAB_TMP/dav" mod=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so
    [ -f "$mod" ] || { echo "SKIP: dav: $mod missing (Debian package libnginx-mod-http-dav-ext)"; return 2; }
    mkdir -p "$d"/{root,tmp,logs}
    cat >"$d/nginx.conf" <<EOF2
load_module $mod;
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 64; }
http {
  access_log $d/logs/access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen $C1:8081;
    root $d/root;
    client_max_body_size 64m;
    dav_methods PUT DELETE MKCOL COPY MOVE;
    dav_ext_methods PROPFIND OPTIONS;
    create_full_put_path on;
    dav_access user:rw group:r all:r;
  }
}
EOF2
    lab_bg c1 "$LAB_TMP/nginx.log" nginx -p "$d" -c "$d/nginx.conf"
    lab_wait_port c1 tcp "$C1" 8081 10
}

ROUTER_PW=$(brw_token)
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/frpc.toml" "$token"
if have sshd openssh-server ssh && have scp openssh-client ssh; then
    start_sshd || lab_fail "sshd in c1 did not start"
    brw_proxy "$LAB_TMP/frpc.toml" ssh tcp "$C1" 2222 6022
    USES+=(ssh)
fi
if have smbd samba smb && have smbclient smbclient smb; then
    start_smbd || lab_fail "smbd in c1 did not start"
    brw_proxy "$LAB_TMP/frpc.toml" smb tcp "$C1" 4445 6045
    USES+=(smb)
fi
if have Xvnc tigervnc-standalone-server vnc; then
    start_xvnc || lab_fail "Xvnc in c1 did not start"
    brw_proxy "$LAB_TMP/frpc.toml" vnc tcp "$C1" 5901 6059
    USES+=(vnc)
fi
if have nginx nginx-light dav; then
    start_nginx_dav; rc=$?
    [ "$rc" = 1 ] && lab_fail "nginx (WebDAV) in c1 did not start"
    if [ "$rc" = 0 ]; then
        vhost_proxy "$LAB_TMP/frpc.toml" dav http "$C1" 8081 'customDomains = ["nas.example.com"]'
        USES+=(dav)
    fi
fi
# The router page lives on nat1's LAN address, as a router's does.
lab_bg nat1 "$LAB_TMP/router.log" python3 -u "$LABDIR/router_page.py" --bind 192.168.1.1 --port 8088 \
    --password "$ROUTER_PW"
lab_wait_port nat1 tcp 192.168.1.1 8088 10 || lab_fail "router page in nat1 did not start"
vhost_proxy "$LAB_TMP/frpc.toml" router http 192.168.1.1 8088 'customDomains = ["router.example.com"]' \
    'hostHeaderRewrite = "192.168.1.1"'
USES+=(router)

brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 client "$LAB_TMP/frpc.toml"
CPID=$LAB_LAST_PID
lab_wait_log "$LAB_TMP/client.log" 'login ok' 15 || lab_fail "client did not log in"
lab_wait_log "$LAB_TMP/client.log" 'proxy registered.*name=router' 15 || lab_fail "router proxy not registered"
for p in ssh:6022 smb:6045 vnc:6059; do
    [[ " ${USES[*]} " == *" ${p%%:*} "* ]] || continue
    brw_wait_proxy "$LAB_TMP/client.log" "$LAB_TMP/server.log" "${p%%:*}" tcp "${p##*:}" ||
        lab_fail "proxy ${p%%:*} not registered"
done
lab_pass "client in c1 serves: ${USES[*]}"

# ---- ssh + scp ----------------------------------------------------------------
use_ssh() {
    local k="$LAB_TMP/ssh/user_key" o=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes)
    out=$(lab_exec user ssh -i "$k" "${o[@]}" -p 6022 root@$SRV_ADDR 'echo hello-from-$(hostname -I | tr -d " ")') ||
        lab_fail "ssh: command through srv:6022 failed"
    [ "$out" = "hello-from-$C1" ] || lab_fail "ssh: got '$out'"
    head -c 52428800 /dev/urandom >"$LAB_TMP/scp-up"
    lab_exec user scp -q -i "$k" "${o[@]}" -P 6022 "$LAB_TMP/scp-up" "root@$SRV_ADDR:$LAB_TMP/scp-at-c1" ||
        lab_fail "ssh: scp up failed"
    [ "$(sha "$LAB_TMP/scp-at-c1")" = "$(sha "$LAB_TMP/scp-up")" ] || lab_fail "ssh: scp up sha256 differs"
    head -c 52428800 /dev/urandom >"$LAB_TMP/scp-src"
    lab_exec user scp -q -i "$k" "${o[@]}" -P 6022 "root@$SRV_ADDR:$LAB_TMP/scp-src" "$LAB_TMP/scp-down" ||
        lab_fail "ssh: scp down failed"
    [ "$(sha "$LAB_TMP/scp-down")" = "$(sha "$LAB_TMP/scp-src")" ] || lab_fail "ssh: scp down sha256 differs"
    lab_pass "ssh: a command ran in c1; scp 50 MB up and 50 MB down through srv:6022, sha256 match"
    rm -f "$LAB_TMP"/scp-*
}

# ---- samba ----------------------------------------------------------------------
use_smb() {
    head -c 8388608 /dev/urandom >"$LAB_TMP/smb-up"
    lab_exec user smbclient //$SRV_ADDR/share -p 6045 -N -m SMB3 \
        -c "lcd $LAB_TMP; put smb-up remote.bin; get remote.bin smb-down; ls" >"$LAB_TMP/smbclient.log" 2>&1 ||
        lab_fail "smb: smbclient put/get failed: $(tail -5 "$LAB_TMP/smbclient.log")"
    grep -q 'remote.bin' "$LAB_TMP/smbclient.log" || lab_fail "smb: ls does not list remote.bin"
    [ "$(sha "$LAB_TMP/smb/share/remote.bin")" = "$(sha "$LAB_TMP/smb-up")" ] || lab_fail "smb: file on the share differs"
    [ "$(sha "$LAB_TMP/smb-down")" = "$(sha "$LAB_TMP/smb-up")" ] || lab_fail "smb: file got back differs"
    lab_pass "smb: smbclient (SMB3) put and got 8 MB on //srv:6045/share, sha256 match (and on the share)"
}

# ---- VNC ------------------------------------------------------------------------
use_vnc() {
    out=$(lab_exec user python3 "$LABDIR/rfb_client.py" "$SRV_ADDR" 6059) || lab_fail "vnc: $out"
    echo "$out"
    [[ $out == "rfb ok 320x200 bpp=32 name=burrow-lab "* ]] || lab_fail "vnc: unexpected '$out'"
    lab_pass "vnc: RFB 3.8 handshake and a 320x200 framebuffer update through srv:6059"
}

# ---- WebDAV -----------------------------------------------------------------------
use_dav() {
    local u="http://$SRV_ADDR:$VHOST_HTTP" h=(-H "Host: nas.example.com")
    head -c 8388608 /dev/urandom >"$LAB_TMP/dav-up"
    code=$(lab_exec user curl -sS -o /dev/null -w '%{http_code}' "${h[@]}" -T "$LAB_TMP/dav-up" "$u/photos/a.bin")
    [ "$code" = 201 ] || lab_fail "dav: PUT answered $code, want 201"
    lab_exec user curl -sS "${h[@]}" -X PROPFIND -H 'Depth: 1' -w '\n%{http_code}\n' "$u/photos/" >"$LAB_TMP/propfind.xml" ||
        lab_fail "dav: PROPFIND failed"
    [ "$(tail -1 "$LAB_TMP/propfind.xml")" = 207 ] || lab_fail "dav: PROPFIND not 207: $(tail -3 "$LAB_TMP/propfind.xml")"
    grep -q '/photos/a.bin</D:href>' "$LAB_TMP/propfind.xml" || lab_fail "dav: PROPFIND does not list a.bin"
    grep -q '<D:getcontentlength>8388608</D:getcontentlength>' "$LAB_TMP/propfind.xml" ||
        lab_fail "dav: PROPFIND does not give a.bin's length"
    lab_exec user curl -sS --fail "${h[@]}" -o "$LAB_TMP/dav-down" "$u/photos/a.bin" || lab_fail "dav: GET failed"
    [ "$(sha "$LAB_TMP/dav-down")" = "$(sha "$LAB_TMP/dav-up")" ] || lab_fail "dav: GET sha256 differs"
    code=$(lab_exec user curl -sS -o /dev/null -w '%{http_code}' "${h[@]}" -X DELETE "$u/photos/a.bin")
    [ "$code" = 204 ] || lab_fail "dav: DELETE answered $code, want 204"
    [ ! -e "$LAB_TMP/dav/root/photos/a.bin" ] || lab_fail "dav: file still on disk after DELETE"
    lab_pass "dav: nginx WebDAV via the vhost: PUT 8 MB (201), PROPFIND (207, length), GET sha256, DELETE (204)"
}

# ---- router admin page --------------------------------------------------------------
use_router() {
    local u="http://$SRV_ADDR:$VHOST_HTTP" h=(-H "Host: router.example.com") jar="$LAB_TMP/cookies"
    code=$(lab_exec user curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "${h[@]}" "$u/admin")
    [ "$code" = "302 $u/" ] || lab_fail "router: /admin without a cookie: '$code', want a 302 to /"
    code=$(lab_exec user curl -sS -o /dev/null -w '%{http_code}' "${h[@]}" -c "$jar" \
        --data-urlencode username=admin --data-urlencode password=wrong "$u/login")
    [ "$code" = 403 ] || lab_fail "router: wrong password answered $code, want 403"
    code=$(lab_exec user curl -sS -o /dev/null -w '%{http_code}' "${h[@]}" -c "$jar" \
        --data-urlencode username=admin --data-urlencode "password=$ROUTER_PW" "$u/login")
    [ "$code" = 302 ] || lab_fail "router: login answered $code, want 302"
    grep -q 'sid' "$jar" || lab_fail "router: no session cookie stored"
    body=$(lab_exec user curl -sS --fail "${h[@]}" -b "$jar" "$u/admin") || lab_fail "router: /admin with the cookie failed"
    grep -q 'WAN: connected' <<<"$body" || lab_fail "router: admin page not shown: $body"
    # Control: without hostHeaderRewrite the router would see a foreign Host.
    code=$(lab_exec nat1 curl -sS -o /dev/null -w '%{http_code}' -H 'Host: router.example.com' http://192.168.1.1:8088/)
    [ "$code" = 403 ] || lab_fail "router: control: foreign Host answered $code, want 403"
    lab_pass "router: admin page via the vhost (Host rewritten): redirect without cookie, 403 wrong password, cookie login opens it"
}

for u in "${USES[@]}"; do "use_$u"; done
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
brw_stop_clean "$CPID" "$LAB_TMP/client.log" client
echo "PASS test_home_uses"
