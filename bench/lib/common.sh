# bench/lib/common.sh: helpers for bench/run.sh (sourced, not run).
# Process bookkeeping and clean-up, loopback port choice, /proc readings,
# and the results file that bench/lib/report.py turns into the tables.

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- processes -------------------------------------------------------------
BENCH_PIDS=()          # everything started in the background, in start order

track() { BENCH_PIDS+=("$1"); }

# Direct and indirect children of a pid (sshd forks a process per session).
descendants() {
  local p
  for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$p"
    descendants "$p"
  done
}

# Stops one tracked process and its descendants: TERM, then KILL after 3 s.
stop_tree() {
  local root=$1 all p i
  all="$root $(descendants "$root" | tr '\n' ' ')"
  for p in $all; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 1 30); do
    local alive=0
    for p in $all; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$root" 2>/dev/null || true
}

# Stops the tracked processes named (newest first) and forgets them.
stop_pids() {
  local p keep=() i
  for ((i = $# ; i >= 1 ; i--)); do stop_tree "${!i}"; done
  for p in "${BENCH_PIDS[@]}"; do
    case " $* " in *" $p "*) ;; *) keep+=("$p") ;; esac
  done
  BENCH_PIDS=("${keep[@]}")
}

bench_cleanup() {
  local i
  for ((i = ${#BENCH_PIDS[@]} - 1 ; i >= 0 ; i--)); do stop_tree "${BENCH_PIDS[$i]}"; done
  BENCH_PIDS=()
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK (logs, configs, raw outputs)"; else rm -rf "$WORK"; fi
  fi
  return 0
}

# ---- ports -----------------------------------------------------------------
# Ports are taken from a random base below the ephemeral range and skipped
# when something (another developer's test, say) already listens there.
PORT_NEXT=$((20000 + RANDOM % 9000))
port_busy() { [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]; }
# alloc_port VAR: stores a free loopback port in VAR.
alloc_port() {
  while port_busy "$PORT_NEXT"; do PORT_NEXT=$((PORT_NEXT + 1)); done
  printf -v "$1" '%s' "$PORT_NEXT"
  PORT_NEXT=$((PORT_NEXT + 1))
}

# wait_listen PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_listen() {
  local i n=$(( ${2:-10} * 10 ))
  for ((i = 0 ; i < n ; i++)); do
    [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- /proc readings ---------------------------------------------------------
# mem_kb PID...: "VmRSS RssAnon" in KiB, summed over the pids.
mem_kb() {
  local p rss=0 anon=0 a b
  for p in "$@"; do
    read -r a b < <(awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} END {print r+0, a+0}' \
      "/proc/$p/status" 2>/dev/null || echo "0 0")
    rss=$((rss + a)); anon=$((anon + b))
  done
  echo "$rss $anon"
}

# fd_count PID...: open file descriptors, summed.
fd_count() {
  local p n=0
  for p in "$@"; do n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l))); done
  echo "$n"
}

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID...: utime+stime in clock ticks, summed (the fields after the
# command name, which may hold spaces: cut at the last ')').
cpu_ticks() {
  local p sum=0 t
  for p in "$@"; do
    t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}

# ---- results ------------------------------------------------------------------
# One "key<TAB>value" line per figure; report.py reads them.
put() { printf '%s\t%s\n' "$1" "$2" >> "$RESULTS"; }
