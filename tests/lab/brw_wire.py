#!/usr/bin/env python3
"""brw_wire.py: a minimal burrow control client in plain TCP, for abuse tests.

  brw_wire.py logins HOST PORT TOKEN N
      N logins one after another; prints one line per attempt:
      "ok", "refused auth: MESSAGE" or "closed".
  brw_wire.py proxies HOST PORT TOKEN N NAME
      logs in, sends N NEW_PROXY messages named NAME + index (NAME may hold
      any bytes, e.g. a forged " user=admin" or a newline) with an unknown
      type, and waits for the N answers; prints "answers=N refused=N".
  brw_wire.py ftpdata HOST PORT TOKEN N
      logs in, registers tcp proxy "wire-ftp", asks FTP_DATA_PORT N times
      (and once for a proxy it does not own), waits for the N + 1 answers;
      prints "ports=N errors=N" then one line per distinct error.
  brw_wire.py meta HOST PORT TOKEN N [CLIENT_ID_LEN]
      one login whose LOGIN carries N metadatas entries (and a clientID of
      CLIENT_ID_LEN bytes, default 8); prints "ok" or the refusal.
  brw_wire.py ftpactive HOST PORT TOKEN N
      logs in, registers tcp proxy "wire-ftp", sends FTP_ACTIVE_DIAL N times
      to 203.0.113.99:40000 (peer the same IP: no host there, so each dial
      waits for ARP to fail), then a third-party target, a port below 1024
      and a proxy it does not own; prints one line per distinct
      FTP_ACTIVE_FAIL error with its count.
"""
import hashlib
import hmac
import json
import os
import socket
import struct
import sys

HELLO, CHALLENGE, LOGIN, LOGIN_OK, ERROR = 0x01, 0x02, 0x03, 0x04, 0x05
NEW_PROXY, NEW_PROXY_RESP = 0x10, 0x11
FTP_DATA_PORT, FTP_DATA_PORT_RESP = 0x74, 0x75
FTP_ACTIVE_DIAL, FTP_ACTIVE_FAIL = 0x76, 0x77


def send(sock, typ, obj):
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack(">IB", len(data), typ) + data)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def recv(sock):
    n, typ = struct.unpack(">IB", recv_exact(sock, 5))
    return typ, json.loads(recv_exact(sock, n) or b"{}")


def login(host, port, token, user="", extra=None):
    """Returns (sock, None) after LOGIN_OK, or (None, why)."""
    sock = socket.create_connection((host, port), timeout=10)
    try:
        sock.sendall(b"BRW1")
        send(sock, HELLO, {"proto_min": 1, "proto_max": 1, "role": "control", "version": "wire"})
        typ, m = recv(sock)
        if typ == ERROR:
            return None, "refused %s: %s" % (m.get("code"), m.get("message"))
        nonce_s = bytes.fromhex(m["nonce"])
        nonce_c = os.urandom(32)
        u = user.encode()
        mac = hmac.new(token.encode(), b"burrow-login-v1" + nonce_s + nonce_c + bytes([len(u)]) + u,
                       hashlib.sha256).hexdigest()
        msg = {"user": user, "client_nonce": nonce_c.hex(), "mac": mac, "version": "wire",
               "hostname": "wire"}
        msg.update(extra or {})
        send(sock, LOGIN, msg)
        typ, m = recv(sock)
        if typ == LOGIN_OK:
            return sock, None
        sock.close()
        if typ == ERROR:
            return None, "refused %s: %s" % (m.get("code"), m.get("message"))
        return None, "unexpected %d" % typ
    except (EOFError, OSError):
        sock.close()
        return None, "closed"


def main():
    cmd, host, port, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    if cmd == "logins":
        for _ in range(n):
            sock, why = login(host, port, token)
            print("ok" if sock else why, flush=True)
            if sock:
                sock.close()
        return 0
    if cmd == "meta":
        id_len = int(sys.argv[6]) if len(sys.argv) > 6 else 8
        meta = {"k%d" % i: "v" * 256 for i in range(n)}
        sock, why = login(host, port, token, extra={"client_id": "i" * id_len, "metadatas": meta})
        print("ok" if sock else why, flush=True)
        if sock:
            sock.close()
        return 0
    if cmd == "proxies":
        name = sys.argv[6]
        sock, why = login(host, port, token)
        if not sock:
            print(why)
            return 1
        for i in range(n):
            send(sock, NEW_PROXY, {"name": "%s%d" % (name, i), "type": "bogus\nINFO forged type",
                                   "remote_port": 1})
        answers = refused = 0
        while answers < n:
            typ, m = recv(sock)
            if typ == NEW_PROXY_RESP:
                answers += 1
                refused += not m.get("ok")
        print("answers=%d refused=%d" % (answers, refused))
        return 0
    if cmd == "ftpactive":
        sock, why = login(host, port, token)
        if not sock:
            print(why)
            return 1
        send(sock, NEW_PROXY, {"name": "wire-ftp", "type": "tcp", "remote_port": 0})
        typ, m = recv(sock)
        while typ != NEW_PROXY_RESP:
            typ, m = recv(sock)
        if not m.get("ok"):
            print("proxy refused: %s" % m.get("error"))
            return 1
        dial = lambda i, peer, target, proxy="wire-ftp": send(
            sock, FTP_ACTIVE_DIAL, {"proxy": proxy, "id": i, "peer": peer, "target": target})
        for i in range(n):
            dial(i + 1, "203.0.113.99:5000", "203.0.113.99:40000")
        dial(n + 1, "203.0.113.50:5000", "203.0.113.60:40000")
        dial(n + 2, "203.0.113.50:5000", "203.0.113.50:25")
        dial(n + 3, "203.0.113.50:5000", "203.0.113.50:40000", "someone-else")
        errors = {}
        while sum(errors.values()) < n + 3:
            typ, m = recv(sock)
            if typ == FTP_ACTIVE_FAIL:
                errors[m.get("error")] = errors.get(m.get("error"), 0) + 1
        for e, k in sorted(errors.items()):
            print("%d %s" % (k, e))
        return 0
    if cmd == "ftpdata":
        sock, why = login(host, port, token)
        if not sock:
            print(why)
            return 1
        send(sock, NEW_PROXY, {"name": "wire-ftp", "type": "tcp", "remote_port": 0})
        typ, m = recv(sock)
        while typ != NEW_PROXY_RESP:
            typ, m = recv(sock)
        if not m.get("ok"):
            print("proxy refused: %s" % m.get("error"))
            return 1
        for i in range(n):
            send(sock, FTP_DATA_PORT, {"proxy": "wire-ftp", "id": i + 1, "peer": "203.0.113.50:1"})
        send(sock, FTP_DATA_PORT, {"proxy": "someone-else", "id": n + 1, "peer": "203.0.113.50:1"})
        ports, errors = 0, {}
        while ports + sum(errors.values()) < n + 1:
            typ, m = recv(sock)
            if typ != FTP_DATA_PORT_RESP:
                continue
            if m.get("error"):
                errors[m["error"]] = errors.get(m["error"], 0) + 1
            else:
                ports += 1
        print("ports=%d errors=%d" % (ports, sum(errors.values())))
        for e, k in sorted(errors.items()):
            print("%d %s" % (k, e))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
