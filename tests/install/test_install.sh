#!/usr/bin/env bash
# test_install: `cmake --install` of the build tree BUILD (argument 1) into a
# scratch DESTDIR with prefix /usr: the binary, the man page, the examples and
# both systemd units land where they should and name /usr/bin/burrow; the
# installed `burrow --help` lists every command and `burrow help CMD`
# describes each. Then a second install into a scratch prefix (so that
# ExecStart exists on this host) is checked by `systemd-analyze verify`: any
# line it prints (unknown key, bad value, missing binary) fails the test,
# since it exits 0 on warnings; `systemd-analyze security` must rate each
# unit's exposure at 2.0 or better. The man page must render without groff
# warnings. No root needed.
set -euo pipefail
BUILD=${1:?usage: test_install.sh BUILD_DIR}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

DESTDIR="$TMP/root" cmake --install "$BUILD" --prefix /usr >"$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log"; fail "cmake --install into DESTDIR"; }
R="$TMP/root/usr"
for f in bin/burrow share/man/man1/burrow.1 share/doc/burrow/examples/frps.toml \
         share/doc/burrow/examples/frpc.toml lib/systemd/system/burrow-server.service \
         lib/systemd/system/burrow-client@.service; do
  [ -e "$R/$f" ] || fail "missing $f after DESTDIR install"
done
[ -x "$R/bin/burrow" ] || fail "bin/burrow is not executable"
"$R/bin/burrow" version | grep -q '^burrow ' || fail "installed burrow does not run"
grep -q '^ExecStart=/usr/bin/burrow server ' "$R/lib/systemd/system/burrow-server.service" ||
  fail "burrow-server.service does not run /usr/bin/burrow"
grep -q '^ExecStart=/usr/bin/burrow client -c /etc/burrow/%i.toml' \
  "$R/lib/systemd/system/burrow-client@.service" || fail "burrow-client@.service ExecStart"
for u in burrow-server.service burrow-client@.service; do
  for k in Type=notify DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
           NoNewPrivileges=yes CapabilityBoundingSet=CAP_NET_BIND_SERVICE \
           'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' Restart=always \
           RestartSec=2 StateDirectory=; do
    grep -q "^$k" "$R/lib/systemd/system/$u" || fail "$u lacks $k"
  done
done
grep -q '^AmbientCapabilities=CAP_NET_BIND_SERVICE' "$R/lib/systemd/system/burrow-server.service" ||
  fail "the server unit cannot bind low ports"
echo "ok: DESTDIR install: binary, man page, examples, units naming /usr/bin/burrow"
# `burrow --help` lists every command, and `burrow help CMD` describes each.
cmds=$("$R/bin/burrow" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || fail "burrow --help lists too few commands: $cmds"
for c in $cmds; do
  [ "$c" = help ] && continue
  out=$("$R/bin/burrow" help "$c" 2>&1) || fail "burrow help $c exited $?"
  echo "$out" | grep -q "burrow $c" || fail "burrow help $c: $(echo "$out" | head -n1)"
done
echo "ok: burrow help COMMAND for" $cmds

out=$(MANWIDTH=80 man --warnings -l "$R/share/man/man1/burrow.1" 2>&1 >/dev/null || true)
[ -z "$out" ] || { echo "$out"; fail "man page renders with warnings"; }

cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install2.log" 2>&1 ||
  { cat "$TMP/install2.log"; fail "cmake --install --prefix"; }
U="$TMP/prefix/lib/systemd/system"
cp "$U/burrow-client@.service" "$U/burrow-client@home.service" # an instance to verify
if ! command -v systemd-analyze >/dev/null; then
  fail "systemd-analyze not installed (scripts/deps.sh: systemd)"
fi
out=$(systemd-analyze verify --man=no "$U/burrow-server.service" "$U/burrow-client@home.service" 2>&1) ||
  { echo "$out"; fail "systemd-analyze verify exited non-zero"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify complained"; }
echo "ok: systemd-analyze verify: both units clean"
# The sandbox must stay tight: systemd's own exposure score (0 best, 10
# worst; 1.6 server and 1.5 client when written) at most 2.0.
for u in burrow-server.service burrow-client@home.service; do
  out=$(systemd-analyze security --offline=true --man=no --threshold=20 "$U/$u" 2>&1) ||
    { echo "$out" | grep -E 'Overall|✗' | head -20; fail "$u: exposure above 2.0"; }
  echo "ok: $u: $(echo "$out" | grep -o 'Overall exposure level.*')"
done
