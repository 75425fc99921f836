#!/usr/bin/env python3
"""router_page.py --bind IP --port N --password PW: a home router's admin
page, the way consumer routers do it: GET / is a login form; POST /login
with the right password answers 302 to /admin with Set-Cookie sid=...
(HttpOnly); GET /admin without a valid cookie is 302 to /; with it, the
status page. Like many routers it refuses a Host other than its own LAN
address (a DNS-rebinding guard): 403. Logs one line per request."""
import argparse
import http.server
import secrets
import urllib.parse

SESSIONS = set()


class Router(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def host_ok(self):
        if self.headers.get("Host", "").split(":")[0] == self.server.lan_ip:
            return True
        self.reply(403, b"<h1>403: use the router's own address</h1>")
        return False

    def session(self):
        for part in self.headers.get("Cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "sid" and v in SESSIONS:
                return v
        return None

    def do_GET(self):
        if not self.host_ok():
            return
        if self.path == "/":
            self.reply(200, b'<form method="post" action="/login">'
                            b'<input name="username"><input name="password" type="password"></form>')
        elif self.path == "/admin":
            if self.session():
                self.reply(200, b"<h1>Router status</h1><p>WAN: connected</p><p>DDNS: off</p>")
            else:
                self.reply(302, headers=[("Location", "/")])
        else:
            self.reply(404, b"not found")

    def do_POST(self):
        if not self.host_ok():
            return
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if self.path != "/login":
            self.reply(404, b"not found")
        elif form.get("username") == ["admin"] and form.get("password") == [self.server.password]:
            sid = secrets.token_hex(16)
            SESSIONS.add(sid)
            self.reply(302, headers=[("Location", "/admin"),
                                     ("Set-Cookie", "sid=%s; Path=/; HttpOnly" % sid)])
        else:
            self.reply(403, b"<h1>wrong password</h1>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password", required=True)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer((a.bind, a.port), Router)
    srv.lan_ip, srv.password = a.bind, a.password
    srv.serve_forever()


if __name__ == "__main__":
    main()
