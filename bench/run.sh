#!/usr/bin/env bash
# bench/run.sh [--quick] [--readme]: burrow's benchmark suite (issue #4). In one run, on
# 127.0.0.1 only, side by side, one row per path:
#   direct | burrow TLS (default) | burrow TLS off | burrow stcp (through a
#   visitor: TLS + end-to-end AEAD) | ssh -R (OpenSSH)
#   [| burrow vhost: HTTP through vhostHTTPPort, when the binary carries it]
# it measures
#   - TCP throughput: iperf3, 1 and 8 streams, both directions;
#   - HTTP requests/s: wrk, 64 keep-alive connections, nginx serving 1 KiB;
#   - new-connection latency: time to first byte, p50/p99 (conn_latency);
#   - memory (VmRSS, RssAnon) of server and client: idle, under the HTTP
#     load, holding 1,000 and 10,000 idle tunnelled connections (hold_conns),
#     and bytes per connection;
#   - CPU seconds (server + client; stcp: + visitor) per GB relayed during the
#     1-stream runs;
#   - binary size, stripped, dynamic and static (-DBURROW_STATIC=ON);
# and prints the tables with ratios to direct, also into bench/results.md
# (+ bench/results.png, a gnuplot chart: only between the file's
# <!-- bench:run:begin/end --> markers; the sections measured by hand in the
# NAT lab are kept); --readme also puts them into the
# README's Performance section. --quick: 1-second runs, a smoke check.
# The P2P row (xtcp over QUIC on a punched path) needs two NATed hosts:
# bench/lab_p2p.sh measures it in the NAT lab, and bench/p2p_matrix.sh runs
# xtcp on all 15 NAT pairs; both are run by hand, as root.
#
# Environment:
#   BENCH_BUILD=DIR         build directory (default ./build; built if needed)
#   BENCH_STATIC_BUILD=DIR  build directory for the static binary (DIR-static)
#   BENCH_SECONDS=N         seconds per iperf3 and wrk run (default 3; --quick 1)
#   BENCH_CONNS=N           connections per latency run (default 1000; --quick 200)
#   BENCH_HOLD=A,B          idle connections held (default 1000,10000; --quick 100,1000)
#   BENCH_POOL=N            burrow client transport.poolCount (default 4)
#   BENCH_REPEAT=N          rounds of the iperf3 and wrk runs, medians reported
#                           (default 3; --quick 1). Defaults take about 6 minutes.
#   BENCH_OUT=FILE          markdown output (default bench/results.md; --quick: none)
#   BENCH_KEEP=1            keep the temp dir (logs, configs, raw outputs)
# Machines here are shared and noisy: compare ratios, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
README_OUT=""
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    --readme) README_OUT=$ROOT/README.md ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick] [--readme]" >&2; exit 2 ;;
  esac
done
if [ $QUICK = 1 ]; then
  DUR=${BENCH_SECONDS:-1}; LAT_N=${BENCH_CONNS:-200}; HOLD=${BENCH_HOLD:-100,1000}
  OUT=${BENCH_OUT:-}
else
  DUR=${BENCH_SECONDS:-3}; LAT_N=${BENCH_CONNS:-1000}; HOLD=${BENCH_HOLD:-1000,10000}
  OUT=${BENCH_OUT:-$ROOT/bench/results.md}
fi
BENCH_POOL=${BENCH_POOL:-4}
REPEAT=${BENCH_REPEAT:-$([ $QUICK = 1 ] && echo 1 || echo 3)}
rtag() { [ "$REPEAT" -gt 1 ] && echo " (round $rep of $REPEAT)" || true; }
B=${BENCH_BUILD:-$ROOT/build}
BS=${BENCH_STATIC_BUILD:-${B%/}-static}
T_START=$(date +%s)

source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/paths.sh"

