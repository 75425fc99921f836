#!/usr/bin/env bash
# test_inspect: the client's HTTP traffic inspector (inspect = true on an
# http proxy; inspector.* with a small ring and body bound). From `user`
# through the server's vhost: a GET, a POST with a JSON body, a POST whose
# body is past inspector.bodyMax, a chunked response. On the client's
# loopback the inspector's API lists them with their methods, paths,
# statuses and bodies (truncated marked, chunked decoded), the detail has
# parsed headers, /raw the bytes; a replay as captured and an edited one
# reach the backend and are recorded as replay_of; 150 more exchanges
# against a 120 kB ring keep it bounded with the oldest gone; a client with
# a public inspector.addr and no password refuses to start, naming the key;
# a client without inspect opens no inspector port.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
http_backend c2 B 192.168.2.10 8001 || lab_fail "backend B"

token=$(brw_token)
MAXB=120000
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP"
brw_client_conf "$LAB_TMP/c1.toml" "$token" "inspector.maxBytes = $MAXB" "inspector.bodyMax = 1024"
vhost_proxy "$LAB_TMP/c1.toml" web http 192.168.1.10 8001 'customDomains = ["web.example.com"]' \
    'inspect = true'
brw_client_conf "$LAB_TMP/c2.toml" "$token"
vhost_proxy "$LAB_TMP/c2.toml" plain http 192.168.2.10 8001 'customDomains = ["plain.example.com"]'
brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
brw_start_client c2 c2 "$LAB_TMP/c2.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=web' 15 || lab_fail "web not registered"
lab_wait_log "$LAB_TMP/c2.log" 'proxy registered.*name=plain' 15 || lab_fail "plain not registered"
lab_wait_log "$LAB_TMP/c1.log" 'inspector listening on http://127.0.0.1:4040/' 5 || lab_fail "no inspector"

API=http://127.0.0.1:4040
iget() { lab_exec c1 curl -sS --max-time 5 "$@"; }
jcheck() { # FILE PYTHON-EXPR (j: the parsed JSON)
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
        lab_fail "$(basename "$1"): $2 is false: $(head -c 800 "$1")"
}
# find_id LIST-FILE PYTHON-COND (r: a summary): the newest matching id
find_id() {
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["requests"]:
    if eval(sys.argv[2]): print(r["id"]); break' "$1" "$2"
}

# ---- traffic through the inspected proxy ---------------------------------------
[ "$(vcode web.example.com /echo)" = 200 ] || lab_fail "GET /echo"
got=$(vget web.example.com /echo -H 'Content-Type: application/json' --data-binary '{"hello":"world"}')
[ "$(json_field "$got" body)" = '{"hello":"world"}' ] || lab_fail "POST /echo through the proxy: $got"
head -c 5000 /dev/zero | tr '\0' 'z' >"$LAB_TMP/big"
got=$(vget web.example.com /sum --data-binary @"$LAB_TMP/big")
[ "${got##* }" = 5000 ] || lab_fail "POST /sum: $got"
got=$(vget web.example.com /chunked/5)
[ "$(printf '%s' "$got" | wc -l)" = 4 ] || lab_fail "GET /chunked/5: $got"
lab_pass "GET, POST with JSON, a 5000-byte upload and a chunked answer went through unchanged"

iget "$API/api/requests" -o "$LAB_TMP/list.json" || lab_fail "inspector API unreachable"
jcheck "$LAB_TMP/list.json" 'j["stored"] == 4 and [r["method"] + " " + r["target"] for r in j["requests"]] == ["GET /chunked/5", "POST /sum", "POST /echo", "GET /echo"]'
jcheck "$LAB_TMP/list.json" 'all(r["status"] == 200 and r["complete"] and r["proxy"] == "web" and r["src"].startswith("203.0.113.") and r["duration_us"] > 0 for r in j["requests"])'
jcheck "$LAB_TMP/list.json" '[r for r in j["requests"] if r["target"] == "/sum"][0]["req_truncated"] and [r for r in j["requests"] if r["target"] == "/sum"][0]["req_size"] == 5000'
lab_pass "the list: 4 exchanges, newest first, methods, paths, statuses, the user's address, durations, the cut upload"

