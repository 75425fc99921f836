#!/usr/bin/env bash
# test_config_check: the command line and `--check` without any network.
# The shipped examples pass `--check` (exit 0); an out-of-range localPort
# exits 2 naming FILE:LINE and the key on stderr; an unknown key is only a
# warning (exit 0) naming the key and its line; --help and version exit 0.
set -u
BURROW_BIN=${BURROW_BIN:-${BURROW_BUILD:-}/burrow}
SRC=${BURROW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x "$BURROW_BIN" ] || { echo "burrow binary not found at '$BURROW_BIN'" >&2; exit 1; }
TMP=$(mktemp -d "/tmp/brwcfg.$$.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() {
    printf 'FAIL: %s\n' "$*"
    for f in "$TMP"/*.out "$TMP"/*.err; do
        [ -s "$f" ] && { echo "----- $(basename "$f")"; cat "$f"; }
    done
    exit 1
}
pass() { printf 'ok: %s\n' "$*"; }

# run NAME CMD...: run CMD with stdout/stderr to $TMP/NAME.{out,err}; rc in $rc.
run() {
    local name=$1; shift
    rm -f "$TMP/$name.out" "$TMP/$name.err"
    timeout 10 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
}

run srvcheck env BURROW_TOKEN=t0ken "$BURROW_BIN" server --check -c "$SRC/examples/frps.toml"
[ "$rc" = 0 ] || fail "server --check examples/frps.toml exited $rc"
pass "server --check examples/frps.toml: exit 0 ($(cat "$TMP/srvcheck.out" "$TMP/srvcheck.err" | head -n1))"
# examples/frpc.toml reads the token from the environment.
run clicheck env BURROW_TOKEN=t0ken "$BURROW_BIN" client --check -c "$SRC/examples/frpc.toml"
[ "$rc" = 0 ] || fail "client --check examples/frpc.toml exited $rc"
pass "client --check examples/frpc.toml: exit 0 ($(cat "$TMP/clicheck.out" "$TMP/clicheck.err" | head -n1))"

# localPort out of range on line 8.
cat >"$TMP/badport.toml" <<'EOF'
serverAddr = "203.0.113.10"
serverPort = 7000
auth.token = "secret"

[[proxies]]
name = "web"
type = "tcp"
localPort = 70000
localIP = "127.0.0.1"
remotePort = 6080
EOF
line=$(grep -n 'localPort = 70000' "$TMP/badport.toml" | cut -d: -f1)
run badport "$BURROW_BIN" client --check -c "$TMP/badport.toml"
[ "$rc" = 2 ] || fail "localPort = 70000: exit $rc, want 2"
grep -q "badport.toml:$line:.*localPort" "$TMP/badport.err" ||
    fail "localPort = 70000: stderr does not name badport.toml:$line and localPort"
pass "localPort = 70000: exit 2, stderr: $(grep -m1 localPort "$TMP/badport.err")"
# The same file through the real start path (not --check) must refuse too.
run badport_run "$BURROW_BIN" client -c "$TMP/badport.toml" --state-dir "$TMP/state"
[ "$rc" = 2 ] || fail "client -c (no --check) with localPort = 70000: exit $rc, want 2"
pass "client without --check refuses the same file with exit 2"

# Unknown keys: top level (line 4) and inside a proxy (line 11).
cat >"$TMP/unknown.toml" <<'EOF'
serverAddr = "203.0.113.10"
serverPort = 7000
auth.token = "secret"
frobnicateLevel = 3

[[proxies]]
name = "web"
type = "tcp"
localIP = "127.0.0.1"
localPort = 8080
wobbleFactor = true
remotePort = 6080
EOF
run unknown "$BURROW_BIN" client --check -c "$TMP/unknown.toml"
[ "$rc" = 0 ] || fail "unknown keys: exit $rc, want 0 (a warning only)"
grep -Eiq "unknown.toml:4:.*warn.*frobnicateLevel" "$TMP/unknown.err" ||
    fail "no warning naming unknown.toml:4 and frobnicateLevel"
grep -Eiq "unknown.toml:11:.*warn.*wobbleFactor" "$TMP/unknown.err" ||
    fail "no warning naming unknown.toml:11 and wobbleFactor"
pass "unknown keys: exit 0; $(grep -m1 frobnicateLevel "$TMP/unknown.err"); $(grep -m1 wobbleFactor "$TMP/unknown.err")"
# Same for the server schema.
printf 'bindPort = 7000\nauth.token = "x"\nsuperFastMode = true\n' >"$TMP/unknown_srv.toml"
run unknown_srv "$BURROW_BIN" server --check -c "$TMP/unknown_srv.toml"
[ "$rc" = 0 ] || fail "server unknown key: exit $rc, want 0"
grep -Eiq "unknown_srv.toml:3:.*warn.*superFastMode" "$TMP/unknown_srv.err" ||
    fail "server: no warning naming unknown_srv.toml:3 and superFastMode"
pass "server unknown key: exit 0; $(grep -m1 superFastMode "$TMP/unknown_srv.err")"

# No auth.token and no [[users]]: refused (check and start) naming the key
# that allows an open server; with auth.allowOpen it starts, warning loudly.
run srvopen env BURROW_TOKEN= "$BURROW_BIN" server --check -c "$SRC/examples/frps.toml"
[ "$rc" = 2 ] || fail "server --check without a token (BURROW_TOKEN empty): exit $rc, want 2"
grep -q "frps.toml: error: no 'auth.token'.*auth.allowOpen = true" "$TMP/srvopen.err" ||
    fail "open server: stderr does not name auth.token and auth.allowOpen"
pass "no token: --check exits 2: $(head -c 120 "$TMP/srvopen.err")..."
# The variable unset (not just empty): an error naming it and the line.
run srvunset env -u BURROW_TOKEN "$BURROW_BIN" server --check -c "$SRC/examples/frps.toml"
[ "$rc" = 2 ] || fail "server --check with BURROW_TOKEN unset: exit $rc, want 2"
grep -q "frps.toml:[0-9]*: error: .*environment variable BURROW_TOKEN is not set" "$TMP/srvunset.err" ||
    fail "unset BURROW_TOKEN: stderr does not name the variable at file:line"
pass "unset token variable: $(head -c 120 "$TMP/srvunset.err")"
printf 'bindAddr = "127.0.0.1"\nbindPort = 1\n' >"$TMP/open.toml"
run srvopen_run "$BURROW_BIN" server -c "$TMP/open.toml" --state-dir "$TMP/state"
[ "$rc" = 2 ] || fail "server start without a token: exit $rc, want 2"
grep -q "auth.allowOpen" "$TMP/srvopen_run.err" || fail "server start without a token: no reason"
pass "no token: server start exits 2 before listening"
# allowOpen: starts (it then fails to bind port 1 as non-root or succeeds as
# root; either way the loud warning comes first).
printf 'bindAddr = "127.0.0.1"\nbindPort = 1\nauth.allowOpen = true\n' >"$TMP/open_ok.toml"
run srvopen_ok "$BURROW_BIN" server --check -c "$TMP/open_ok.toml"
[ "$rc" = 0 ] || fail "auth.allowOpen = true: --check exit $rc, want 0"
timeout 2 "$BURROW_BIN" server -c "$TMP/open_ok.toml" --state-dir "$TMP/state" >"$TMP/open_ok.out" 2>&1
grep -q "WARN.*OPEN SERVER" "$TMP/open_ok.out" || fail "auth.allowOpen = true: no loud warning at start"
pass "auth.allowOpen = true: $(grep -m1 'OPEN SERVER' "$TMP/open_ok.out" | cut -c1-110)..."

for args in "--help" "server --help" "client --help" "version"; do
    # shellcheck disable=SC2086
    run help "$BURROW_BIN" $args
    [ "$rc" = 0 ] || fail "burrow $args exited $rc"
    [ -s "$TMP/help.out" ] || [ -s "$TMP/help.err" ] || fail "burrow $args printed nothing"
    pass "burrow $args: exit 0 ($(cat "$TMP/help.out" "$TMP/help.err" | head -n1))"
done
grep -q '^burrow [0-9]' "$TMP/help.out" || fail "burrow version does not print 'burrow X.Y.Z'"
# Controls: these must fail, or the checks above prove nothing.
run nosuch "$BURROW_BIN" client --check -c "$TMP/does-not-exist.toml"
[ "$rc" != 0 ] || fail "--check on a missing file exited 0"
rc_missing=$rc
run badcmd "$BURROW_BIN" frobnicate
[ "$rc" != 0 ] || fail "an unknown command exited 0"
pass "controls: missing file exits $rc_missing, unknown command exits $rc"
echo "PASS test_config_check"
