#!/usr/bin/env bash
# test_http_caps: the vhost listeners' caps (src/server/vhost_limits.h).
# From the `user` host, idle connections from one address stop at the
# per-source cap (http 256, https hellos 64) and from 17 addresses at the
# total (http 4,096 fronts, https 1,024 hellos); each refusal is a close,
# logged at most a few times per cap. Meanwhile a new connection from another
# address, and a keep-alive (http) or relayed (https) connection opened
# before the flood, keep being served; after the flood new ones are again.
# Near the open-file limit the vhost leaves descriptors to the tunnels.
set -u
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/burrow.sh"
. "$(dirname "$0")/http_lab.sh"
lab_trap
brw_require || exit 1
lab_up || lab_fail "lab_up"

mkdir -p "$LAB_TMP/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=t.example.com" \
    -keyout "$LAB_TMP/t.key" -out "$LAB_TMP/t.crt" 2>/dev/null || lab_fail "openssl req"
http_backend c1 A 192.168.1.10 8001 || lab_fail "backend A"
http_backend c1 T 192.168.1.10 9443 --tls "$LAB_TMP/t.crt" "$LAB_TMP/t.key" || lab_fail "backend T"
token=$(brw_token)
brw_server_conf "$LAB_TMP/frps.toml" "$token" "vhostHTTPPort = $VHOST_HTTP" "vhostHTTPSPort = $VHOST_HTTPS"
brw_client_conf "$LAB_TMP/c1.toml" "$token"
vhost_proxy "$LAB_TMP/c1.toml" a http 192.168.1.10 8001 'customDomains = ["a.example.com"]'
vhost_proxy "$LAB_TMP/c1.toml" t https 192.168.1.10 9443 'customDomains = ["t.example.com"]'
brw_proxy "$LAB_TMP/c1.toml" web tcp 192.168.1.10 8001 6000
BRW_LOG_LEVEL=info brw_start_server "$LAB_TMP/frps.toml" "$LAB_TMP/server.log" || lab_fail "server did not start"
brw_start_client c1 c1 "$LAB_TMP/c1.toml"
lab_wait_log "$LAB_TMP/c1.log" 'proxy registered.*name=t' 15 || lab_fail "proxies not registered"
# Sources: .50 (the user's own) floods first, .100-.116 join it, .120 probes.
for i in $(seq 100 120); do lab_exec user ip addr add "203.0.113.$i/24" dev eth0 || lab_fail "ip addr"; done

lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" "$VHOST_HTTPS" <<'PY' || lab_fail "caps"
import resource, select, socket, ssl, sys, time
srv, http_port, https_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (10000, 10000))
FLOOD = ["203.0.113.50"] + ["203.0.113.%d" % i for i in range(100, 117)]
PROBE = "203.0.113.120"

def dial(src, port):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect((srv, port))
    return s

def closed(s):
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True

def wait_closed(socks, want, what):
    deadline = time.time() + 20
    while time.time() < deadline:
        n = sum(closed(s) for s in socks)
        if n >= want:
            break
        time.sleep(0.1)
    n = sum(closed(s) for s in socks)
    assert n == want, "%s: %d of %d closed, want %d" % (what, n, len(socks), want)

def get(s, host, path="/"):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        assert d, "closed before the answer"
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < n:
        body += s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head[:40]
    return body

def http_probe():
    s = dial(PROBE, http_port)
    assert b'"site": "A"' in get(s, "a.example.com"), "probe"
    s.close()

tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
def https_dial():
    return tls.wrap_socket(dial(PROBE, https_port), server_hostname="t.example.com")
def https_probe():
    s = https_dial()
    assert b'"site": "T"' in get(s, "t.example.com"), "https probe"
    s.close()

# ---- http: per source, then total ------------------------------------------
keep = dial(PROBE, http_port)
get(keep, "a.example.com")
one = [dial(FLOOD[0], http_port) for _ in range(300)]
wait_closed(one, 300 - 256, "http per-source")
http_probe()
print("http: 256 of 300 idle connections from one address kept, the rest closed; others served")
rest = []
for src in FLOOD[1:16]:
    rest += [dial(src, http_port) for _ in range(256)]
# keep + probe (gone) + 256 + 15 x 256 = 4,097 wanted: the last one is refused.
wait_closed(rest, 1, "http total")
assert closed(rest[-1]), "the connection over the total was not the refused one"
extra = dial(FLOOD[16], http_port)
wait_closed([extra], 1, "http total, new source")
assert b'"site": "A"' in get(keep, "a.example.com"), "keep-alive during the flood"
print("http: 4,096 fronts held, the next refused; a keep-alive opened before is still served")
for s in one + rest + [extra]:
    s.close()