# One bench at a time on this machine: two at once would measure each other.
exec 8>/tmp/.burrow-bench.lock
if ! flock -n 8; then
  say "another bench run holds /tmp/.burrow-bench.lock: waiting (up to 15 min)"
  flock -w 900 8 || say "still busy: running anyway, figures will be disturbed"
fi

WORK=$(mktemp -d /tmp/burrow-bench.XXXXXX)
RESULTS=$WORK/results.tsv
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- build --------------------------------------------------------------------
bash scripts/deps.sh
say "building $B"
cmake -S "$ROOT" -B "$B" >"$WORK/cmake.log" 2>&1 &&
  cmake --build "$B" -j"$(nproc)" --target burrow tcp_echo conn_latency hold_conns \
    >>"$WORK/cmake.log" 2>&1 || { tail -30 "$WORK/cmake.log" >&2; exit 1; }
BIN=$B
say "building $BS (-DBURROW_STATIC=ON)"
if cmake -S "$ROOT" -B "$BS" -DBURROW_STATIC=ON >"$WORK/cmake-static.log" 2>&1 &&
  cmake --build "$BS" -j"$(nproc)" --target burrow >>"$WORK/cmake-static.log" 2>&1; then
  strip -o "$WORK/burrow.static" "$BS/burrow"
  put size.static "$(stat -c %s "$WORK/burrow.static")"
else
  put size.static "n/a: $(grep -m1 -iE 'error|cannot find|undefined' "$WORK/cmake-static.log" | cut -c1-120)"
fi
strip -o "$WORK/burrow.dyn" "$BIN/burrow"
put size.dynamic "$(stat -c %s "$WORK/burrow.dyn")"
put size.sshd "$(stat -c %s /usr/sbin/sshd)"
put size.ssh "$(stat -c %s "$(command -v ssh)")"

# ---- limits and facts -------------------------------------------------------------
max_hold=${HOLD##*,}
need=$((2 * max_hold + 4096))
[ $need -lt 65536 ] && need=65536
ulimit -Hn "$need" 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
put note.fd_limit "$(ulimit -n)"
if [ "$(ulimit -n)" -lt $((2 * max_hold + 64)) ]; then
  put note.fd_short "the fd limit here is $(ulimit -n) and cannot be raised (no CAP_SYS_RESOURCE); holding $max_hold connections needs about $((2 * max_hold + 30)) descriptors in each relay process (user or local socket + work connection each), so the last few connections of that stage are expected to fail"
fi
put note.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put note.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
  git -C "$ROOT" diff --quiet HEAD -- src CMakeLists.txt 2>/dev/null || echo ' + uncommitted changes')"
put note.cpu "$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
put note.kernel "$(uname -r)"
put note.versions "$("$BIN/burrow" version 2>&1 | head -1); $(iperf3 --version | head -1 | cut -d' ' -f1,2); $(ssh -V 2>&1 | cut -d, -f1); $(nginx -v 2>&1 | sed 's/.*: //'); wrk $(dpkg-query -W -f='${Version}' wrk)"
put note.dur "$DUR"
put note.lat_n "$LAT_N"
put note.hold "$HOLD"
put note.pool "$BENCH_POOL"
put note.repeat "$REPEAT"
put note.quick "$QUICK"

# ---- start everything -------------------------------------------------------------
say "starting iperf3, nginx, echo server"
start_services
say "starting burrow (TLS, plain) and ssh -R"
start_burrow tls true "iperf http echo"
start_burrow plain false "iperf http echo"
say "starting burrow stcp (owner + visitor)"
start_burrow stcp true "iperf http echo" stcp
PATHS=(direct tls plain stcp)
if [ "$(id -u)" -eq 0 ]; then
  start_ssh ssh "iperf http echo"
  PATHS+=(ssh)
else
  put note.ssh "ssh -R row skipped: a private sshd needs root here"
