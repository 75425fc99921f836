#!/usr/bin/env bash
# check_fixtures.sh: `burrow client|server --check` on every fixture of this
# directory (frp's full examples in TOML, YAML, JSON and legacy INI,
# written by this project), against expected/<fixture>.txt: the exit status
# and every diagnostic line. Also: each warning names its key and why it is
# ignored, and the YAML and JSON fixtures give the same tree as the TOML one
# (`burrow config convert`). That the INI fixtures load to the TOML ones'
# settings is checked by tests/unit/test_cfg_formats.c.
#
# When a key becomes supported, its warning goes: run with BURROW_BLESS=1 to
# rewrite expected/*.txt, and review the diff.
set -u
BIN=${BURROW_BIN:?BURROW_BIN: the burrow binary}
[ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }
cd "$(dirname "$0")"
fail=0

# The one reason a warning may give: the key is named, and why it goes.
reasons="frp key '[^']+' is not supported by burrow yet; ignored|legacy INI key '[^']+' has no equivalent in frp's TOML schema; ignored|proxy type '[^']+' is not supported by burrow yet; proxy '[^']+' skipped|plugin '[^']+' is not supported by burrow \\(.+\\); proxy '[^']+' skipped"

for f in client_*.toml client_*.yaml client_*.json client_*.ini \
         server_*.toml server_*.yaml server_*.json server_*.ini; do
  role=${f%%_*}
  out=$("$BIN" "$role" --check -c "$f" 2>&1 >/dev/null)
  status=$?
  [ "$status" -lt 64 ] || { echo "FAIL $f: burrow exited $status"; fail=1; }
  actual=$(printf 'status %d\n%s' "$status" "$out")
  if [ "${BURROW_BLESS:-}" = 1 ]; then
    printf '%s\n' "$actual" >"expected/$f.txt"
  elif ! diff -u "expected/$f.txt" <(printf '%s\n' "$actual"); then
    echo "FAIL $f: diagnostics differ from expected/$f.txt (above)"
    fail=1
  fi
  bad=$(grep ': warning: ' <<<"$out" | grep -vE "$reasons")
  if [ -n "$bad" ]; then
    printf 'FAIL %s: warnings that do not name a key and a reason:\n%s\n' "$f" "$bad"
    fail=1
  fi
  if grep -q "unknown key" <<<"$out"; then
    echo "FAIL $f: an frp key is called unknown"
    fail=1
  fi
done

for base in client_full client_plugins server_full; do
  for ext in yaml json; do
    if ! cmp -s <("$BIN" config convert "$base.toml") <("$BIN" config convert "$base.$ext"); then
      echo "FAIL $base.$ext: does not give the tree of $base.toml"
      diff <("$BIN" config convert "$base.toml") <("$BIN" config convert "$base.$ext") | head -20
      fail=1
    fi
  done
done

[ "$fail" = 0 ] && echo "ok: config fixtures"
exit "$fail"
