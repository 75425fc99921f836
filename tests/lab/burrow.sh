# burrow.sh: helpers to run burrow server/clients in the lab. Source after lab.sh.
# Env: BURROW_BIN (default $BURROW_BUILD/burrow), BURROW_BUILD (tools),
# BRW_LOG_LEVEL (log.level written into configs, default debug).

BURROW_BIN=${BURROW_BIN:-${BURROW_BUILD:-}/burrow}
SRV_ADDR=203.0.113.10
SRV_PORT=7000
BRW_SERVER_PID=

brw_require() {
    [ -x "$BURROW_BIN" ] || { echo "burrow binary not found at '$BURROW_BIN'" >&2; return 1; }
}

brw_token() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# brw_server_conf FILE TOKEN [EXTRA-TOML-LINES...]
brw_server_conf() {
    local f=$1 token=$2; shift 2
    {
        echo "bindAddr = \"$SRV_ADDR\""
        echo "bindPort = $SRV_PORT"
        echo "auth.token = \"$token\""
        echo "allowPorts = [{ start = 6000, end = 6100 }]"
        echo "transport.heartbeatTimeout = 90"
        echo "log.level = \"${BRW_LOG_LEVEL:-debug}\""
        local l
        for l in "$@"; do echo "$l"; done
    } >"$f"
}

# brw_client_conf FILE TOKEN [EXTRA-TOML...]; then append proxies with brw_proxy.
brw_client_conf() {
    local f=$1 token=$2; shift 2
    {
        echo "serverAddr = \"$SRV_ADDR\""
        echo "serverPort = $SRV_PORT"
        echo "auth.token = \"$token\""
        echo "transport.tls.enable = true"
        echo "transport.poolCount = 2"
        echo "log.level = \"${BRW_LOG_LEVEL:-debug}\""
        local l
        for l in "$@"; do echo "$l"; done
    } >"$f"
}

# brw_proxy FILE NAME TYPE LOCALIP LOCALPORT REMOTEPORT: append a [[proxies]] entry.
brw_proxy() {
    cat >>"$1" <<EOF

[[proxies]]
name = "$2"
type = "$3"
localIP = "$4"
localPort = $5
remotePort = $6
EOF
}

# brw_start_server CONF LOG: start on srv (state in $LAB_TMP/srv-state), wait
# until it listens. Extra environment: BRW_SERVER_ENV (e.g. "BURROW_HANDSHAKE_TIMEOUT=3").
brw_start_server() {
    local conf=$1 log=$2
    mkdir -p "$LAB_TMP/srv-state"
    # shellcheck disable=SC2086
    lab_bg srv "$log" env ${BRW_SERVER_ENV:-} "$BURROW_BIN" server -c "$conf" --state-dir "$LAB_TMP/srv-state"
    BRW_SERVER_PID=$LAB_LAST_PID
    lab_wait_log "$log" 'listening' 10 || return 1
    lab_wait_port srv tcp "$SRV_ADDR" "$SRV_PORT" 10 || return 1
    lab_alive "$BRW_SERVER_PID" || { lab_log "server exited"; return 1; }
}

# brw_start_client NODE NAME CONF: start a client in NODE, log $LAB_TMP/NAME.log,
# state $LAB_TMP/NAME-state. Leaves the pid in $LAB_LAST_PID.
brw_start_client() {
    local node=$1 name=$2 conf=$3
    mkdir -p "$LAB_TMP/$name-state"
    lab_bg "$node" "$LAB_TMP/$name.log" "$BURROW_BIN" client -c "$conf" --state-dir "$LAB_TMP/$name-state"
}

# brw_wait_proxy CLIENTLOG SERVERLOG NAME PROTO PORT [COUNT]: wait until the
# client registered proxy NAME (COUNT times) and the server listens on PORT.
brw_wait_proxy() {
    local clog=$1 slog=$2 name=$3 proto=$4 port=$5 count=${6:-1}
    lab_wait_log "$clog" "proxy registered.*name=$name([^A-Za-z0-9_.-]|\$)" 15 "$count" || return 1
    lab_wait_log "$slog" "proxy listening.*port=$port([^0-9]|\$)" 10 || return 1
    lab_wait_port srv "$proto" "$SRV_ADDR" "$port" 10
}

# brw_stop_clean PID LOG WHAT: SIGTERM to a server or client started above,
# then it must exit 0 within 10 s, log its stop, close every handle, and
# leave no sanitizer report in LOG.
brw_stop_clean() {
    local pid=$1 log=$2 what=$3 rc=
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
        lab_alive "$pid" || { wait "$pid"; rc=$?; break; }
        sleep 0.1
    done
    [ -n "$rc" ] || lab_fail "$what: still running 10 s after SIGTERM"
    [ "$rc" -eq 0 ] || lab_fail "$what: exited $rc after SIGTERM"
    grep -q "stopping on signal" "$log" || lab_fail "$what: no stop line"
    grep -q "stopped: every handle closed" "$log" || lab_fail "$what: the loop did not close"
    if grep -Eq "did not stop|left open|did not close|LeakSanitizer|AddressSanitizer|runtime error" "$log"; then
        lab_fail "$what: unclean stop: $(grep -E 'did not stop|left open|did not close|Sanitizer|runtime error' "$log" | head -3)"
    fi
}
