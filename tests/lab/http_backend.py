#!/usr/bin/env python3
"""http_backend: the local web service of the vhost lab tests.

HTTP/1.1 with keep-alive. Every response carries `X-Site: NAME`.
  GET  /file/NAME        a file from --dir, streamed
  GET  /echo...          JSON: site, method, path, headers (as received)
  GET  /sleep/SECONDS    answers after SECONDS (for 504 tests)
  POST|PUT /sum          sha256 and length of the request body (Content-Length
                         or chunked; Expect: 100-continue is answered)
  GET  /ws               WebSocket echo (RFC 6455, unmasked server frames)
  GET  /close            answers, then closes the connection
  GET  /chunked/N        N lines "part I", chunked (one chunk per line)
  POST|PUT /echo...      JSON as GET /echo, plus "body" (the request body, text)
With --proxy-protocol the first bytes of each connection must be a PROXY v1
or v2 header; it is parsed, logged ("PROXY {...}") and reported by /echo as
"proxy". With --tls CERT KEY it speaks HTTPS (after any PROXY header).
"""
import argparse
import base64
import hashlib
import json
import mimetypes
import os
import socket
import socketserver
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def read_exact(f, n):  # from a buffered reader
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def parse_proxy_header(sock):
    """Reads exactly a PROXY v1 or v2 header from the socket (nothing more,
    so that TLS can start right after it)."""
    first = b""
    while len(first) < 12:
        got = sock.recv(12, socket.MSG_PEEK)
        if not got:
            raise EOFError
        first = got
        if first.startswith(b"PROXY ") or len(got) >= 12:
            break
    if first.startswith(b"PROXY "):
        line = b""
        while not line.endswith(b"\r\n") and len(line) < 108:
            line += recv_exact(sock, 1)
        parts = line.decode().strip().split(" ")
        return {"version": 1, "family": parts[1], "src": parts[2], "dst": parts[3],
                "sport": int(parts[4]), "dport": int(parts[5])}
    if first[:12] == V2_SIG:
        hdr = recv_exact(sock, 16)
        ver_cmd, fam, length = hdr[12], hdr[13], struct.unpack("!H", hdr[14:16])[0]
        body = recv_exact(sock, length)
        if ver_cmd != 0x21:
            raise ValueError("bad v2 version/command")
        if fam == 0x11:
            src, dst = socket.inet_ntop(socket.AF_INET, body[0:4]), socket.inet_ntop(socket.AF_INET, body[4:8])
            sport, dport = struct.unpack("!HH", body[8:12])
            family = "TCP4"
        elif fam == 0x21:
            src, dst = socket.inet_ntop(socket.AF_INET6, body[0:16]), socket.inet_ntop(socket.AF_INET6, body[16:32])
            sport, dport = struct.unpack("!HH", body[32:36])
            family = "TCP6"
        else:
            raise ValueError("bad v2 family")
        return {"version": 2, "family": family, "src": src, "dst": dst, "sport": sport, "dport": dport}
    raise ValueError("no PROXY header")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        self.proxy = None
        self.bad = False
        if self.server.expect_proxy:
            try:
                self.proxy = parse_proxy_header(self.request)
                sys.stderr.write("PROXY %s\n" % json.dumps(self.proxy))
            except Exception as e:  # noqa: BLE001
                sys.stderr.write("PROXY header error: %r\n" % e)
                self.bad = True
        if self.server.tls and not self.bad:
            try:
                self.request = self.server.tls.wrap_socket(self.request, server_side=True)
            except Exception as e:  # noqa: BLE001
                sys.stderr.write("TLS error: %r\n" % e)
                self.bad = True
        self.connection = self.request
        super().setup()

    def handle(self):
        if not self.bad:
            super().handle()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s port=%d\n" % (self.address_string(), fmt % args, self.client_address[1]))

    def reply(self, code, body, ctype="text/plain", extra=None):
        self.send_response(code)
        self.send_header("X-Site", self.server.site)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p.startswith("/file/"):
            return self.send_file(os.path.join(self.server.dir, os.path.basename(p[6:])))
        if p.startswith("/sleep/"):
            time.sleep(float(p[7:]))
            return self.reply(200, b"slept\n")
        if p == "/ws":
            return self.websocket()
        if p.startswith("/chunked/"):
            return self.chunked(int(p[9:]))
        if p == "/close":
            self.close_connection = True
            return self.reply(200, b"bye\n", extra={"Connection": "close"})
        info = {"site": self.server.site, "method": self.command, "path": p,
                "headers": [[k, v] for k, v in self.headers.items()], "proxy": self.proxy}
        return self.reply(200, (json.dumps(info) + "\n").encode(), "application/json")

    def send_file(self, path):
        try:
            size = os.path.getsize(path)
            f = open(path, "rb")
        except OSError:
            return self.reply(404, b"no such file\n")
        with f:
            self.send_response(200)
            self.send_header("X-Site", self.server.site)
            ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command == "HEAD":
                return
            while True:
                chunk = f.read(256 * 1024)
                if not chunk:
                    break
                self.wfile.write(chunk)

    def read_body(self):
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    chunk = self.rfile.read(min(left, 256 * 1024))
                    if not chunk:
                        raise EOFError
                    h.update(chunk)
                    n += len(chunk)
                    left -= len(chunk)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                chunk = self.rfile.read(min(left, 256 * 1024))
                if not chunk:
                    raise EOFError
                h.update(chunk)
                n += len(chunk)
                left -= len(chunk)
        return h.hexdigest(), n

    def chunked(self, n):
        self.send_response(200)
        self.send_header("X-Site", self.server.site)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(n):
            line = ("part %d\n" % i).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def do_POST(self):
        if self.path.startswith("/echo"):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            info = {"site": self.server.site, "method": self.command, "path": self.path,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": body.decode("utf-8", "replace")}
            return self.reply(200, (json.dumps(info) + "\n").encode(), "application/json")
        digest, n = self.read_body()
        self.reply(200, ("%s %d\n" % (digest, n)).encode())

    do_PUT = do_POST

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            try:
                b0, b1 = read_exact(self.rfile, 2)
            except EOFError:
                return
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", read_exact(self.rfile, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", read_exact(self.rfile, 8))[0]
            mask = read_exact(self.rfile, 4) if b1 & 0x80 else b"\0\0\0\0"
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(read_exact(self.rfile, n)))
            if op == 8:
                self.wfile.write(b"\x88\x00")
                return
            hdr = bytes([0x80 | op])
            if len(data) < 126:
                hdr += bytes([len(data)])
            elif len(data) < 65536:
                hdr += bytes([126]) + struct.pack("!H", len(data))
            else:
                hdr += bytes([127]) + struct.pack("!Q", len(data))
            self.wfile.write(hdr + data)
            self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--site", default="site")
    ap.add_argument("--dir", default=".")
    ap.add_argument("--proxy-protocol", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS")
    a = ap.parse_args()
    srv = Server((a.bind, a.port), Handler)
    srv.site, srv.dir, srv.expect_proxy = a.site, a.dir, a.proxy_protocol
    srv.tls = None
    if a.tls:
        import ssl
        srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.tls.load_cert_chain(a.tls[0], a.tls[1])
    sys.stderr.write("listening %s:%d site=%s\n" % (a.bind, a.port, a.site))
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    main()
