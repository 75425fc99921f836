# lab.sh: network-namespace NAT lab for burrow's end-to-end tests.
# Source it from a bash test:  . "$(dirname "$0")/lab.sh"; lab_up; ...
#
# Topology (see README.md): an "internet" 203.0.113.0/24 bridged in namespace
# `inet`, with hosts srv (.10), user (.50) and the WAN sides of two NAT routers
# nat1 (.21, LAN 192.168.1.0/24, host c1 .10) and nat2 (.22, LAN 192.168.2.0/24,
# host c2 .10). Every namespace name starts with a per-run prefix brw<pid>-.
#
# NAT types (lab_up ARG / LAB_NAT1 / LAB_NAT2 / LAB_NAT, or lab_set_nat later):
#   port-restricted (default), symmetric, full-cone, restricted,
#   full-cone+hairpin (full-cone that also hairpins).
#
# Optional extras (call after lab_up):
#   lab_srv_alt            srv gets a second public address 203.0.113.11
#                          (RFC 5780 discovery needs two).
#   lab_pub2_up            a second public host `pub2` (203.0.113.51, no NAT,
#                          no firewall) beside `user`.
#   lab_carrier_up [TYPE]  carrier NAT: a home router `home` (LAN 192.168.3.0/24,
#                          host c3 .10) whose WAN 100.64.0.2 sits behind the
#                          carrier's NAT `cgn` (100.64.0.1/10, internet .30).

LAB_NODES=(inet srv user nat1 c1 nat2 c2)
LAB_PREFIX="brw$$-"
LAB_PIDS=()
LAB_MAIN_PID=$$
LAB_LAST_PID=
LAB_TMP=
LAB_IS_UP=0

lab_log() { printf '[lab] %s\n' "$*" >&2; }

lab_ns() { printf '%s%s' "$LAB_PREFIX" "$1"; }

lab_exec() {
    local node=$1; shift
    ip netns exec "$(lab_ns "$node")" "$@"
}

# lab_bg NODE LOGFILE CMD...: start CMD in NODE in the background, stdout and
# stderr to LOGFILE. The pid (of CMD itself: `ip netns exec` execs it) is
# recorded for lab_down and left in $LAB_LAST_PID.
lab_bg() {
    local node=$1 log=$2; shift 2
    local ns; ns=$(lab_ns "$node")
    (trap - EXIT INT TERM; exec ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null) &
    LAB_LAST_PID=$!
    LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_kill PID [SIGNAL]: signal a process started by lab_bg and reap it.
lab_kill() {
    local pid=$1 sig=${2:-TERM}
    kill -s "$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# lab_alive PID: true while the process runs.
lab_alive() { kill -0 "$1" 2>/dev/null; }

# lab_wait_port NODE tcp|udp ADDR PORT TIMEOUT: poll until something in NODE
# listens on ADDR:PORT (a wildcard listener counts; ADDR `*` matches anything).
lab_wait_port() {
    local node=$1 proto=$2 addr=$3 port=$4 timeout=$5 flag
    case $proto in tcp) flag=-Hltn ;; udp) flag=-Hlun ;; *) lab_log "bad proto $proto"; return 2 ;; esac
    local deadline=$((SECONDS + timeout)) line local_ep
    while :; do
        while read -r _ _ _ local_ep _; do
            case $local_ep in
                "$addr:$port"|"0.0.0.0:$port"|"*:$port"|"[::]:$port") return 0 ;;
            esac
            [ "$addr" = "*" ] && [ "${local_ep##*:}" = "$port" ] && return 0
        done < <(lab_exec "$node" ss $flag 2>/dev/null)
        [ "$SECONDS" -ge "$deadline" ] && { lab_log "timeout: nothing listens on $proto $addr:$port in $node"; return 1; }
        sleep 0.05
    done
}

# lab_wait_log FILE REGEX TIMEOUT [COUNT]: poll until FILE has at least COUNT
# (default 1) lines matching the extended REGEX.
lab_wait_log() {
    local file=$1 re=$2 timeout=$3 count=${4:-1} n
    local deadline=$((SECONDS + timeout))
    while :; do
        n=$(grep -Ec -- "$re" "$file" 2>/dev/null || true)
        [ "${n:-0}" -ge "$count" ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && { lab_log "timeout: '$re' x$count not in $file (found ${n:-0})"; return 1; }
        sleep 0.05
    done
}

# lab_count_log FILE REGEX: number of matching lines (0 when none).
lab_count_log() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# --- reporting -------------------------------------------------------------

lab_dump_logs() {
    local f
    [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ] || return 0
    for f in "$LAB_TMP"/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last 40 lines) -----"
        tail -n 40 "$f"
    done
}