fi
HTTP_PATHS=("${PATHS[@]}")
if burrow_has_vhost; then
  say "burrow carries vhostHTTPPort: adding the vhost row"
  if start_burrow vhost true "http" vhost; then
    HTTP_PATHS+=(vhost)
  else
    put note.vhost "no burrow vhost row: the vhost tunnel did not start (see its log above)"
  fi
else
  put note.vhost "no burrow vhost row: this burrow does not carry vhostHTTPPort yet"
fi
put note.paths "${HTTP_PATHS[*]}"
sleep 1 # let the work-connection pools fill
for p in "${HTTP_PATHS[@]}"; do
  [ "$p" = direct ] && continue
  put "mem.idle.srv.$p" "$(mem_kb $(srv_pids "$p"))"
  put "mem.idle.cli.$p" "$(mem_kb $(cli_pids "$p"))"
done

# ---- TCP throughput (and CPU per byte on the 1-stream runs) -------------------------
# iperf_run PORT ARGS...: "bits_per_second bytes" received, or "fail".
iperf_run() {
  local port=$1; shift
  local omit=()
  [ "$DUR" -ge 4 ] && omit=(-O 1)
  timeout $((DUR + 30)) iperf3 -c 127.0.0.1 -p "$port" -t "$DUR" "${omit[@]}" -J "$@" \
    >"$WORK/iperf.json" 2>&1 || true
  python3 - "$WORK/iperf.json" <<'EOF' || echo fail
import json, sys
d = json.load(open(sys.argv[1]))
s = d["end"]["sum_received"]
print("%.0f %.0f" % (s["bits_per_second"], s["bytes"]))
EOF
}
declare -A CPU_T CPU_B
for ((rep = 1 ; rep <= REPEAT ; rep++)); do
for mode in "1 up" "1 down" "8 up" "8 down"; do
  read -r n dir <<<"$mode"
  args=()
  [ "$n" = 8 ] && args+=(-P 8)
  [ "$dir" = down ] && args+=(-R)
  for p in "${PATHS[@]}"; do
    say "iperf3 $n stream(s) $dir, $p$(rtag)"
    pids=""
    [ "$p" != direct ] && pids="$(srv_pids "$p") $(cli_pids "$p")"
    c0=$(cpu_ticks $pids)
    r=$(iperf_run "${P_IPERF[$p]}" "${args[@]}")
    c1=$(cpu_ticks $pids)
    put "tcp$n.$dir.$p" "${r%% *}"
    if [ "$n" = 1 ] && [ "$p" != direct ] && [ "$r" != fail ]; then
      CPU_T[$p]=$(( ${CPU_T[$p]:-0} + c1 - c0 ))
      CPU_B[$p]=$(( ${CPU_B[$p]:-0} + ${r##* } ))
    fi
  done
done
done
for p in "${!CPU_T[@]}"; do
  put "cpu.$p" "$(python3 -c "print('%.3f' % (${CPU_T[$p]} / $CLK_TCK / (${CPU_B[$p]} / 1e9)))")"
done

# ---- HTTP requests per second (and memory under that load) ---------------------------
for ((rep = 1 ; rep <= REPEAT ; rep++)); do
for p in "${HTTP_PATHS[@]}"; do
  say "wrk 64 connections, $p$(rtag)"
  hdr=()
  [ -n "${HTTP_HOST[$p]:-}" ] && hdr=(-H "Host: ${HTTP_HOST[$p]}")
  timeout $((DUR + 30)) wrk -t 2 -c 64 -d "${DUR}s" "${hdr[@]}" \
    "http://127.0.0.1:${P_HTTP[$p]}/1k.bin" >"$WORK/wrk.$p.txt" 2>&1 &
  wpid=$!
  ms=0; ma=0; mcs=0; mca=0
  while kill -0 "$wpid" 2>/dev/null; do
    if [ "$p" != direct ]; then
      read -r a b < <(mem_kb $(srv_pids "$p"))
      [ "$a" -gt "$ms" ] && ms=$a && ma=$b
      read -r a b < <(mem_kb $(cli_pids "$p"))
      [ "$a" -gt "$mcs" ] && mcs=$a && mca=$b
    fi
    sleep 0.3
  done
  wait "$wpid" || true
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.$p.txt")
  put "http.$p" "${rps:-fail}"
  errs=$(awk '/Socket errors:/ {gsub(",", ""); s += $4 + $6 + $8 + $10} /Non-2xx/ {s += $NF} END {print s + 0}' "$WORK/wrk.$p.txt")
  put "http_err.$p" "$errs"
  if [ "$p" != direct ]; then
    put "mem.http.srv.$p" "$ms $ma"
    put "mem.http.cli.$p" "$mcs $mca"
  fi
done
done

# ---- new-connection latency --------------------------------------------------------
for p in "${PATHS[@]}"; do
  say "time to first byte, $LAT_N new connections, $p"
  out=$("$BIN/conn_latency" 127.0.0.1 "${P_ECHO[$p]}" "$LAT_N" || true)
  put "lat.p50.$p" "$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$out")"
  put "lat.p99.$p" "$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")"
  put "lat.failed.$p" "$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")"
