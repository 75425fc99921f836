#!/usr/bin/env bash
# demo.sh [DIR]: builds burrow, then runs a server and a client on 127.0.0.1
# that expose a small web site through the tunnel — a built-in demo page, or
# the directory you name. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --build
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target burrow >/dev/null

work=$(mktemp -d /tmp/burrow-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

site=${1:-}
if [ -z "$site" ]; then
  site=$work/site
  mkdir -p "$site"
  cat > "$site/index.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>burrow demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;color:#222}
code{background:#eee;padding:0 .3em}</style></head>
<body><h1>Hello through the burrow</h1>
<p>This page is served by a web server that listens only on a private
loopback port. You reached it on the tunnel's public port:
browser &rarr; <code>burrow server</code> &rarr; TLS control and work
connections &rarr; <code>burrow client</code> &rarr; the local web server.</p>
</body></html>
HTML
fi
[ -d "$site" ] || { echo "demo: $site is not a directory" >&2; exit 2; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
web_port=$(free_port); ctl_port=$(free_port); pub_port=$(free_port)
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

cat > "$work/frps.toml" <<EOF2
bindAddr = "127.0.0.1"
bindPort = $ctl_port
auth.token = "$token"
EOF2
cat > "$work/frpc.toml" <<EOF2
serverAddr = "127.0.0.1"
serverPort = $ctl_port
auth.token = "$token"

[[proxies]]
name = "demo-web"
type = "tcp"
localIP = "127.0.0.1"
localPort = $web_port
remotePort = $pub_port
EOF2

python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$site" >"$work/web.log" 2>&1 &
pids+=($!)
build/burrow server -c "$work/frps.toml" --state-dir "$work/server-state" 2>"$work/server.log" &
pids+=($!)
build/burrow client -c "$work/frpc.toml" --state-dir "$work/client-state" 2>"$work/client.log" &
pids+=($!)

for _ in $(seq 1 100); do
  grep -q "proxy registered" "$work/client.log" 2>/dev/null && break
  sleep 0.1
done
if ! grep -q "proxy registered" "$work/client.log"; then
  echo "demo: the tunnel did not come up; logs:" >&2
  cat "$work/server.log" "$work/client.log" >&2
  exit 1
fi
sed 's/^/  server | /' "$work/server.log"
sed 's/^/  client | /' "$work/client.log"
echo
echo "burrow demo is running. Open:  http://127.0.0.1:$pub_port/"
echo "(serving $site through the tunnel; press Ctrl-C to stop)"
if [ -n "${BURROW_DEMO_ONESHOT:-}" ]; then
  curl -fsS "http://127.0.0.1:$pub_port/" | head -5
  exit 0
fi
wait
