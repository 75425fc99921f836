#!/usr/bin/env python3
"""Writes the seed corpora of the script-driven fuzz targets (fuzz_server.h,
fuzz_client.h, fuzz_conn_tls.c ...) into tests/fuzz/corpus/<target>/.

A script is a list of records: op (1 byte), length (u16 BE), argument. Run it
again after changing a harness's ops; the corpora are small on purpose (CI
replays them), libFuzzer finds the rest from them."""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RAW, FRAME, SELECT, WORK, SHUT, CLOSE, UDP, USER, HTTP, HTTPS, REPLY, AUTO = range(12)
HELLO, CHALLENGE, LOGIN, LOGIN_OK, ERROR = 1, 2, 3, 4, 5
NEW_PROXY, NEW_PROXY_RESP, CLOSE_PROXY = 0x10, 0x11, 0x12
REQ_WORK_CONN, START_WORK, PING, PONG, UDP_DATA = 0x20, 0x21, 0x30, 0x31, 0x40
STCP_VISITOR, STCP_CHALLENGE, STCP_PROOF, STCP_ACCEPT, STCP_REFUSE = 0x50, 0x51, 0x52, 0x53, 0x54


def rec(op, arg=b""):
    if isinstance(arg, str):
        arg = arg.encode()
    return bytes([op]) + struct.pack(">H", len(arg)) + arg


def frame(mtype, obj):
    body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return rec(FRAME, bytes([mtype]) + body)


def udp(sid, data):
    return frame(UDP_DATA, struct.pack(">I", sid) + data)


def hdr(mtype, n):
    return struct.pack(">IB", n, mtype)


def hello(role="control", **kw):
    m = dict(proto_min=1, proto_max=1, role=role)
    m.update(kw)
    return rec(RAW, b"BRW1") + frame(HELLO, m)


LOGIN_BAD = dict(user="fz", client_nonce="11" * 32, mac="22" * 32, version="x", hostname="h")

SERVER_GATE = {
    "control_bad_mac": hello() + frame(LOGIN, LOGIN_BAD),
    "work_unknown_run": hello("work", run_id="00" * 16, seq=1, mac="00" * 32),
    "visitor_unknown_run": hello("visitor", run_id="00" * 16, seq=1, mac="00" * 32, proxy="fz.db", nonce="00" * 32),
    "visitor_no_proof": hello("visitor", proxy="fz.db", nonce="zz"),
    "version_range": hello(proto_min=2, proto_max=9),
    "bad_role": hello("nobody"),
    "bad_magic": rec(RAW, b"BRWX") + frame(HELLO, {}),
    "split_magic": rec(RAW, b"BR") + rec(RAW, b"W1") + frame(HELLO, dict(proto_min=1, proto_max=1)),
    "login_first": rec(RAW, b"BRW1") + frame(LOGIN, LOGIN_BAD),
    "not_json": rec(RAW, b"BRW1") + frame(HELLO, b"\x00\xff{"),
    "too_large": rec(RAW, b"BRW1" + hdr(HELLO, 0x7fffffff)),
    "half_frame_fin": rec(RAW, b"BRW1" + hdr(HELLO, 40) + b'{"role"') + rec(SHUT),
    "login_bad_fields": hello() + frame(LOGIN, dict(user="a b\n", client_nonce="zz", mac=7)),
    "tls_hello_garbage": rec(RAW, bytes.fromhex("16030100 2a 01000026 0303") + b"\x00" * 38),
    "two_conns_reset": hello() + rec(WORK) + rec(RAW, b"BRW1") + rec(CLOSE, b"\x01") + rec(SELECT, b"\x00") + frame(LOGIN, LOGIN_BAD),
    "plain_garbage": rec(RAW, b"GET / HTTP/1.1\r\n\r\n"),
}

NP = lambda **kw: frame(NEW_PROXY, kw)
SERVER_SESSION = {
    "shaped_zip": NP(name="fz.z", type="tcp", remote_port=20002, compression="zstd", bandwidth_limit=4096) + rec(USER) + rec(RAW, b"hi" * 5000) + rec(SELECT, b"\x00") + rec(WORK) + rec(SELECT, b"\x01") + rec(RAW, b"\x28\xb5\x2f\xfd\x00\x48\x11\x00\x00\x68\x69"),
    "bad_shape_fields": NP(name="fz.a", type="tcp", remote_port=20002, compression="lz4") + NP(name="fz.b", type="tcp", remote_port=20002, bandwidth_limit=-1) + NP(name="fz.c", type="tcp", remote_port=20002, bandwidth_limit="1MB") + NP(name="fz.d", type="udp", remote_port=20003, bandwidth_limit=1),
    "tcp_and_user": NP(name="fz.t", type="tcp", remote_port=20002) + rec(USER) + rec(RAW, b"hi") + rec(SELECT, b"\x00") + rec(WORK) + rec(SELECT, b"\x01") + rec(RAW, b"x"),
    "tcp_any_port": NP(name="fz.t", type="tcp") + NP(name="fz.t", type="tcp") + frame(CLOSE_PROXY, dict(name="fz.t")),
    "udp": rec(WORK) + rec(SELECT, b"\x00") + NP(name="fz.u", type="udp", remote_port=20003) + rec(UDP, b"dgram"),
    "http_domains": NP(name="fz.h", type="http", custom_domains=["a.test", "*.b.test", "A.TEST:80"], locations=["/", "/x"], subdomain="s"),
    "http_headers": NP(name="fz.h", type="http", custom_domains=["h.test"], host_header_rewrite="in", http_user="u", http_password="p", request_headers={"X-A": "1", "Bad Name": "v"}, response_headers={"X-B": "a\r\nb"}),
    "https": NP(name="fz.s", type="https", custom_domains=["s.test", "*.test"]) + rec(HTTPS) + rec(RAW, bytes.fromhex("160301")),
    "bad_types": NP(name="", type="tcp") + NP(name="fz.x", type="stcp") + NP(name=["x"], type=1, remote_port=-1) + NP(name="fz.p", type="tcp", remote_port=70000),
    "ping_unknown": frame(PING, {}) + frame(0x7f, b"zz") + frame(PING, b"[]") + frame(LOGIN, LOGIN_BAD),
    "dup_domain": NP(name="fz.a", type="http", custom_domains=["d.test"]) + NP(name="fz.b", type="http", custom_domains=["d.test"]) + frame(CLOSE_PROXY, dict(name="fz.a")) + NP(name="fz.c", type="http", custom_domains=["d.test"], locations=["/"]),
    "bad_domains": NP(name="fz.d", type="http", custom_domains=["*", "*.", "..", "a" * 300, "*.*.x", "\u00e9.test"]),
    "work_then_close": rec(WORK) + rec(RAW, b"data before start") + rec(SELECT, b"\x00") + rec(CLOSE),
    "huge_frame": rec(RAW, hdr(NEW_PROXY, 65601)),
    "many_proxies": b"".join(NP(name="fz.%d" % i, type="tcp") for i in range(10)),
    # metadatas (proto/meta.h): within the bounds, then past each of them
    "metadatas": NP(name="fz.m", type="tcp", remote_port=20002, metadatas={"role": "db", "k": ""})
    + NP(name="fz.n", type="tcp", metadatas={"k%d" % i: "v" for i in range(33)})
    + NP(name="fz.o", type="tcp", metadatas={"k": "v" * 257}) + NP(name="fz.p", type="tcp", metadatas={"": "v", "k" * 65: "v"})
    + NP(name="fz.q", type="tcp", metadatas=["x"]) + NP(name="fz.r", type="tcp", metadatas={"k": 1, "c": "a\nb"}),
}

