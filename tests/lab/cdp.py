#!/usr/bin/env python3
"""cdp: drive a headless Chromium through its DevTools protocol, with the
standard library only (a minimal WebSocket client, RFC 6455).

  cdp.py PORT STEPS.json [SHOT.png]

Chromium must run with --remote-debugging-port=PORT on 127.0.0.1 and one
page open. STEPS is a JSON list of [kind, expression, timeout_s]:
  ["wait", EXPR, T]   evaluate EXPR until it is truthy (fails after T s)
  ["eval", EXPR, 0]   evaluate once (awaits a promise)
Each step's final value is printed as one JSON line. With SHOT, a PNG
screenshot of the page is written at the end."""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WS:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("no websocket: %r" % head)

    def _exact(self, n):
        out = b""
        while len(out) < n:
            c = self.s.recv(n - len(out))
            if not c:
                raise EOFError
            out += c
        return out

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            msg += self._exact(n)
            if b0 & 0x80:
                return msg.decode()


class Page:
    def __init__(self, port):
        for _ in range(100):
            try:
                tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=2))
                pages = [t for t in tabs if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("no DevTools page")
        self.ws = WS(pages[0]["webSocketDebuggerUrl"])
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise RuntimeError(m["error"])
                return m["result"]

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in r:
            return None
        return r["result"].get("value")


def main():
    port, steps = int(sys.argv[1]), json.load(open(sys.argv[2]))
    page = Page(port)
    for kind, expr, timeout in steps:
        deadline = time.time() + timeout
        v = page.eval(expr)
        while kind == "wait" and not v and time.time() < deadline:
            time.sleep(0.2)
            v = page.eval(expr)
        print(json.dumps(v))
        if kind == "wait" and not v:
            sys.exit("timed out waiting for: " + expr)
    if len(sys.argv) > 3:
        page.call("Emulation.setDeviceMetricsOverride", width=1280, height=860, deviceScaleFactor=1, mobile=False)
        time.sleep(0.5)
        shot = page.call("Page.captureScreenshot", format="png")
        open(sys.argv[3], "wb").write(base64.b64decode(shot["data"]))


if __name__ == "__main__":
    main()