echo_id=$(find_id "$LAB_TMP/list.json" 'r["target"] == "/echo" and r["method"] == "POST"')
sum_id=$(find_id "$LAB_TMP/list.json" 'r["target"] == "/sum"')
chunk_id=$(find_id "$LAB_TMP/list.json" 'r["target"] == "/chunked/5"')
iget "$API/api/requests/$echo_id" -o "$LAB_TMP/echo.json"
jcheck "$LAB_TMP/echo.json" 'j["request"]["body"]["data"] == "{\"hello\":\"world\"}" and j["request"]["body"]["content_type"] == "application/json"'
jcheck "$LAB_TMP/echo.json" '["Host", "web.example.com"] in j["request"]["headers"] and json.loads(j["response"]["body"]["data"])["body"] == "{\"hello\":\"world\"}"'
iget "$API/api/requests/$sum_id" -o "$LAB_TMP/sum.json"
jcheck "$LAB_TMP/sum.json" 'j["request"]["body"]["kept"] == 1024 and j["request"]["body"]["size"] == 5000 and j["request"]["body"]["truncated"] and j["request"]["body"]["data"] == "z" * 1024'
iget "$API/api/requests/$chunk_id" -o "$LAB_TMP/chunk.json"
jcheck "$LAB_TMP/chunk.json" 'j["response"]["body"]["data"] == "".join("part %d\n" % i for i in range(5)) and ["Transfer-Encoding", "chunked"] in j["response"]["headers"]'
iget "$API/api/requests/$echo_id/raw?part=request" -o "$LAB_TMP/raw"
head -c 20 "$LAB_TMP/raw" | grep -q '^POST /echo HTTP/1.1' || lab_fail "raw: $(head -c 200 "$LAB_TMP/raw")"
tail -c 17 "$LAB_TMP/raw" | grep -qF '{"hello":"world"}' || lab_fail "raw body: $(cat "$LAB_TMP/raw")"
[ "$(iget -o /dev/null -w '%{http_code}' "$API/api/requests/99999")" = 404 ] || lab_fail "unknown id: want 404"
iget "$API/" | grep -q '<title>burrow inspector' || lab_fail "the page"
lab_pass "detail: JSON body and its type, headers, the response; bodyMax cut at 1024 of 5000; chunked decoded; raw bytes; 404; the page"