lab_pass() { printf 'ok: %s\n' "$*"; }

lab_fail() {
    printf 'FAIL: %s\n' "$*"
    lab_dump_logs
    exit 1
}

# lab_check DESCRIPTION CMD...: run CMD; pass or fail the test with DESCRIPTION.
lab_check() {
    local what=$1; shift
    if "$@"; then lab_pass "$what"; else lab_fail "$what"; fi
}

# lab_tool NAME: path of a helper built from tests/tools.
lab_tool() {
    local p="${BURROW_BUILD:?BURROW_BUILD not set}/$1"
    [ -x "$p" ] || { echo "missing tool $p (build the project first)" >&2; return 1; }
    printf '%s' "$p"
}

# --- topology --------------------------------------------------------------

# True when PID runs and is not a zombie (an orphaned test shell can linger
# as one until init reaps it).
_lab_pid_alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# Remove namespaces left by runs whose owning shell is gone.
lab_reap_stale() {
    local ns pid p
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        [[ $ns =~ ^brw([0-9]+)- ]] || continue
        pid=${BASH_REMATCH[1]}
        [ "$pid" = "$$" ] && continue
        _lab_pid_alive "$pid" && continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null && lab_log "removed stale namespace $ns"
    done
    local d
    for d in /tmp/brwlab.*.*; do
        [[ $d =~ ^/tmp/brwlab\.([0-9]+)\. ]] || continue
        pid=${BASH_REMATCH[1]}
        [ "$pid" = "$$" ] || _lab_pid_alive "$pid" || rm -rf "$d"
    done
}

# _lab_link A IFA B IFB: veth pair, IFA in node A and IFB in node B.
_lab_link() {
    ip -n "$(lab_ns "$1")" link add "$2" type veth peer name "$4" netns "$(lab_ns "$3")"
}

_lab_host() { # NODE ADDR/PREFIX [GATEWAY]
    local node=$1 addr=$2 gw=${3:-}
    lab_exec "$node" ip addr add "$addr" dev eth0
    lab_exec "$node" ip link set eth0 up
    [ -n "$gw" ] && lab_exec "$node" ip route add default via "$gw"
    return 0
}

_lab_router() { # NODE WANADDR LANADDR
    local node=$1
    lab_exec "$node" ip addr add "$2" dev wan
    lab_exec "$node" ip addr add "$3" dev lan
    lab_exec "$node" ip link set wan up
    lab_exec "$node" ip link set lan up
    lab_exec "$node" sysctl -qw net.ipv4.ip_forward=1
}

# lab_nat_rules TYPE WANIP: print the nftables ruleset for a router.
# TYPE `full-cone+hairpin` is full-cone that also loops a LAN host's packet
# to WANIP:port back to the LAN host holding that mapping (hairpinning,
# RFC 4787 REQ-9), with the sender's address translated to WANIP.
lab_nat_rules() {
    local type=$1 wan_ip=$2 hairpin=0
    [ "$type" = full-cone+hairpin ] && { type=full-cone; hairpin=1; }
    cat <<EOF
table ip natlab {
EOF
    case $type in
        full-cone) cat <<'EOF'
  # proto . mapped port -> LAN host: any outside host may send to a used mapping
  map cone { type inet_proto . inet_service : ipv4_addr; flags dynamic,timeout; timeout 300s; }
EOF
        ;;
        restricted) cat <<'EOF'
  # contacted remote address . proto . mapped port -> LAN host
  map cone { type ipv4_addr . inet_proto . inet_service : ipv4_addr; flags dynamic,timeout; timeout 300s; }
EOF
        ;;
    esac
    cat <<'EOF'
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
EOF
    case $type in
        full-cone) cat <<'EOF'
    iifname "lan" oifname "wan" meta l4proto { tcp, udp } update @cone { meta l4proto . th sport timeout 300s : ip saddr }
    iifname "wan" oifname "lan" ct status dnat accept
EOF
        [ $hairpin = 1 ] && echo '    iifname "lan" oifname "lan" ct status dnat accept'
        ;;
        restricted) cat <<'EOF'
    iifname "lan" oifname "wan" meta l4proto { tcp, udp } update @cone { ip daddr . meta l4proto . th sport timeout 300s : ip saddr }
    iifname "wan" oifname "lan" ct status dnat accept
