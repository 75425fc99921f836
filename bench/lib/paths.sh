# bench/lib/paths.sh: the services behind the tunnels (iperf3, nginx, an echo
# server) and the tunnels themselves (burrow TLS / plain / vhost / stcp,
# ssh -R), all on 127.0.0.1 under $WORK. Sourced by bench/run.sh after
# common.sh.
#
# A tunnel NAME records, in associative arrays:
#   P_IPERF[NAME] P_HTTP[NAME] P_ECHO[NAME]  public ports (empty: not carried);
#                                            for stcp, the visitor's local ports
#   SRV[NAME] CLI[NAME]                      pids of the server and client side
#   VIS[NAME]                                stcp: the visitor client's pid
#                                            (counted as client side)
#   KIND[NAME]                               burrow | ssh
declare -A P_IPERF P_HTTP P_ECHO SRV CLI VIS KIND HTTP_HOST

# ---- services ------------------------------------------------------------------
start_services() {
  alloc_port SVC_IPERF; alloc_port SVC_HTTP; alloc_port SVC_ECHO
  P_IPERF[direct]=$SVC_IPERF; P_HTTP[direct]=$SVC_HTTP; P_ECHO[direct]=$SVC_ECHO

  iperf3 -s -B 127.0.0.1 -p "$SVC_IPERF" >"$WORK/iperf3.log" 2>&1 &
  track $!

  "$BIN/tcp_echo" -b 127.0.0.1 "$SVC_ECHO" >"$WORK/echo.log" 2>&1 &
  track $!

  # nginx: private prefix, pid, logs and temp paths; one worker (burrow and
  # ssh are single-threaded too), a 1 KiB file, long keep-alive.
  local d=$WORK/nginx
  mkdir -p "$d/www" "$d/tmp" "$d/logs"
  head -c 1024 /dev/urandom | base64 -w 64 | head -c 1024 > "$d/www/1k.bin"
  local user=""
  [ "$(id -u)" -eq 0 ] && user="user root;"
  cat > "$d/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_timeout 120s;
  keepalive_requests 10000000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$SVC_HTTP;
    server_name _;
    root $d/www;
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" >"$d/logs/stderr.log" 2>&1 &
  track $!

  wait_listen "$SVC_IPERF" && wait_listen "$SVC_ECHO" && wait_listen "$SVC_HTTP" || {
    cat "$WORK"/*.log "$d"/logs/*.log >&2 2>/dev/null; return 1; }
  local got
  got=$(curl -fsS "http://127.0.0.1:$SVC_HTTP/1k.bin" | wc -c)
  [ "$got" = 1024 ] || { say "nginx serves $got bytes, expected 1024"; return 1; }
}

# ---- burrow ---------------------------------------------------------------------
# start_burrow NAME TLS(true|false) "iperf http echo" [vhost|vhost-inspect|stcp]
# stcp: the client owns secret proxies; a second client, the visitor, opens
# the ports the benchmark uses (every byte end-to-end encrypted, over TLS).
# vhost-inspect: vhost with inspect = true (the client's HTTP inspector on).
start_burrow() {
  local name=$1 tls=$2 what=$3 vhost=${4:-} d=$WORK/$1 ctl p stcp="" inspect=""
  [ "$vhost" = stcp ] && stcp=1 && vhost=""
  [ "$vhost" = vhost-inspect ] && inspect=1 && vhost=vhost
  mkdir -p "$d"
  alloc_port ctl
  {
    echo 'bindAddr = "127.0.0.1"'
    echo "bindPort = $ctl"
    echo 'proxyBindAddr = "127.0.0.1"'
    echo 'auth.token = "bench-token"'
    echo 'log.level = "warn"'
    if [ -n "$vhost" ]; then alloc_port p; echo "vhostHTTPPort = $p"; P_HTTP[$name]=$p; fi
  } > "$d/server.toml"
  {
    echo 'serverAddr = "127.0.0.1"'
    echo "serverPort = $ctl"
    echo 'auth.token = "bench-token"'
    echo "transport.tls.enable = $tls"
    echo "transport.poolCount = $BENCH_POOL"
    echo 'log.level = "warn"'
    if [ -n "$inspect" ]; then alloc_port p; echo "inspector.port = $p"; fi
  } > "$d/client.toml"
  [ -n "$stcp" ] && grep -v poolCount "$d/client.toml" > "$d/visitor.toml"
  local svc local_port
  for svc in $what; do
    case $svc in
      iperf) local_port=$SVC_IPERF ;;
      http) local_port=$SVC_HTTP ;;
      echo) local_port=$SVC_ECHO ;;
    esac
    if [ -n "$vhost" ] && [ "$svc" = http ]; then
      HTTP_HOST[$name]=bench.example
      printf '\n[[proxies]]\nname = "http"\ntype = "http"\nlocalIP = "127.0.0.1"\nlocalPort = %s\ncustomDomains = ["bench.example"]\n' \
        "$local_port" >> "$d/client.toml"
      [ -n "$inspect" ] && echo 'inspect = true' >> "$d/client.toml"
      continue
    fi
    alloc_port p
    if [ -n "$stcp" ]; then
      printf '\n[[proxies]]\nname = "%s"\ntype = "stcp"\nsecretKey = "bench-key"\nlocalIP = "127.0.0.1"\nlocalPort = %s\n' \
        "$svc" "$local_port" >> "$d/client.toml"
      printf '\n[[visitors]]\nname = "%s"\ntype = "stcp"\nserverName = "%s"\nsecretKey = "bench-key"\nbindPort = %s\n' \
        "$svc" "$svc" "$p" >> "$d/visitor.toml"
    else
      printf '\n[[proxies]]\nname = "%s"\ntype = "tcp"\nlocalIP = "127.0.0.1"\nlocalPort = %s\nremotePort = %s\n' \
        "$svc" "$local_port" "$p" >> "$d/client.toml"
    fi
    case $svc in
      iperf) P_IPERF[$name]=$p ;;
      http) P_HTTP[$name]=$p ;;
      echo) P_ECHO[$name]=$p ;;
    esac
  done
  KIND[$name]=burrow
  "$BIN/burrow" server -c "$d/server.toml" --state-dir "$d/sstate" >"$d/server.log" 2>&1 &
  SRV[$name]=$!; track $!
  wait_listen "$ctl" || { cat "$d/server.log" >&2; return 1; }
  "$BIN/burrow" client -c "$d/client.toml" --state-dir "$d/cstate" >"$d/client.log" 2>&1 &
  CLI[$name]=$!; track $!
  if [ -n "$stcp" ]; then
    "$BIN/burrow" client -c "$d/visitor.toml" --state-dir "$d/vstate" >"$d/visitor.log" 2>&1 &
    VIS[$name]=$!; track $!
  fi
  for p in ${P_IPERF[$name]:-} ${P_HTTP[$name]:-} ${P_ECHO[$name]:-}; do
    wait_listen "$p" || { say "$name: port $p never opened"; cat "$d"/*.log >&2; return 1; }
  done
  # stcp: the visitor's ports open at once; wait for the owner's proxies.
  if [ -n "$stcp" ] && [ -n "${P_ECHO[$name]:-}" ]; then
    local i
    for i in $(seq 1 50); do
      [ "$(printf x | timeout 2 socat -t 1 - "TCP:127.0.0.1:${P_ECHO[$name]}" 2>/dev/null)" = x ] && break
      sleep 0.2
    done
  fi
  if [ -n "$vhost" ]; then # the vhost listener is up before the route: wait for it
    local i
    for i in $(seq 1 50); do
      curl -fsS -o /dev/null -H "Host: bench.example" "http://127.0.0.1:${P_HTTP[$name]}/1k.bin" && break
      sleep 0.2
    done
  fi
}

# Whether this burrow binary carries HTTP vhosts: --check warns about
# vhostHTTPPort as long as it does not, and the client must accept type http.
burrow_has_vhost() {
  local d=$WORK/vhost-check
  mkdir -p "$d"
  printf 'bindPort = 7000\nauth.token = "x"\nvhostHTTPPort = 8080\n' > "$d/s.toml"
  printf 'serverAddr = "127.0.0.1"\nserverPort = 7000\nauth.token = "x"\n[[proxies]]\nname = "w"\ntype = "http"\nlocalPort = 80\ncustomDomains = ["a.example"]\n' > "$d/c.toml"
  "$BIN/burrow" server -c "$d/s.toml" --check >"$d/s.out" 2>&1 || return 1
  grep -qi 'vhostHTTPPort.*not supported' "$d/s.out" && return 1
  "$BIN/burrow" client -c "$d/c.toml" --check >"$d/c.out" 2>&1 || return 1
  grep -qiE 'not supported|unsupported|unknown' "$d/c.out" && return 1
  return 0
}

# ---- ssh -R -------------------------------------------------------------------------
# start_ssh NAME "iperf http echo": a private sshd on 127.0.0.1 (own config,
# host key, authorized key; the system's sshd is not touched) and one
# `ssh -N -R` carrying the services.
start_ssh() {
  local name=$1 what=$2 d=$WORK/$1 port p svc fwd=()
  mkdir -p "$d"
  chmod 700 "$d"
  # sshd refuses to start without its privilege-separation directory, which
  # Debian's service would create. It is left in place: another bench run
  # may be using it at the same time.
  [ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; }
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/user_key"
  cp "$d/user_key.pub" "$d/authorized_keys"
  alloc_port port
  cat > "$d/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
GatewayPorts no
MaxStartups 100:30:200
LogLevel ERROR
EOF
  /usr/sbin/sshd -D -e -f "$d/sshd_config" >"$d/sshd.log" 2>&1 &
  SRV[$name]=$!; track $!
  wait_listen "$port" || { cat "$d/sshd.log" >&2; return 1; }
  for svc in $what; do
    alloc_port p
    case $svc in
      iperf) fwd+=(-R "$p:127.0.0.1:$SVC_IPERF"); P_IPERF[$name]=$p ;;
      http) fwd+=(-R "$p:127.0.0.1:$SVC_HTTP"); P_HTTP[$name]=$p ;;
      echo) fwd+=(-R "$p:127.0.0.1:$SVC_ECHO"); P_ECHO[$name]=$p ;;
    esac
  done
  local base=(-F /dev/null -i "$d/user_key" -p "$port" -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes)
  ssh "${base[@]}" -o LogLevel=ERROR -o ExitOnForwardFailure=yes -N "${fwd[@]}" "$(id -un)@127.0.0.1" \
    >"$d/ssh.log" 2>&1 &
  CLI[$name]=$!; track $!
  KIND[$name]=ssh
  for p in ${P_IPERF[$name]:-} ${P_HTTP[$name]:-} ${P_ECHO[$name]:-}; do
    wait_listen "$p" || { say "$name: forwarded port $p never opened"; cat "$d"/*.log >&2; return 1; }
  done
  # The cipher OpenSSH negotiates by default, for the notes under the table.
  if [ -z "${SSH_CIPHER:-}" ]; then
    SSH_CIPHER=$(ssh "${base[@]}" -v "$(id -un)@127.0.0.1" true 2>&1 |
      sed -n 's/.*kex: client->server cipher: \([^ ]*\).*/\1/p' | head -1)
    put note.ssh_cipher "${SSH_CIPHER:-unknown}"
  fi
}

# Server-side and client-side pids of a path, as they are now (sshd forks).
srv_pids() { local r=${SRV[$1]}; echo "$r" $(descendants "$r"); }
cli_pids() { local r=${CLI[$1]} v=${VIS[$1]:-}; echo "$r" $(descendants "$r") $v; }

stop_path() { stop_pids "${SRV[$1]}" "${CLI[$1]}" ${VIS[$1]:-}; }