# ---- replay ---------------------------------------------------------------------
wait_ex() { # ID: until the exchange is recorded
    local i
    for i in $(seq 50); do
        [ "$(iget -o "$LAB_TMP/ex-$1.json" -w '%{http_code}' "$API/api/requests/$1")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
before=$(lab_count_log "$LAB_TMP/be-A.log" '"POST /echo')
iget -X POST "$API/api/requests/$echo_id/replay" -o "$LAB_TMP/r1.json" || lab_fail "replay"
jcheck "$LAB_TMP/r1.json" "j['replay_of'] == $echo_id and j['id'] > 0"
r1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$LAB_TMP/r1.json")
wait_ex "$r1" || lab_fail "replay $r1 never recorded"
jcheck "$LAB_TMP/ex-$r1.json" "j['replay_of'] == $echo_id and j['status'] == 200 and j['complete'] and j['src'] == 'replay'"
jcheck "$LAB_TMP/ex-$r1.json" 'json.loads(j["response"]["body"]["data"])["body"] == "{\"hello\":\"world\"}"'
iget -X POST -H 'Content-Type: application/json' "$API/api/requests/$echo_id/replay" -o "$LAB_TMP/r2.json" \
    --data-binary '{"target": "/echo?edited=1", "body": "{\"edited\":true,\"n\":12345}", "headers": [["Host", "web.example.com"], ["Content-Type", "application/json"], ["Content-Length", "1"]]}' ||
    lab_fail "edited replay"
r2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$LAB_TMP/r2.json")
wait_ex "$r2" || lab_fail "edited replay $r2 never recorded"
jcheck "$LAB_TMP/ex-$r2.json" 'j["target"] == "/echo?edited=1" and json.loads(j["response"]["body"]["data"])["body"] == "{\"edited\":true,\"n\":12345}"'
jcheck "$LAB_TMP/ex-$r2.json" '["Content-Length", "25"] in j["request"]["headers"]'
after=$(lab_count_log "$LAB_TMP/be-A.log" '"POST /echo')
[ $((after - before)) = 2 ] || lab_fail "the backend saw $((after - before)) replays, want 2"
code=$(iget -o /dev/null -w '%{http_code}' -X POST -H 'Origin: http://evil.example' "$API/api/requests/$echo_id/replay")
[ "$code" = 403 ] || lab_fail "cross-site replay: HTTP $code, want 403"
code=$(iget -o /dev/null -w '%{http_code}' -X POST --data-binary '{"method": "GET\r\nX: y"}' "$API/api/requests/$echo_id/replay")
[ "$code" = 400 ] || lab_fail "bad method: HTTP $code, want 400"
lab_pass "replay as captured and edited (Content-Length recomputed) reach the backend, recorded as replay_of; cross-site 403; bad input 400"

# ---- the page in headless Chromium: list, detail, replay beside the old response --
if command -v chromium >/dev/null; then
    lab_bg c1 "$LAB_TMP/chromium.log" env HOME="$LAB_TMP" chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$LAB_TMP/chromium" --remote-debugging-port=9222 --window-size=1280,860 "$API/"
    cat >"$LAB_TMP/steps.json" <<JS
[["wait", "document.querySelectorAll('#requests tbody tr').length >= 6", 20],
 ["eval", "[...document.querySelectorAll('#requests td.path')].map(t => t.textContent).join(' ')", 0],
 ["eval", "document.querySelector('#requests tr[data-id=\\"$echo_id\\"]').click(), 1", 0],
 ["wait", "document.getElementById('replay') && document.querySelector('#detail pre.body') && document.querySelector('#detail pre.body').textContent", 10],
 ["eval", "document.getElementById('replay').click(), 1", 0],
 ["wait", "document.querySelector('.replay-cols') && document.querySelector('.replay-out h3').textContent", 15]]
JS
    out=$(lab_exec c1 python3 "$(dirname "$0")/cdp.py" 9222 "$LAB_TMP/steps.json" "$LAB_TMP/inspector.png" 2>&1) ||
        lab_fail "the page in Chromium: $out"
    grep -q '/chunked/5 /sum /echo /echo' <<<"$out" || lab_fail "rows not rendered: $out"
    grep -q '\\"hello\\": \\"world\\"' <<<"$out" || lab_fail "JSON body not pretty-printed: $out"
    grep -q 'Replay #[0-9]*: 200' <<<"$out" || lab_fail "replay result not shown: $out"
    [ -n "${INSPECT_SHOT:-}" ] && cp "$LAB_TMP/inspector.png" "$INSPECT_SHOT"
    lab_pass "headless Chromium: the list rendered, a click shows the pretty JSON body, Replay shows the new response beside the old"
else
    echo "skip: no chromium (Debian package chromium) for the rendered-page check"
fi

# ---- the ring's bound -------------------------------------------------------------
head -c 1000 /dev/zero | tr '\0' 'q' >"$LAB_TMP/kb"
urls=()
for i in $(seq 150); do urls+=("http://$SRV_ADDR:$VHOST_HTTP/echo?n=$i"); done
lab_exec user curl -sS --max-time 60 -o /dev/null -H 'Host: web.example.com' --data-binary @"$LAB_TMP/kb" "${urls[@]}" ||
    lab_fail "150 posts"
iget "$API/api/requests?limit=1000" -o "$LAB_TMP/full.json"
jcheck "$LAB_TMP/full.json" "j['bytes'] <= $MAXB and j['max_bytes'] == $MAXB and j['evicted'] > 0 and 10 < j['stored'] < 150"
jcheck "$LAB_TMP/full.json" 'j["requests"][0]["target"] == "/echo?n=150" and min(r["id"] for r in j["requests"]) > 1'
[ "$(iget -o /dev/null -w '%{http_code}' "$API/api/requests/1")" = 404 ] || lab_fail "the oldest is still there"
iget "$API/api/requests?method=POST&path=n%3D14&status=2xx" -o "$LAB_TMP/filt.json"
jcheck "$LAB_TMP/filt.json" 'sorted(r["target"] for r in j["requests"]) == ["/echo?n=14%d" % i for i in range(10)]'
iget "$API/api/requests?status=404" -o "$LAB_TMP/filt2.json"
jcheck "$LAB_TMP/filt2.json" 'j["requests"] == []'
lab_pass "150 exchanges into a $MAXB-byte ring: $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["stored"], "stored,", j["evicted"], "evicted,", j["bytes"], "bytes")' "$LAB_TMP/full.json"); the oldest gone; filters"

# ---- off, and refused -------------------------------------------------------------
[ "$(vcode plain.example.com /echo)" = 200 ] || lab_fail "plain proxy"
lab_exec c2 ss -ltn | grep -q ':4040 ' && lab_fail "a client without inspect listens on 4040"
grep -q 'inspector listening' "$LAB_TMP/c2.log" && lab_fail "a client without inspect started an inspector"
brw_client_conf "$LAB_TMP/bad.toml" "$token" 'inspector.addr = "0.0.0.0"'
vhost_proxy "$LAB_TMP/bad.toml" w2 http 192.168.2.10 8001 'customDomains = ["w2.example.com"]' 'inspect = true'
lab_exec c2 timeout 10 "$BURROW_BIN" client -c "$LAB_TMP/bad.toml" --state-dir "$LAB_TMP/bad-state" \
    >"$LAB_TMP/bad.log" 2>&1 && lab_fail "a public inspector without a password started"
grep -q "error: key 'inspector.password': required when inspector.addr '0.0.0.0'" "$LAB_TMP/bad.log" ||
    lab_fail "refusal does not name the key: $(cat "$LAB_TMP/bad.log")"
lab_pass "no inspect: no listener; a public inspector without a password refused at start, naming the key"