EOF
        ;;
    esac
    cat <<'EOF'
    iifname "lan" oifname "wan" accept
  }
EOF
    case $type in
        full-cone)
            echo '  chain prerouting {'
            echo '    type nat hook prerouting priority dstnat; policy accept;'
            echo '    iifname "wan" dnat ip to meta l4proto . th dport map @cone'
            [ $hairpin = 1 ] && echo "    iifname \"lan\" ip daddr $wan_ip dnat ip to meta l4proto . th dport map @cone"
            echo '  }'
        ;;
        restricted) cat <<'EOF'
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" dnat ip to ip saddr . meta l4proto . th dport map @cone
  }
EOF
        ;;
    esac
    cat <<EOF
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
EOF
    case $type in
        port-restricted)
            # Linux keeps the source port when it can: endpoint-independent
            # mapping; conntrack only lets the exact addr:port answer.
            echo '    oifname "wan" masquerade' ;;
        symmetric)
            # A fresh random port for every new conntrack, i.e. per destination.
            echo '    oifname "wan" meta l4proto { tcp, udp } masquerade to :1024-65535 fully-random'
            echo '    oifname "wan" masquerade' ;;
        full-cone|restricted)
            # Port-preserving SNAT: the mapped port is the LAN port, so the
            # map written from the forward path can be used to DNAT back.
            echo "    oifname \"wan\" snat ip to $wan_ip"
            [ $hairpin = 1 ] && echo "    iifname \"lan\" oifname \"lan\" ct status dnat snat ip to $wan_ip"
            ;;
        *) lab_log "unknown NAT type '$type'"; return 1 ;;
    esac
    cat <<'EOF'
  }
}
EOF
}

# lab_set_nat ROUTER TYPE: (re)load a router's NAT ruleset.
lab_set_nat() {
    local node=$1 type=$2 wan_ip rules
    case $node in
        nat1) wan_ip=203.0.113.21 ;;
        nat2) wan_ip=203.0.113.22 ;;
        cgn) wan_ip=203.0.113.30 ;;
        home) wan_ip=100.64.0.2 ;;
        *) lab_log "not a router: $node"; return 1 ;;
    esac
    rules=$(lab_nat_rules "$type" "$wan_ip") || return 1
    lab_exec "$node" nft flush ruleset
    printf '%s\n' "$rules" | lab_exec "$node" nft -f - || { lab_log "nft rejected $type rules on $node"; return 1; }
    eval "LAB_NAT_${node^^}=\$type"
}

