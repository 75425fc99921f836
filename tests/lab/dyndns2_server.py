#!/usr/bin/env python3
"""dyndns2_server: a dyndns2 update endpoint for test_ddns.sh, over HTTPS.

usage: dyndns2_server.py ADDR PORT CERT KEY USER PASSWORD LOGFILE

GET /nic/update?hostname=H&myip=A with Basic USER:PASSWORD answers
"good A" the first time H is given A, "nochg A" after that; a wrong login
answers 401 "badauth"; a missing hostname "notfqdn". Every request is
written to LOGFILE as one line: "user=U hostname=H myip=A answer=X".
"""
import base64
import http.server
import ssl
import sys
import urllib.parse

addr, port, cert, key, user, password, logfile = sys.argv[1:8]
want_auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
known = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def answer(self, status, text, who, host, ip):
        with open(logfile, "a") as f:
            f.write(f"user={who} hostname={host} myip={ip} answer={text.split()[0]} "
                    f"agent={self.headers.get('User-Agent', '')}\n")
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        host = q.get("hostname", [""])[0]
        ip = q.get("myip", [""])[0]
        auth = self.headers.get("Authorization", "")
        who = "?"
        if auth.startswith("Basic "):
            try:
                who = base64.b64decode(auth[6:]).decode().split(":")[0]
            except Exception:
                who = "garbled"
        if url.path != "/nic/update":
            return self.answer(404, "notfound", who, host, ip)
        if auth != want_auth:
            return self.answer(401, "badauth", who, host, ip)
        if not host or "." not in host:
            return self.answer(200, "notfqdn", who, host, ip)
        if known.get(host) == ip:
            return self.answer(200, f"nochg {ip}", who, host, ip)
        known[host] = ip
        return self.answer(200, f"good {ip}", who, host, ip)

    def log_message(self, fmt, *args):
        pass


srv = http.server.HTTPServer((addr, int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("listening", flush=True)
srv.serve_forever()