VHOST = {
    "get_keepalive": rec(RAW, b"GET /api/x HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") + rec(SELECT, b"\x02") + rec(RAW, b"GET / HTTP/1.1\r\nHost: x.w.test\r\n\r\n"),
    "auth_fail": rec(RAW, b"GET / HTTP/1.1\r\nHost: auth.test\r\n\r\n"),
    "auth_ok_post": rec(RAW, b"POST /p HTTP/1.1\r\nHost: auth.test\r\nAuthorization: Basic dTpw\r\nContent-Length: 5\r\n\r\nhel") + rec(RAW, b"lo") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 204 No Content\r\n\r\n"),
    "chunked_both": rec(RAW, b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    "pipelined": rec(RAW, b"GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: auth.test\r\n\r\nGET /3 HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    "upgrade": rec(RAW, b"GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw") + rec(SELECT, b"\x02") + rec(RAW, b"\x81\x02hi") + rec(SHUT),
    "unknown_host": rec(RAW, b"GET / HTTP/1.1\r\nHost: nope.test\r\n\r\n"),
    "bad_head": rec(RAW, b"GET / HTTP/1.1\r\nHost: a.test\r\nBad Header\r\n\r\n"),
    "work_dies": rec(RAW, b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(SELECT, b"\x01") + rec(CLOSE, b"\x01"),
    "response_until_eof": rec(RAW, b"GET / HTTP/1.0\r\nHost: a.test\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.0 200 OK\r\n\r\nbody") + rec(SHUT),
    "user_fin_mid_body": rec(RAW, b"PUT / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\nabc") + rec(SHUT) + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n"),
    "second_user": rec(HTTP) + rec(RAW, b"HEAD / HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") + rec(WORK),
    "second_user_waits": rec(RAW, b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(HTTP) + rec(RAW, b"GET /api HTTP/1.1\r\nHost: a.test\r\n\r\n") + rec(HTTP) + rec(RAW, b"GET / HTTP/1.1\r\nHost: auth.test\r\n\r\n"),
    "expect_continue": rec(RAW, b"POST / HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 100 Continue\r\n\r\n") + rec(SELECT, b"\x02") + rec(RAW, b"ok") + rec(SELECT, b"\x01") + rec(RAW, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
}

UDP_SERVER = {
    "reply": rec(UDP, b"ping") + rec(REPLY, b"pong") + rec(UDP, b"again") + rec(REPLY, b""),
    "unknown_sid": udp(12345, b"x") + udp(0, b""),
    "short_udp": frame(UDP_DATA, b"\x00\x01") + frame(PING, {}),
    "garbage": rec(RAW, b"\xff" * 16) + rec(UDP, b"after"),
    "channel_lost": rec(UDP, b"a") + rec(CLOSE) + rec(WORK) + rec(UDP, b"b"),
    "big_datagram": rec(UDP, b"D" * 1400) + rec(REPLY, b"R" * 1400),
}


# fuzz_client.h: peers 0 control, 1 first work conn, then whatever the client dials
C_RAW, C_FRAME, C_SELECT, C_SHUT, C_CLOSE, C_UDP = range(6)


def crec(op, arg=b""):
    return rec(op, arg)


def cframe(mtype, obj):
    body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return crec(C_FRAME, bytes([mtype]) + body)


def sel(i):
    return crec(C_SELECT, bytes([i]))


def start(proxy, kind, src="198.51.100.7:40000", dst="127.0.0.1:41002"):
    return cframe(START_WORK, dict(proxy=proxy, type=kind, src=src, dst=dst))


def zstd_cli(data, wlog=16):
    """A zstd stream as burrow's peer sends it (the zstd command line tool)."""
    import subprocess
    return subprocess.run(["zstd", "-q", "-1", "-c", "--no-check", "--zstd=wlog=%d" % wlog],
                          input=data, stdout=subprocess.PIPE, check=True).stdout


ZIP_OK = cframe(NEW_PROXY_RESP, dict(name="fz.zip", ok=True, remote_port=41003, compression="zstd"))
CLIENT = {
    # useCompression: the server echoes it, then a compressed work conn both ways
    "zip_relay": ZIP_OK + sel(1) + start("fz.zip", "tcp") + crec(C_RAW, zstd_cli(b"hello local " * 500))
    + sel(2) + crec(C_RAW, b"reply " * 10000) + crec(C_SHUT) + sel(1) + crec(C_SHUT),
    # an older server: ok without the echo (the client withdraws the proxy), and
    # the same for bandwidthLimitMode = "server"
    "zip_no_echo": cframe(NEW_PROXY_RESP, dict(name="fz.zip", ok=True, remote_port=41003))
    + cframe(NEW_PROXY_RESP, dict(name="fz.srvshaped", ok=True, remote_port=41004))
    + cframe(NEW_PROXY_RESP, dict(name="fz.srvshaped", ok=True, remote_port=41004, bandwidth_limit=1048576)),
    "zip_garbage": ZIP_OK + sel(1) + start("fz.zip", "tcp") + crec(C_RAW, b"not a zstd stream"),
    "zip_cut": ZIP_OK + sel(1) + start("fz.zip", "tcp") + crec(C_RAW, zstd_cli(b"x" * 3000)[:9]) + crec(C_SHUT),
    "slow_udp": sel(1) + start("fz.slow", "udp") + b"".join(crec(C_UDP, b"\x00\x00\x00\x01" + b"d" * 600) for _ in range(8)),
    "proxy_resps": cframe(NEW_PROXY_RESP, dict(name="fz.tcp", ok=True, remote_port=41002)) + cframe(NEW_PROXY_RESP, dict(name="fz.udp", ok=False, error="taken\nuser=admin")) + cframe(NEW_PROXY_RESP, dict(name="nope", ok=True)),
    "req_work": cframe(REQ_WORK_CONN, dict(count=3)) + cframe(REQ_WORK_CONN, dict(count=-5)) + cframe(REQ_WORK_CONN, dict(count=1 << 40)),
    "tcp_relay": sel(1) + start("fz.tcp", "tcp") + crec(C_RAW, b"hello local") + sel(2) + crec(C_RAW, b"reply") + crec(C_SHUT) + sel(1) + crec(C_SHUT),
    "tcp_pp_v2": sel(1) + start("fz.pp", "tcp") + crec(C_RAW, b"x") + sel(2) + crec(C_RAW, b"y"),
    "pp_bad_addr": sel(1) + start("fz.pp", "tcp", src="[::1]:1", dst="1.2.3.4:5") + crec(C_RAW, b"x"),
    "dead_local": sel(1) + start("fz.dead", "tcp") + crec(C_RAW, b"lost"),
    "unknown_proxy": sel(1) + start("fz.nope", "tcp") + crec(C_RAW, b"x"),
    "garbage_work": sel(1) + crec(C_RAW, b"\x00\x00\x00\x02\x21{}") + crec(C_RAW, b"zz"),
    "error_msg": cframe(ERROR, dict(code="auth", message="no\x1b[31m")),
    "login_ok_again": cframe(LOGIN_OK, dict(run_id="x" * 200)) + cframe(CHALLENGE, dict(nonce="00")) + cframe(PONG, {}),
    "ctl_closed": crec(C_CLOSE, b"\x01") + sel(1) + start("fz.tcp", "tcp"),
    "udp_channel": sel(1) + start("fz.udp", "udp") + udp(7, b"query") + crec(C_UDP, b"answer") + udp(7, b"again") + udp(8, b""),
    "sudp_owner_bad_proof": sel(1) + start("fz.dns", "sudp") + cframe(STCP_VISITOR, dict(user="v", nonce="ab" * 32)) + cframe(STCP_PROOF, dict(proof="00" * 32)),
    "sudp_owner_udp_first": sel(1) + start("fz.dns", "sudp") + udp(1, b"not yet") + cframe(STCP_VISITOR, dict(user="v", nonce="zz")),
    "sudp_owner_fin": sel(1) + start("fz.dns", "sudp") + cframe(STCP_VISITOR, dict(user="v\n", nonce="cd" * 32)) + crec(C_SHUT),
}

UDP_CLIENT = {
    "two_sessions": udp(1, b"q1") + crec(C_UDP, b"a1") + udp(2, b"q2") + udp(1, b"q3"),
    "empty_short": udp(0, b"") + cframe(UDP_DATA, b"\x01") + cframe(PING, {}),
    "garbage": crec(C_RAW, b"\xff\xff\xff\xff\x40") + udp(3, b"x"),
    "channel_closed": udp(4, b"x") + crec(C_CLOSE) + crec(C_UDP, b"late"),
    "big": udp(5, b"B" * 1400) + crec(C_UDP, b"R" * 1400),
}


# fuzz_conn_tls.c
C2S, S2C, INJ_C, INJ_S, FLIP, APP_C, APP_S, PAUSE_C, PAUSE_S, SHUT_C, SHUT_S, FIN_C, FIN_S, ALL = range(14)
n16 = lambda n: struct.pack(">H", n)
HS = rec(ALL) * 4

CONN_TLS = {
    "handshake_data_close": HS + rec(APP_C, b"hello") + rec(ALL) + rec(APP_S, b"world") + rec(ALL) * 2 + rec(SHUT_C) + rec(ALL) * 2 + rec(SHUT_S) + rec(ALL) * 2,
    "records_cut_small": HS + rec(APP_C, b"A" * 17000) + b"".join(rec(C2S, n16(k)) for k in (1, 4, 5, 6, 300, 16000, 7)) + rec(ALL),
    "pause_with_buffered": HS + rec(PAUSE_S) + rec(APP_C, b"B" * 20000) + rec(ALL) * 3 + rec(PAUSE_S) + rec(ALL) + rec(APP_S, b"back") + rec(ALL),
    "flip_record": HS + rec(APP_S, b"data that must not arrive changed") + rec(FLIP, n16(12) + b"\x01") + rec(ALL) * 2,
    "inject_before_hello": rec(INJ_S, bytes.fromhex("1603010005") + b"hello") + rec(ALL) * 2,
    "fin_mid_record": HS + rec(APP_C, b"C" * 1000) + rec(C2S, n16(100)) + rec(FIN_S) + rec(ALL),
    "fin_mid_handshake": rec(C2S, n16(60)) + rec(FIN_S) + rec(ALL) * 2,
    "garbage_to_client": rec(ALL) + rec(INJ_C, b"\x17\x03\x03\x00\x10" + b"\x00" * 16) + rec(ALL),
    "alert_after": HS + rec(INJ_S, bytes.fromhex("15030300020228")) + rec(APP_C, b"x") + rec(ALL),
    "both_pause": HS + rec(PAUSE_C) + rec(PAUSE_S) + rec(APP_C, b"1" * 5000) + rec(APP_S, b"2" * 5000) + rec(ALL) * 2 + rec(PAUSE_C) + rec(SHUT_S) + rec(ALL) * 2 + rec(PAUSE_S) + rec(ALL),
}


NONCE = "0123456789abcdef" * 4
CLIENT_LOGIN = {
    "login_ok": cframe(CHALLENGE, dict(proto=1, nonce=NONCE)) + cframe(LOGIN_OK, dict(run_id="ab" * 16, heartbeat_timeout=90, max_pool=5)) + cframe(NEW_PROXY_RESP, dict(name="fz.tcp", ok=True, remote_port=41000)),
    "bad_nonce": cframe(CHALLENGE, dict(proto=1, nonce="xyz")),
    "short_nonce": cframe(CHALLENGE, dict(proto=1, nonce="00")) + cframe(LOGIN_OK, {}),
    "error_auth": cframe(ERROR, dict(code="auth", message="authentication failed: wrong token")),
    "error_first_then_ok": cframe(ERROR, dict(code="version")) + cframe(CHALLENGE, dict(nonce=NONCE)),
    "login_ok_early": cframe(LOGIN_OK, dict(run_id="cd" * 16)) + cframe(REQ_WORK_CONN, dict(count=2)),
    "garbage": crec(C_RAW, b"HTTP/1.1 400 Bad Request\r\n\r\n"),
    "huge_frame": crec(C_RAW, hdr(CHALLENGE, 0xFFFFFFFF)),
    "closed": crec(C_CLOSE, b"\x01"),
    "run_id_odd": cframe(CHALLENGE, dict(nonce=NONCE)) + cframe(LOGIN_OK, dict(run_id=["x"], heartbeat_timeout="90", max_pool=-1)) + cframe(PONG, {}),
}


# fuzz_server_tls.c: first byte 1 = log in first; ops 0 RAW, 1 FRAME, 2 SHUT, 3 CLOSE
T_RAW, T_FRAME, T_SHUT, T_CLOSE = range(4)


def tframe(mtype, obj):
    body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return rec(T_FRAME, bytes([mtype]) + body)


SERVER_TLS = {
    "gate_hello_bad_login": b"\x00" + rec(T_RAW, b"BRW1") + tframe(HELLO, dict(proto_min=1, proto_max=1, role="control")) + tframe(LOGIN, LOGIN_BAD),
    "gate_work_bad": b"\x00" + rec(T_RAW, b"BRW1") + tframe(HELLO, dict(proto_min=1, proto_max=1, role="work", run_id="00" * 16, seq=1, mac="00" * 32)),
    "gate_bad_magic_shut": b"\x00" + rec(T_RAW, b"XXXX") + rec(T_SHUT),
    "gate_too_large": b"\x00" + rec(T_RAW, b"BRW1" + hdr(HELLO, 70000)),
    "session_stcp": b"\x01" + tframe(NEW_PROXY, dict(name="fz.s", type="stcp", remote_port=0)) + tframe(PING, {}) + tframe(CLOSE_PROXY, dict(name="fz.s")),
    "session_proxies": b"\x01" + tframe(NEW_PROXY, dict(name="fz.t", type="tcp", remote_port=20004)) + tframe(NEW_PROXY, dict(name="fz.h", type="http", custom_domains=["t.test"], locations=["/"])) + tframe(PING, {}) + tframe(CLOSE_PROXY, dict(name="fz.t")),
    "session_close_notify": b"\x01" + tframe(PING, {}) + rec(T_SHUT),
    "session_abrupt": b"\x01" + rec(T_RAW, hdr(NEW_PROXY, 100) + b"{") + rec(T_CLOSE),
}


# ---- STUN (fuzz_stun: a bare datagram) -----------------------------------
import zlib

COOKIE = bytes.fromhex("2112a442")
TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")


def sattr(t, v):
    return struct.pack(">HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def stun(mtype, attrs=b"", fp=True, ident=COOKIE + TID):
    msg = struct.pack(">HH", mtype, len(attrs) + (8 if fp else 0)) + ident + attrs
    if fp:
        msg += sattr(0x8028, struct.pack(">I", zlib.crc32(msg) ^ 0x5354554E))
    return msg


def xaddr4(ip, port):
    a = bytes(int(x) for x in ip.split("."))
    return struct.pack(">BBH", 0, 1, port ^ 0x2112) + bytes(x ^ y for x, y in zip(a, COOKIE))


RFC5769_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063"
    "6c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68"
    "3676592020200008001 49aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf".replace(" ", ""))
RFC5769_RESP4 = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "00200008 0001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96".replace(" ", ""))
STUN_SEEDS = {
    "rfc5769_request": RFC5769_REQUEST,
    "rfc5769_resp4": RFC5769_RESP4,
    "binding": stun(0x0001),
    "binding_change_ip_port": stun(0x0001, sattr(0x0003, struct.pack(">I", 6))),
    "binding_change_port": stun(0x0001, sattr(0x0003, struct.pack(">I", 2))),
    "binding_padding": stun(0x0001, sattr(0x0026, b"\0" * 64) + sattr(0x0027, struct.pack(">HH", 9, 0))),
    "binding_unknown": stun(0x0001, sattr(0x0024, b"\0" * 4) + sattr(0x7ff0, b"") + sattr(0xc001, b"x")),
    "classic_change": struct.pack(">HH", 1, 8) + bytes(range(16)) + sattr(0x0003, struct.pack(">I", 4)),
    "success_xor": stun(0x0101, sattr(0x0020, xaddr4("192.0.2.1", 32853)) + sattr(0x802C, struct.pack(">BBH4B", 0, 1, 3479, 203, 0, 113, 11)) + sattr(0x8022, b"burrow")),
    "error_420": stun(0x0111, sattr(0x0009, b"\0\0\x04\x14Unknown Attribute") + sattr(0x000A, struct.pack(">H", 3))),
    "indication": stun(0x0011),
    "allocate": stun(0x0003),
    "integrity_then_more": stun(0x0001, sattr(0x0008, b"\0" * 20) + sattr(0x0003, b"\0\0\0\x06")),
    "bad_fp": stun(0x0001)[:-1] + b"\0",
    "overrun": struct.pack(">HH", 1, 8) + COOKIE + TID + struct.pack(">HH", 0x8022, 200) + b"abcd",
}


# fuzz_nat_answer: a family byte (0 IPv4, 1 IPv6), then a datagram.
def xaddr6(port):
    a = bytes.fromhex("20010db8000000000000000000000001")
    return struct.pack(">BBH", 0, 2, port ^ 0x2112) + bytes(x ^ y for x, y in zip(a, COOKIE + TID))


NAT_ANSWER_SEEDS = {
    "success_other": b"\0" + STUN_SEEDS["success_xor"],
    "success_plain": b"\0" + stun(0x0101, sattr(0x0020, xaddr4("203.0.113.21", 40312))),
    "success_mapped_only": b"\0" + stun(0x0101, sattr(0x0001, struct.pack(">BBH4B", 0, 1, 5000, 203, 0, 113, 21))),
    "success_v6": b"\1" + stun(0x0101, sattr(0x0020, xaddr6(5000)) + sattr(0x802C, struct.pack(">BBH4B", 0, 1, 3479, 203, 0, 113, 11))),
    "success_family_mismatch": b"\1" + STUN_SEEDS["success_xor"],
    "success_no_address": b"\0" + stun(0x0101, sattr(0x8022, b"x")),
    "error_420": b"\0" + STUN_SEEDS["error_420"],
    "error_no_code": b"\0" + stun(0x0111),
    "request_hairpin": b"\0" + STUN_SEEDS["binding"],
    "indication": b"\0" + STUN_SEEDS["indication"],
    "classic": b"\0" + STUN_SEEDS["classic_change"],
    "garbage": b"\0hello, this is not STUN",
    "rfc5769_resp4": b"\0" + RFC5769_RESP4,
}


def dgram(slot, data, mapped=False):
    """fuzz_stun_server record: to slot 0..3, from the IPv6 socket when mapped."""
    return rec(slot | (4 if mapped else 0), data)


S = STUN_SEEDS
STUN_SERVER_SEEDS = {
    "binding_each_slot": b"".join(dgram(i, S["binding"]) for i in range(4)),
    "change_each_slot": b"".join(dgram(i, S["binding_change_ip_port"]) + dgram(i, S["binding_change_port"]) for i in range(4)),
    "mapped_v6_source": dgram(0, S["binding"], True) + dgram(3, S["binding_change_ip_port"], True),
    "classic": dgram(0, S["classic_change"]) + dgram(1, struct.pack(">HH", 1, 0) + bytes(16)),
    "unknown_attrs": dgram(0, S["binding_unknown"]) + dgram(0, S["binding_padding"]),
    "not_binding": dgram(0, S["indication"]) + dgram(0, S["allocate"]) + dgram(0, S["success_xor"]) + dgram(0, S["error_420"]),
    "garbage": dgram(0, b"GET / HTTP/1.1\r\n\r\n") + dgram(1, b"") + dgram(2, S["bad_fp"]) + dgram(3, S["overrun"]),
    "oversized": dgram(0, stun(0x0001, sattr(0x0026, b"\0" * 1300))),
    "rfc5769": dgram(0, RFC5769_REQUEST) + dgram(2, RFC5769_RESP4),
    "bare_header": dgram(0, struct.pack(">HH", 1, 0) + COOKIE + TID),
}


def relay_bind(src, alloc, side, counter, wrong=False):
    """fuzz_udp_relay record: a BIND the harness MACs."""
    return rec(1, bytes([src, alloc, side, counter, 1 if wrong else 0]))


def relay_raw(src, data):
    return rec(0, bytes([src]) + data)


RELAY_BOTH = relay_bind(0, 0, 0, 1) + relay_bind(1, 0, 1, 1)
UDP_RELAY_SEEDS = {
    "bind_and_forward": RELAY_BOTH + relay_raw(0, b"\x40" + b"q" * 100) + relay_raw(1, b"\xc0" + b"r" * 1200),
    "rebind": RELAY_BOTH + relay_bind(2, 0, 0, 2) + relay_raw(2, b"\x41abc") + relay_raw(0, b"\x41stranger"),
    "replay_badkey": relay_bind(0, 0, 0, 5) + relay_bind(0, 0, 0, 5) + relay_bind(1, 0, 0, 6, True) + relay_bind(1, 2, 0, 1),
    "free_alloc": RELAY_BOTH + rec(2, b"\0") + relay_raw(0, b"\x40gone") + rec(3, b"\0") + rec(3, b"\2") + rec(3, b"\2") + relay_bind(0, 2, 1, 1),
    "rate": RELAY_BOTH + b"".join(relay_raw(0, b"\x40" + bytes(999)) for _ in range(10)),
    "oversized_and_odd": relay_raw(0, b"\x40" * 1473) + relay_raw(0, b"") + relay_raw(0, bytes([2, 1, 0, 0]) + bytes(32)) + relay_raw(3, bytes([1, 1, 0, 0]) + bytes(32)),
    "one_addr_two_sides": relay_bind(0, 0, 0, 1) + relay_bind(0, 0, 1, 1) + relay_bind(0, 1, 0, 1) + relay_bind(1, 1, 1, 1) + relay_raw(0, b"\x40x") + relay_raw(1, b"\x40y"),
    "peer_unbound": relay_bind(3, 1, 0, 9) + relay_raw(3, b"\x40alone"),
}

RELAY_KEYHEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
RELAY_MSG_SEEDS = {
    "grant": b"\0" + json.dumps({"type": "rendezvous", "relay": {"addr": "203.0.113.5", "port": 7002, "id": "0123456789abcdef", "side": 1, "key": RELAY_KEYHEX}}).encode(),
    "grant_same_host": b"\0" + json.dumps({"relay": {"addr": "", "port": 1, "id": "0000000000000001", "side": 0, "key": RELAY_KEYHEX, "later": [1]}}).encode(),
    "grant_v6": b"\0" + json.dumps({"relay": {"addr": "2001:db8::1", "port": 65535, "id": "FFFFFFFFFFFFFFFF", "side": 0, "key": RELAY_KEYHEX.upper()}}).encode(),
    "grant_bad": b"\0" + b'{"relay":{"addr":"x","port":"7002"}}',
    "bind": b"\1" + bytes([1, 1, 1, 0]) + bytes(range(1, 9)) + bytes(range(0x11, 0x19)) + bytes(16),
    "closed": b"\1" + bytes([3, 1, 0, 2]) + bytes(8) + bytes(8) + bytes(16),
    "quic_short": b"\1" + b"\x40" + bytes(35),
}

# fuzz_quic (fuzz_quic.c): a client and a server role over in-memory paths.
Q_INJECT, Q_INJECT_C, Q_STEP, Q_MUTATE, Q_DROP, Q_STREAM, Q_MIGRATE, Q_DOWN, Q_FIN, Q_PAUSE, Q_WAIT = range(11)
Q_HS = rec(Q_STEP, b"\x07") * 3
Q_STREAM_ECHO = rec(Q_STREAM, b"hello quic " * 20) + rec(Q_STEP, b"\x07") * 2
QUIC_SEEDS = {
    "handshake": Q_HS,
    "stream_fin": Q_HS + Q_STREAM_ECHO + rec(Q_FIN, b"\x00") + rec(Q_STEP, b"\x07") * 2,
    "stream_reset": Q_HS + Q_STREAM_ECHO + rec(Q_FIN, b"\x01") + rec(Q_STEP, b"\x07"),
    "migrate_and_down": Q_HS + Q_STREAM_ECHO + (rec(Q_MIGRATE) + rec(Q_STEP, b"\x07") + rec(Q_WAIT, b"\x05")) * 3
    + rec(Q_STREAM, b"x" * 3000) + rec(Q_STEP, b"\x07") + rec(Q_DOWN, b"\x01") + (rec(Q_STEP, b"\x07") + rec(Q_WAIT, b"\x05")) * 3,
    "a_down": Q_HS + rec(Q_DOWN, b"\x00") + rec(Q_STEP, b"\x03"),
    "pause": Q_HS + rec(Q_PAUSE, b"\x01") + rec(Q_STREAM, bytes(range(256)) * 64)
    + rec(Q_STEP, b"\x07") * 2 + rec(Q_PAUSE, b"\x00") + rec(Q_STEP, b"\x07") * 2,
    "mutate_initial": rec(Q_MUTATE, b"\x00" * 40 + b"\x01") + Q_HS,
    "drop_some": rec(Q_DROP, b"\x00") + rec(Q_STEP, b"\x00") + rec(Q_DROP, b"\x01") + Q_HS,
    # A long-header Initial (version 1) with a made-up body, then one
    # without a version the server speaks, then a short header.
    "forged": rec(Q_INJECT, bytes([0xC3, 0, 0, 0, 1, 8]) + b"\x11" * 8 + b"\x08" + b"\x22" * 8
                  + b"\x00\x44\xd0" + b"\x00" * 1200)
    + rec(Q_INJECT, bytes([0xC0, 0x1a, 0x2a, 0x3a, 0x4a, 8]) + b"\x11" * 8 + b"\x00" + b"\x00" * 1200)
    + rec(Q_INJECT, b"\x40" + b"\x33" * 40) + rec(Q_INJECT_C, b"\x40" + b"\x33" * 40) + Q_HS,
}

# xtcp (p2p/punch_pkt.h, p2p/cand.h, server/p2p_rdv.c, client/cxtcp.c)
import hashlib
import hmac
P2P_OFFER, P2P_ANSWER, P2P_PATH = 0x60, 0x61, 0x62


def xtcp_proof(secret, role, proxy, user, nv, no=bytes(32), fp=b""):
    msg = (b"burrow-xtcp-v1" + role + struct.pack(">H", len(proxy)) + proxy +
           struct.pack(">H", len(user)) + user + nv + no + fp)
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


CANDS = dict(cands=["host 192.168.1.10:40000", "srflx 203.0.113.21:40000"], nat="easy")
NV = "00" * 32
GOOD_OFFER = dict(pair="ab.1.99.cd", proxy="fz.x", user="bob", nonce=NV,
                  proof=xtcp_proof(b"k", b"visitor", b"fz.x", b"bob", bytes(32)), **CANDS)
FP = "11" * 32
GRANT = dict(relay=dict(addr="127.0.0.1", port=9, id="0000000000001001", side=1, key="22" * 32))
GOOD_OFFER_FP = dict(GOOD_OFFER, fp=FP, proof=xtcp_proof(b"k", b"visitor", b"fz.x", b"bob", bytes(32), bytes.fromhex(FP)), **GRANT)
SERVER_SESSION.update({
    "xtcp_offer_fp": NP(name="fz.x", type="xtcp") + frame(P2P_OFFER, dict(proxy="fz.x", sid=1, nonce=NV, proof=NV, fp=FP, **CANDS)) + frame(P2P_OFFER, dict(proxy="fz.x", sid=2, nonce=NV, proof=NV, fp="zz", **CANDS)) + frame(P2P_ANSWER, dict(pair="00.1.1.0000000000001001." + "0" * 32, proxy="fz.x", nonce=NV, proof=NV, fp=FP, **CANDS)),
    "xtcp_offer_self": NP(name="fz.x", type="xtcp") + frame(P2P_OFFER, dict(proxy="fz.x", sid=1, nonce=NV, proof=NV, **CANDS)) + frame(P2P_ANSWER, dict(pair="00.1.1." + "0" * 32, proxy="fz.x", nonce=NV, proof=NV, **CANDS)),
    "xtcp_offer_bad": frame(P2P_OFFER, dict(proxy="fz.nope", sid=2, nonce=NV, proof=NV, **CANDS)) + frame(P2P_OFFER, dict(proxy="fz.x", sid=-1)) + frame(P2P_OFFER, dict(proxy="fz.x", sid=3, nonce="zz", proof=NV, cands=["relay 1.2.3.4:5"] * 9, nat="cone")),
    "xtcp_answer_error": NP(name="fz.x", type="xtcp") + frame(P2P_ANSWER, dict(pair="x", proxy="fz.x", error="wrong-key")) + frame(P2P_ANSWER, dict(proxy=7)),
    # MSG_P2P_PATH (server/p2p_rdv.c p2p_rdv_path, server/p2p_paths.h)
    "xtcp_path": NP(name="fz.x", type="xtcp") + frame(P2P_OFFER, dict(proxy="fz.x", sid=1, nonce=NV, proof=NV, **CANDS)) + b"".join(frame(P2P_PATH, dict(proxy="fz.x", role="visitor", sid=1, path=w, rtt_us=900, since_ms=5)) for w in ("relay", "direct", "direct-tcp", "stcp")) + frame(P2P_PATH, dict(proxy="fz.x", role="visitor", sid=1, path="closed")),
    "xtcp_path_bad": frame(P2P_PATH, dict(proxy="fz.x", role="visitor", sid=-1, path="relay")) + frame(P2P_PATH, dict(proxy="fz.x", role="visitor", sid=2, path="warp")) + frame(P2P_PATH, dict(proxy="fz.x", role="owner", pair="00.1.1.0000000000000000." + "0" * 32, path="direct")) + frame(P2P_PATH, dict(proxy="x" * 200, role="visitor", sid=2, path="relay")) + frame(P2P_PATH, dict(proxy="fz.x", role="judge", sid=2, path="relay", rtt_us=-5, since_ms=10**15)) + frame(P2P_PATH, dict(proxy=5, role=None)),
    "xtcp_path_flood": b"".join(frame(P2P_PATH, dict(proxy="fz.x", role="visitor", sid=i, path="relay")) for i in range(130)),
})
# Wake-on-LAN (client/cwake_ctl.c, client/cwake.c, server/wake_rdv.c)
WAKE, WAKE_RESULT, WAKE_REQ = 0x70, 0x71, 0x72
SERVER_SESSION.update({
    "wake_req": frame(WAKE_REQ, dict(name="pc")) + frame(WAKE_REQ, dict(name="pc")) + frame(WAKE_REQ, dict(name=["x"])),
    "wake_result": frame(WAKE_RESULT, dict(id="00" * 16, name="pc", ok=True, routes=["udp 1.2.3.4:9"])) + frame(WAKE_RESULT, dict(id=7, name="a\nb", ok=False, routes=7, error="x")) + frame(WAKE_RESULT, dict(id="", name="pc")),
})
CLIENT.update({
    "wake": cframe(WAKE, dict(id="ab" * 16, name="pc", by="alice", **{"from": "203.0.113.50:1"})) + cframe(WAKE, dict(id=5, name="nope", by="a\x1b[31m")) + cframe(WAKE, dict(name=["pc"])),
    "wake_result_unasked": cframe(WAKE_RESULT, dict(name="pc", ok=True, routes=["x"], client="h")),
    "wake_on_demand": sel(1) + start("fz.sleepy", "tcp") + crec(C_RAW, b"waiting for the machine"),
})
# FTP data ports (server/ftp_data.c, client/cftp.c)
FTP_DATA_PORT, FTP_DATA_PORT_RESP = 0x74, 0x75
SERVER_SESSION.update({
    "ftp_data_port": NP(name="fz.ftp", type="tcp", remote_port=20005) + frame(FTP_DATA_PORT, dict(proxy="fz.ftp", id=1, peer="198.51.100.7:40000")) + frame(FTP_DATA_PORT, dict(proxy="fz.nope", id=2, peer="x")) + frame(FTP_DATA_PORT, dict(proxy="fz.ftp", id=-1, peer=7)),
})
# Active mode (server/ftp_active.c, client/cftp_active.c)
FTP_ACTIVE_DIAL, FTP_ACTIVE_FAIL = 0x76, 0x77
SERVER_SESSION.update({
    "ftp_active_dial": NP(name="fz.ftp", type="tcp", remote_port=20004) + frame(FTP_ACTIVE_DIAL, dict(proxy="fz.ftp", id=1, peer="127.0.0.1:5", target="127.0.0.1:40000")) + frame(FTP_ACTIVE_DIAL, dict(proxy="fz.ftp", id=2, peer="198.51.100.7:40000", target="198.51.100.8:40000")) + frame(FTP_ACTIVE_DIAL, dict(proxy="fz.ftp", id=3, peer="198.51.100.7:1", target="198.51.100.7:25")) + frame(FTP_ACTIVE_DIAL, dict(proxy="fz.nope", id=4, peer="x", target="y")) + frame(FTP_ACTIVE_DIAL, dict(proxy="fz.ftp", id=-1, peer=7, target=["z"])),
})
CLIENT.update({
    "ftp_active_port": sel(1) + start("fz.ftp", "tcp") + crec(C_RAW, b"USER anonymous\r\nPORT 198,51,100,7,156,65\r\nEPRT |1|198.51.100.7|40001|\r\nPORT 1,2\r\nEPRT |2|::1|9|\r\n") + sel(2) + crec(C_RAW, b"200 PORT command successful.\r\n") + sel(0) + cframe(FTP_ACTIVE_FAIL, dict(id=3, error="target is not the user's address")) + cframe(FTP_ACTIVE_FAIL, dict(id="x", error=5)),
    "ftp_active_no_port": sel(1) + cframe(START_WORK, dict(proxy="fz.ftp", type="tcp", src="198.51.100.7:1", dst="x", ftp_active=7)) + crec(C_RAW, b"data"),
    "ftp_data_port_resp": cframe(FTP_DATA_PORT_RESP, dict(id=1, addr="203.0.113.10", port=6022)) + cframe(FTP_DATA_PORT_RESP, dict(id=9, error="no port")) + cframe(FTP_DATA_PORT_RESP, dict(id="x", port=70000)),
})
# loadBalancer groups (server/lb_group.c, sproxy_tcp.c, sproxy_http.c)
SERVER_SESSION.update({
    "lb_tcp_group": NP(name="fz.g1", type="tcp", remote_port=20004, group="g", group_key="k") + NP(name="fz.g2", type="tcp", group="g", group_key="k") + NP(name="fz.g3", type="tcp", remote_port=20004, group="g", group_key="wrong") + NP(name="fz.g4", type="tcp", remote_port=20004) + NP(name="fz.g5", type="tcp", remote_port=20005, group="g", group_key="k") + rec(USER) + rec(USER) + frame(CLOSE_PROXY, dict(name="fz.g1")) + rec(USER) + frame(CLOSE_PROXY, dict(name="fz.g2")) + NP(name="fz.g6", type="tcp", remote_port=20004, group="h"),
    "lb_http_group": NP(name="fz.h1", type="http", custom_domains=["lb.test"], group="w", group_key="k") + NP(name="fz.h2", type="http", custom_domains=["lb.test"], group="w", group_key="k") + NP(name="fz.h3", type="http", custom_domains=["other.test"], group="w", group_key="k") + NP(name="fz.h4", type="http", custom_domains=["lb.test"]) + NP(name="fz.h5", type="https", custom_domains=["s.test"], group="w") + rec(HTTP) + rec(RAW, b"GET / HTTP/1.1\r\nHost: lb.test\r\n\r\n") + frame(CLOSE_PROXY, dict(name="fz.h1")) + rec(HTTP) + rec(RAW, b"GET / HTTP/1.1\r\nHost: lb.test\r\n\r\n") + frame(CLOSE_PROXY, dict(name="fz.h2")),
    "lb_bad_fields": NP(name="fz.b1", type="tcp", remote_port=20004, group=7, group_key=["k"]) + NP(name="fz.b2", type="tcp", group="x" * 100) + NP(name="fz.b3", type="tcp", group="", group_key="k") + NP(name="fz.b4", type="udp", remote_port=20005, group="u"),
})
CLIENT.update({
    "xtcp_offer_fp": cframe(P2P_OFFER, GOOD_OFFER_FP),
    "xtcp_offer_fp_bad": cframe(P2P_OFFER, dict(GOOD_OFFER_FP, fp="zz")) + cframe(P2P_OFFER, dict(GOOD_OFFER_FP, fp="22" * 32)) + cframe(P2P_OFFER, dict(GOOD_OFFER_FP, relay=dict(port=0))),
    "xtcp_answer_fp": cframe(P2P_ANSWER, dict(sid=5, nonce=NV, proof=NV, fp=FP, **GRANT, **CANDS)),
    "xtcp_offer_ok": cframe(P2P_OFFER, GOOD_OFFER),
    "xtcp_offer_refused": cframe(P2P_OFFER, dict(GOOD_OFFER, user="eve")) + cframe(P2P_OFFER, dict(GOOD_OFFER, proof=NV)) + cframe(P2P_OFFER, dict(GOOD_OFFER, proxy="fz.tcp")) + cframe(P2P_OFFER, dict(GOOD_OFFER, cands=[1])),
    "xtcp_answer_unknown": cframe(P2P_ANSWER, dict(sid=5, nonce=NV, proof=NV, **CANDS)) + cframe(P2P_ANSWER, dict(sid="x", error="busy")),
})


def hkdf(ikm, salt, info, n):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


# fuzz_punch_pkt's key: secret "k", nonces 00..1f and 20..3f, proxy "fz.x"
_okm = hkdf(b"k", bytes(range(64)), b"burrow-xtcp-v1 punch" + struct.pack(">H", 4) + b"fz.x", 40)


def punch_pkt(t, role, token=b"\x01" * 8, echo=b"\x00" * 8, key=_okm[:32]):
    body = b"\x3bBP1" + bytes([t, role, 0, 0]) + _okm[32:] + token + echo
    return body + hmac.new(key, body, hashlib.sha256).digest()[:16]


PUNCH_PKT_SEEDS = {
    "probe": punch_pkt(1, 0),
    "ack": punch_pkt(2, 1, echo=b"\x02" * 8),
    "nominate": punch_pkt(3, 0),
    "keepalive": punch_pkt(4, 1),
    "wrong_key": punch_pkt(1, 0, key=b"\x00" * 32),
    "bad_type": punch_pkt(9, 0),
    "short": b"\x3bBP1\x01",
    "quic_like": b"\xc0\x00\x00\x00\x01" + b"\x00" * 40,
}
CAND_SEEDS = {
    "easy": json.dumps(CANDS).encode(),
    "v6_mapped": json.dumps(dict(cands=["mapped [2001:db8::1]:7", "host 10.0.0.1:1"], nat="hard")).encode(),
    "nine": json.dumps(dict(cands=["host 1.2.3.%d:5" % i for i in range(9)], nat="open")).encode(),
    "bad_entries": json.dumps(dict(cands=["host 1.2.3.4:0", "srflx x:1", "host  1.2.3.4:5", 7], nat="unknown")).encode(),
    "dups": json.dumps(dict(cands=["host 1.2.3.4:5"] * 3, nat="easy")).encode(),
}

# fuzz_dgram_tcp (fuzz_dgram_tcp.c): a chunk-size byte, then the stream.
def tframe2(body):
    return struct.pack(">H", len(body)) + body


DGRAM_TCP_SEEDS = {
    "one": b"\x00" + tframe2(b"\x40" + bytes(30)),
    "many_small_chunks": b"\x00" + b"".join(tframe2(bytes([i]) * (i + 1)) for i in range(40)),
    "max_split": b"\x07" + tframe2(bytes(1500)) + tframe2(b"\xc0" * 1200),
    "zero_len": b"\x01" + tframe2(b"ok") + b"\x00\x00" + bytes(8),
    "oversize": b"\x02" + b"\x05\xdd" + bytes(1501),
    "huge": b"\x03" + b"\xff\xff" + bytes(64),
    "partial_tail": b"\x05" + tframe2(bytes(100)) + b"\x01",
}



# fuzz_dyndns2_answer: a dyndns2 provider's HTTP answer, head and body.
def http_answer(status, body, reason=b"OK"):
    return b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n\r\n" % (status, reason) + body


DYNDNS2_SEEDS = {
    "good": http_answer(200, b"good 203.0.113.7\n"),
    "nochg": http_answer(200, b"nochg 203.0.113.7"),
    "badauth_401": http_answer(401, b"badauth", b"Unauthorized"),
    "unauth_html": http_answer(401, b"<html>no</html>", b"Unauthorized"),
    "nohost": http_answer(200, b"nohost"),
    "notfqdn": http_answer(200, b"notfqdn"),
    "abuse": http_answer(200, b"abuse"),
    "911": http_answer(500, b"911", b"Error"),
    "dnserr": http_answer(200, b"dnserr"),
    "multi": http_answer(200, b"good 203.0.113.7\nnochg 2001:db8::7\n"),
    "no_body": b"HTTP/1.0 200 OK\r\n\r\n",
    "no_head_end": b"HTTP/1.0 200 OK\r\nX: y\r\ngood",
    "bad_status": b"HTTP/1.1 2x0 OK\r\n\r\ngood",
    "bare": b"good 1.2.3.4",
    "long_line": http_answer(200, b"g" * 3000),
}


# fuzz_zstd_stream (its ops): streams made by the zstd command line tool
# with a 64 KiB window (ZSTD_STREAM_WLOG), one with 1 MiB (refused).
ZDATA, ZPAUSE, ZRESUME, ZFIN, ZWRITE, ZEARLY = range(6)


def zstd(data, wlog=16):
    import subprocess
    return subprocess.run(["zstd", "-q", "-1", "-c", "--no-check", "--zstd=wlog=%d" % wlog],
                          input=data, stdout=subprocess.PIPE, check=True).stdout


_ztext = b"".join(b"2026-11-30 12:00:%02d INFO proxy listening name=web%d\n" % (i % 60, i % 97)
                  for i in range(400))
_zs = zstd(_ztext)
ZSTD_STREAM_SEEDS = {
    "text": rec(ZDATA, _zs) + rec(ZFIN),
    "split_early": rec(ZEARLY, _zs[:5]) + b"".join(rec(ZDATA, _zs[i:i + 7])
                                                    for i in range(5, len(_zs), 7)) + rec(ZFIN),
    "pause_resume": rec(ZDATA, _zs[:40]) + rec(ZPAUSE) + rec(ZDATA, _zs[40:]) + rec(ZRESUME)
    + rec(ZFIN),
    "bomb": rec(ZPAUSE) + rec(ZDATA, zstd(bytes(1 << 20))) + rec(ZRESUME),
    "cut_mid_frame": rec(ZDATA, _zs[:len(_zs) // 2]) + rec(ZFIN),
    "not_zstd": rec(ZDATA, b"GET / HTTP/1.1\r\n\r\n"),
    "big_window": rec(ZDATA, zstd(bytes(range(256)) * 8192, 20)),
    "two_frames": rec(ZDATA, _zs + zstd(b"second")) + rec(ZFIN),
    "write_both": rec(ZWRITE, _ztext[:3000]) + rec(ZDATA, _zs) + rec(ZWRITE, b"x") + rec(ZFIN),
}


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


TARGETS = {
    "fuzz_server_gate": SERVER_GATE,
    "fuzz_server_session": SERVER_SESSION,
    "fuzz_vhost_http": VHOST,
    "fuzz_udp_server": UDP_SERVER,
    "fuzz_client": CLIENT,
    "fuzz_udp_client": UDP_CLIENT,
    "fuzz_conn_tls": CONN_TLS,
    "fuzz_client_login": CLIENT_LOGIN,
    "fuzz_server_tls": SERVER_TLS,
    "fuzz_stun": STUN_SEEDS,
    "fuzz_nat_answer": NAT_ANSWER_SEEDS,
    "fuzz_stun_server": STUN_SERVER_SEEDS,
    "fuzz_udp_relay": UDP_RELAY_SEEDS,
    "fuzz_relay_msg": RELAY_MSG_SEEDS,
    "fuzz_quic": QUIC_SEEDS,
    "fuzz_punch_pkt": PUNCH_PKT_SEEDS,
    "fuzz_cand": CAND_SEEDS,
    "fuzz_dgram_tcp": DGRAM_TCP_SEEDS,
    "fuzz_dyndns2_answer": DYNDNS2_SEEDS,
    "fuzz_zstd_stream": ZSTD_STREAM_SEEDS,
}

if __name__ == "__main__":
    for t in sys.argv[1:] or TARGETS:
        write(t, TARGETS[t])