deadline = time.time() + 20
while True:
    try:
        http_probe()
        break
    except (AssertionError, OSError):
        assert time.time() < deadline, "http not served after the flood"
        time.sleep(0.2)
keep.close()
print("http: served again after the flood")

# ---- https: hellos per source, then total ------------------------------------
relayed = https_dial()
get(relayed, "t.example.com")
one = [dial(FLOOD[0], https_port) for _ in range(80)]
wait_closed(one, 80 - 64, "https per-source")
https_probe()
rest = []
for src in FLOOD[1:16]:
    rest += [dial(src, https_port) for _ in range(64)]
# 64 + 15 x 64 = 1,024 hellos: all held; the next one is refused.
extra = dial(FLOOD[16], https_port)
wait_closed([extra], 1, "https total")
assert sum(closed(s) for s in rest) == 0, "a hello under the total was refused"
assert b'"site": "T"' in get(relayed, "t.example.com"), "relayed connection during the flood"
print("https: 64 hellos per source, 1,024 in all; a relayed connection is still served")
for s in one + rest:
    s.close()
deadline = time.time() + 20
while True:
    try:
        https_probe()
        break
    except (AssertionError, OSError, ssl.SSLError):
        assert time.time() < deadline, "https not served after the flood"
        time.sleep(0.2)
print("https: served again after the flood")
PY
lab_pass "caps per source and in total on both vhost ports; existing and other users' connections kept serving"

# Descriptors: with the open-file limit lowered to 700 under the running
# server, the vhost stops accepting a quarter below it (VHOST_FD_RESERVE),
# so a tcp proxy through the tunnel still gets its descriptors.
prlimit --pid "$BRW_SERVER_PID" --nofile=700:700 || lab_fail "prlimit"
lab_exec user python3 - "$SRV_ADDR" "$VHOST_HTTP" <<'PY' || lab_fail "descriptor reserve"
import resource, select, socket, sys, time
srv, http_port = sys.argv[1], int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (10000, 10000))
FLOOD = ["203.0.113.50"] + ["203.0.113.%d" % i for i in range(100, 117)]

def dial(src, port):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect((srv, port))
    return s

def closed(s):
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True

def tcp_get():
    s = dial("203.0.113.120", 6000)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n")
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    assert buf.startswith(b"HTTP/1.1 200") and b'"site": "A"' in buf, buf[:60]

flood = [dial(src, http_port) for src in FLOOD for _ in range(40)]  # 720
deadline = time.time() + 20
while sum(closed(s) for s in flood) < 150:
    assert time.time() < deadline, "no vhost connection refused near the descriptor limit"
    time.sleep(0.1)
tcp_get()
n = sum(closed(s) for s in flood)
assert n <= 320, "%d of 720 refused: the reserve is too large" % n
print("descriptors: %d of 720 vhost connections refused near the limit; the tcp proxy still works" % n)
for s in flood:
    s.close()
PY
lab_wait_log "$LAB_TMP/server.log" 'WARN .*http vhost connection refused cap=descriptors' 5 ||
    lab_fail "no log line for the descriptor reserve"
for _ in $(seq 1 50); do # the server sees the flood's FINs in its own time
    [ "$(vcode a.example.com / --interface 203.0.113.120)" = 200 ] && break
    sleep 0.2
done
[ "$(json_field "$(vget a.example.com / --interface 203.0.113.120)" site)" = A ] ||
    lab_fail "http vhost not served after the descriptor flood"
lab_pass "near the open-file limit the vhost refuses (logged) and a tcp tunnel keeps its descriptors"
for cap in per-source total; do
    for what in http https; do
        n=$(lab_count_log "$LAB_TMP/server.log" "WARN .*$what vhost connection refused cap=$cap")
        [ "$n" -ge 1 ] || lab_fail "no log line for the $what $cap cap"
    done
done
n=$(lab_count_log "$LAB_TMP/server.log" 'vhost connection refused')
[ "$n" -le 8 ] || lab_fail "refusals not rate-limited: $n lines"
lab_pass "each cap hit is logged once ($n lines for about 280 refusals)"
lab_alive "$BRW_SERVER_PID" || lab_fail "server died"
echo "PASS test_http_caps"