done

# ---- idle tunnelled connections held: memory per connection -------------------------
# Fresh tunnels (only the echo service), so that the throughput runs' buffers
# do not blur the baseline.
for p in "${HTTP_PATHS[@]}"; do
  [ "$p" = direct ] || stop_path "$p"
done
for p in "${PATHS[@]}"; do
  [ "$p" = direct ] && continue
  h=hold$p
  case $p in
    tls) start_burrow "$h" true echo ;;
    plain) start_burrow "$h" false echo ;;
    stcp) start_burrow "$h" true echo stcp ;;
    ssh) start_ssh "$h" echo ;;
  esac
  sleep 1
  put "hold.idle.srv.$p" "$(mem_kb $(srv_pids "$h"))"
  put "hold.idle.cli.$p" "$(mem_kb $(cli_pids "$h"))"
  mkfifo "$WORK/hold.ctl"
  "$BIN/hold_conns" 127.0.0.1 "${P_ECHO[$h]}" "$HOLD" 64 <"$WORK/hold.ctl" >"$WORK/hold.$p.out" 2>&1 &
  hpid=$!; track $hpid
  exec 9>"$WORK/hold.ctl"
  IFS=, read -ra stages <<<"$HOLD"
  i=0
  for n in "${stages[@]}"; do
    i=$((i + 1))
    say "holding $n idle connections through $p"
    deadline=$(( $(date +%s) + 60 + n / 50 ))
    while [ "$(grep -c '^stage=' "$WORK/hold.$p.out")" -lt $i ]; do
      kill -0 $hpid 2>/dev/null && [ "$(date +%s)" -lt $deadline ] || break
      sleep 0.2
    done
    line=$(grep '^stage=' "$WORK/hold.$p.out" | sed -n "${i}p")
    if [ -z "$line" ]; then
      put "hold.$n.res.$p" "timeout"
      break
    fi
    sleep 1 # let pools refill and the far side settle
    put "hold.$n.srv.$p" "$(mem_kb $(srv_pids "$h"))"
    put "hold.$n.cli.$p" "$(mem_kb $(cli_pids "$h"))"
    put "hold.$n.res.$p" "$line fds_srv=$(fd_count $(srv_pids "$h")) fds_cli=$(fd_count $(cli_pids "$h"))"
    echo >&9
  done
  exec 9>&-
  stop_pids $hpid
  rm -f "$WORK/hold.ctl"
  stop_path "$h"
done

# ---- report -------------------------------------------------------------------------
put note.elapsed "$(( $(date +%s) - T_START ))"
[ $QUICK = 1 ] && README_OUT=""
python3 "$ROOT/bench/lib/report.py" "$RESULTS" "$OUT" "$README_OUT"
