#!/usr/bin/env bash
# bench/compression.sh: transport.useCompression measured (issue #14). On
# 127.0.0.1, one burrow server and one client (TLS on, the default) publish
# the same local file service twice: a plain tcp proxy and one with
# useCompression = true. Through each, a download of compressible text
# (log lines) and of random bytes, SIZE MiB each, and per run:
#   - throughput (MB/s, the downloader's wall time);
#   - CPU seconds of server + client per GB delivered;
#   - bytes on the wire between client and server (an nftables counter on
#     the server port; needs root, "-" without), and their ratio to the file.
# Medians of REPEAT runs (CPU: over all of them). Prints a markdown table (also into
# bench/compression.md with --write).
#
# Environment: BENCH_BUILD=DIR (default ./build), BENCH_SIZE=MiB (default
# 256), BENCH_REPEAT=N (default 3), BENCH_KEEP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/lib/common.sh
BUILD=${BENCH_BUILD:-$ROOT/build}
BIN=$BUILD/burrow
SIZE=${BENCH_SIZE:-256}
REPEAT=${BENCH_REPEAT:-3}
METER=$ROOT/tests/lab/shape_meter.py
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 1; }
WORK=$(mktemp -d /tmp/burrow-zbench.XXXXXX)
NFT_TABLE=burrow_zbench_$$
cleanup() {
  if [ "$(id -u)" = 0 ]; then nft delete table inet "$NFT_TABLE" 2>/dev/null || true; fi
  bench_cleanup
}
trap cleanup EXIT

say "making ${SIZE} MiB of text and of random bytes"
awk -v n=$((SIZE * 1024 * 1024 / 60 + 1)) 'BEGIN { for (i = 0; i < n; i++)
  printf "2026-11-30 12:%02d:%02d INFO proxy listening name=web%d type=tcp port=%d\n",
         i / 60 % 60, i % 60, i % 97, 6000 + i % 100 }' | head -c $((SIZE << 20)) >"$WORK/text" || true
head -c $((SIZE << 20)) /dev/urandom >"$WORK/random"

alloc_port P_METER; alloc_port P_SRV; alloc_port P_PLAIN; alloc_port P_ZIP
python3 -u "$METER" serve 127.0.0.1 "$P_METER" >"$WORK/meter.log" 2>&1 &
track $!
wait_listen "$P_METER" || { echo "file service did not start" >&2; exit 1; }
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$WORK/frps.toml" <<CONF
bindAddr = "127.0.0.1"
bindPort = $P_SRV
auth.token = "$TOKEN"
log.level = "warn"
CONF
cat >"$WORK/frpc.toml" <<CONF
serverAddr = "127.0.0.1"
serverPort = $P_SRV
auth.token = "$TOKEN"
transport.poolCount = 2
log.level = "warn"
[[proxies]]
name = "plain"
type = "tcp"
localIP = "127.0.0.1"
localPort = $P_METER
remotePort = $P_PLAIN
[[proxies]]
name = "zip"
type = "tcp"
localIP = "127.0.0.1"
localPort = $P_METER
remotePort = $P_ZIP
transport.useCompression = true
CONF
"$BIN" server -c "$WORK/frps.toml" --state-dir "$WORK/srv" >"$WORK/server.log" 2>&1 &
SRV_PID=$!; track $SRV_PID
wait_listen "$P_SRV" || { echo "server did not start" >&2; exit 1; }
"$BIN" client -c "$WORK/frpc.toml" --state-dir "$WORK/cli" >"$WORK/client.log" 2>&1 &
CLI_PID=$!; track $CLI_PID
wait_listen "$P_PLAIN" && wait_listen "$P_ZIP" || { echo "proxies not up" >&2; exit 1; }

WIRE=0
if [ "$(id -u)" = 0 ] && nft add table inet "$NFT_TABLE" 2>/dev/null; then
  nft add chain inet "$NFT_TABLE" out '{ type filter hook output priority 0; }'
  nft add rule inet "$NFT_TABLE" out tcp dport "$P_SRV" counter
  WIRE=1
fi
wire_bytes() {
  [ $WIRE = 1 ] || { echo 0; return; }
  nft list table inet "$NFT_TABLE" | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "bytes") print $(i + 1) }'
}
now_ns() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run FILE PORT: one download; prints "MB/s cpu_ticks wire_bytes".
run() {
  local f=$1 port=$2 c0 c1 w0 w1 t0 t1 bytes
  c0=$(cpu_ticks "$SRV_PID" "$CLI_PID"); w0=$(wire_bytes); t0=$(now_ns)
  # bash and cat, not python: the downloader must not be the bottleneck.
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'F%s\n' "$WORK/$f" >&3
  local same=0
  cmp -s "$WORK/$f" - <&3 && same=1 # compared as it arrives: no disk in the way
  exec 3<&-
  t1=$(now_ns); c1=$(cpu_ticks "$SRV_PID" "$CLI_PID"); w1=$(wire_bytes)
  [ $same = 1 ] || { echo "$f via $port: the bytes differ" >&2; exit 1; }
  bytes=$(stat -c %s "$WORK/$f")
  awk -v b="$bytes" -v ns=$((t1 - t0)) -v cpu=$((c1 - c0)) -v w=$((w1 - w0)) \
    'BEGIN { printf "%.0f %d %d\n", b / 1e6 / (ns / 1e9), cpu, w }'
}

echo "| data | proxy | MB/s | CPU s/GB (server + client) | bytes on the wire | wire / data |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for f in text random; do
  for p in plain:$P_PLAIN zip:$P_ZIP; do
    : >"$WORK/runs"
    for _ in $(seq 1 "$REPEAT"); do run "$f" "${p#*:}" >>"$WORK/runs"; done
    mbs=$(cut -d' ' -f1 "$WORK/runs" | median)
    # CPU over all runs together: clock ticks are coarse (1/CLK_TCK s).
    cpu=$(awk -v b=$((SIZE << 20)) -v tck="$CLK_TCK" '{ t += $2; n++ }
      END { printf "%.2f", t / tck / (n * b / 1e9) }' "$WORK/runs")
    wire=$(cut -d' ' -f3 "$WORK/runs" | median)
    name=plain; [ "${p%%:*}" = zip ] && name="useCompression (zstd)"
    if [ $WIRE = 1 ]; then
      ratio=$(awk -v w="$wire" -v b=$((SIZE << 20)) 'BEGIN { printf "%.3f", w / b }')
      echo "| $f, $SIZE MiB | $name | $mbs | $cpu | $wire | $ratio |"
    else
      echo "| $f, $SIZE MiB | $name | $mbs | $cpu | - | - |"
    fi
  done
done
