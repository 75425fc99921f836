#!/usr/bin/env bash
# test_http_browser: a real browser through the vhost. Headless Chromium
# (Debian's `chromium`) in the outside user's namespace loads a page from a
# site behind nat1; the page pulls a stylesheet, a script and an image from
# the same site and fetch()es JSON from a second site behind nat2 that is
# routed by location (/api). The test reads the DOM Chromium rendered
# (--dump-dom): the script ran, the CSS applied, the image decoded, the API
# answered through the other client. Without chromium it fails under CI
# (scripts/deps.sh installs it there) and is skipped, with a notice, by hand.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
if ! command -v chromium >/dev/null 2>&1; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: chromium is not installed, but CI runs scripts/deps.sh which installs it"
        exit 1
    fi
    echo "SKIP test_http_browser: chromium is not installed (scripts/deps.sh installs it)"
    exit 0
fi
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
cat >"$LAB_TMP/www/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>burrow lab</title>
<link rel="stylesheet" href="/file/style.css">
<script src="/file/app.js" defer></script></head>
<body><h1 id="title">burrow vhost page</h1>
<img id="logo" src="/file/logo.png" alt="logo">
<p id="api">api: pending</p></body></html>
HTML
cat >"$LAB_TMP/www/style.css" <<'CSS'
#title { color: rgb(1, 2, 3); }
CSS
cat >"$LAB_TMP/www/app.js" <<'JS'
document.body.dataset.script = "ran";
document.body.dataset.color = getComputedStyle(document.getElementById("title")).color;
const img = document.getElementById("logo");
const seen = () => { document.body.dataset.img = img.naturalWidth + "x" + img.naturalHeight; };
if (img.complete) seen(); else img.addEventListener("load", seen);
fetch("/api/data").then(r => r.json()).then(j => {
  document.getElementById("api").textContent = "api: " + j.site + " via " + j.headers.find(h => h[0] == "X-Forwarded-Host")[1];
}).catch(e => { document.getElementById("api").textContent = "api: failed " + e; });
JS
python3 - "$LAB_TMP/www/logo.png" <<'PY'
import struct, sys, zlib
w, h = 3, 2
raw = b"".join(b"\0" + b"\xff\x00\x00" * w for _ in range(h))
def chunk(t, d):
    return struct.pack("!I", len(d)) + t + d + struct.pack("!I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
http_backend c1 WEB 192.168.1.10 8001 || lab_fail "backend WEB"
http_backend c2 API 192.168.2.10 8001 || lab_fail "backend API"

token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" web http 192.168.1.10 8001 'customDomains = ["app.example.com"]'
brw_client_conf "$LAB_TMP/c2.toml" "$token"
vhost_proxy "$LAB_TMP/c2.toml" api http 192.168.2.10 8001 'customDomains = ["app.example.com"]' \
    'locations = ["/api"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=web' 15 || lab_fail "web not registered"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=api' 15 || lab_fail "api not registered"

mkdir -p "$LAB_TMP/chrome"
lab_exec user timeout 45 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$LAB_TMP/chrome" --host-resolver-rules="MAP app.example.com $SRV_ADDR" \
    --virtual-time-budget=10000 --dump-dom "http://app.example.com:$VHOST_HTTP/file/index.html" \
    >"$LAB_TMP/dom.html" 2>"$LAB_TMP/chromium.log" || lab_fail "chromium failed: $(tail -5 "$LAB_TMP/chromium.log")"
dom=$(cat "$LAB_TMP/dom.html")
grep -q '<h1 id="title">burrow vhost page</h1>' <<<"$dom" || lab_fail "page not rendered: $dom"
grep -q 'data-script="ran"' <<<"$dom" || lab_fail "script did not run: $dom"
grep -q 'data-color="rgb(1, 2, 3)"' <<<"$dom" || lab_fail "stylesheet not applied: $dom"
grep -q 'data-img="3x2"' <<<"$dom" || lab_fail "image not decoded: $dom"
grep -q "<p id=\"api\">api: API via app.example.com:$VHOST_HTTP</p>" <<<"$dom" || lab_fail "fetch through /api failed: $dom"
lab_pass "Chromium rendered the page: script ran, CSS applied, 3x2 PNG decoded, /api answered by c2's site"
for f in index.html style.css app.js logo.png; do
    grep -q "\"GET /file/$f HTTP/1.1\" 200" "$LAB_TMP/be-WEB.log" || lab_fail "WEB backend did not serve $f"
done
grep -q '"GET /api/data HTTP/1.1" 200' "$LAB_TMP/be-API.log" || lab_fail "API backend did not serve /api/data"
lab_pass "all four assets came from c1's backend and /api/data from c2's, through one host name"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_browser"