# lab_up [NAT1TYPE [NAT2TYPE]]: build the topology. Also creates $LAB_TMP.
lab_up() {
    local t1=${1:-${LAB_NAT1:-${LAB_NAT:-port-restricted}}}
    local t2=${2:-${LAB_NAT2:-${LAB_NAT:-port-restricted}}}
    local n
    if [ "$(id -u)" != 0 ]; then echo "lab: must run as root" >&2; return 1; fi
    command -v nft >/dev/null || { echo "lab: nft not found" >&2; return 1; }
    lab_reap_stale
    lab_down_quiet
    [ -n "$LAB_TMP" ] || LAB_TMP=$(mktemp -d "/tmp/brwlab.$$.XXXXXX")
    mkdir -p "$LAB_TMP"
    LAB_IS_UP=1
    for n in "${LAB_NODES[@]}"; do
        ip netns add "$(lab_ns "$n")" || return 1
        lab_exec "$n" ip link set lo up
    done
    # The internet: a bridge in namespace inet, nothing routed out of it.
    lab_exec inet ip link add br0 type bridge
    lab_exec inet ip link set br0 up
    local spec node ifc
    for spec in srv:eth0 user:eth0 nat1:wan nat2:wan; do
        node=${spec%%:*} ifc=${spec#*:}
        _lab_link inet "$node" "$node" "$ifc"
        lab_exec inet ip link set "$node" master br0
        lab_exec inet ip link set "$node" up
    done
    _lab_link nat1 lan c1 eth0
    _lab_link nat2 lan c2 eth0
    _lab_host srv 203.0.113.10/24
    _lab_host user 203.0.113.50/24
    _lab_router nat1 203.0.113.21/24 192.168.1.1/24
    _lab_router nat2 203.0.113.22/24 192.168.2.1/24
    _lab_host c1 192.168.1.10/24 192.168.1.1
    _lab_host c2 192.168.2.10/24 192.168.2.1
    # `user` plays an attacker on the same ISP segment: it routes the private
    # networks to the NAT routers' WAN side, so only their firewalls stop it.
    lab_exec user ip route add 192.168.1.0/24 via 203.0.113.21
    lab_exec user ip route add 192.168.2.0/24 via 203.0.113.22
    lab_set_nat nat1 "$t1" || return 1
    lab_set_nat nat2 "$t2" || return 1
    lab_log "up: prefix $LAB_PREFIX, nat1=$t1 nat2=$t2, tmp $LAB_TMP"
}

# lab_srv_alt: give srv a second public address, 203.0.113.11, next to .10.
lab_srv_alt() {
    lab_exec srv ip addr add 203.0.113.11/24 dev eth0
}

# lab_pub2_up: add host pub2 (203.0.113.51) on the internet bridge: a second
# client with a public address, for pairs where neither side is NATed.
lab_pub2_up() {
    ip netns add "$(lab_ns pub2)" || return 1
    lab_exec pub2 ip link set lo up
    _lab_link inet pub2 pub2 eth0
    lab_exec inet ip link set pub2 master br0
    lab_exec inet ip link set pub2 up
    _lab_host pub2 203.0.113.51/24
}

# lab_carrier_up [HOMETYPE [CGNTYPE]]: add a carrier-grade NAT site: `cgn`
# (WAN 203.0.113.30 on the internet, LAN 100.64.0.1/10, RFC 6598 shared
# space) serves the home router `home` (WAN 100.64.0.2, LAN 192.168.3.1/24),
# which serves host c3 (192.168.3.10). Both routers default to
# port-restricted. The namespaces share the run's prefix, so lab_down
# removes them.
lab_carrier_up() {
    local th=${1:-port-restricted} tc=${2:-port-restricted} n
    for n in cgn home c3; do
        ip netns add "$(lab_ns "$n")" || return 1
        lab_exec "$n" ip link set lo up
    done
    _lab_link inet cgn cgn wan
    lab_exec inet ip link set cgn master br0
    lab_exec inet ip link set cgn up
    _lab_link cgn lan home wan
    _lab_link home lan c3 eth0
    _lab_router cgn 203.0.113.30/24 100.64.0.1/10
    _lab_router home 100.64.0.2/10 192.168.3.1/24
    lab_exec home ip route add default via 100.64.0.1
    _lab_host c3 192.168.3.10/24 192.168.3.1
    lab_set_nat cgn "$tc" || return 1
    lab_set_nat home "$th" || return 1
    lab_log "carrier NAT up: c3 -> home($th) -> cgn($tc)"
}

lab_down_quiet() {
    local pid ns p i
    for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for ((i = 0; i < 60; i++)); do
        local any=0
        for pid in "${LAB_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
        [ $any = 0 ] && break
        sleep 0.05
    done
    for pid in "${LAB_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    LAB_PIDS=()
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case $ns in "$LAB_PREFIX"*) ;; *) continue ;; esac
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}

# lab_down: kill recorded processes, delete this run's namespaces and temp dir
# (kept when LAB_KEEP=1). Idempotent; meant for `trap lab_down EXIT`.
lab_down() {
    local rc=$?
    [ "$BASHPID" = "$LAB_MAIN_PID" ] || return $rc  # never from a subshell
    lab_down_quiet
    # A sanitizer report in any process's log fails the test (the processes
    # were just stopped with SIGTERM, so LeakSanitizer has run at their exit).
    if [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ]; then
        local bad
        bad=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LAB_TMP"/*.log 2>/dev/null)
        if [ -n "$bad" ]; then
            for f in $bad; do
                printf 'FAIL: sanitizer report in %s:\n' "$f"
                grep -A25 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -60
            done
            rc=1
        fi
    fi
    if [ -n "$LAB_TMP" ] && [ -d "$LAB_TMP" ]; then
        if [ "${LAB_KEEP:-0}" = 1 ]; then lab_log "kept $LAB_TMP"; else rm -rf "$LAB_TMP"; fi
    fi
    LAB_IS_UP=0
    return $rc
}

# Standard trap for tests: clean up on every exit, turn signals into exits.
lab_trap() {
    trap lab_down EXIT
    trap '_lab_sig 130' INT
    trap '_lab_sig 143' TERM
}

# A signal can hit a just-forked child of lab_bg before it resets the traps:
# such a child must exit without running the cleanup.
_lab_sig() {
    [ "$BASHPID" = "$LAB_MAIN_PID" ] || trap - EXIT
    exit "$1"
}
