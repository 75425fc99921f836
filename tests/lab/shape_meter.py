#!/usr/bin/env python3
"""shape_meter: the rate a bandwidth limit lets through, measured where the
bytes arrive (test_shape.sh, bench).

  shape_meter.py serve ADDR PORT
      One thread per connection. The first byte says what to do:
      'D' send an endless stream (download), 'U' count what arrives
      (upload) and answer the rate as for `down` (below), 'F' send the file
      named by the rest of the line, then close.
  shape_meter.py get HOST PORT NAME OUT
      Fetches file NAME (a path on the server's side) into OUT.
  shape_meter.py down|up HOST PORT SECS [SKIP]
      Downloads (or uploads) and prints "<bytes/s> <bytes> <secs>": the bytes
      that arrived between SKIP s (default 0.5, past the initial burst) and
      SKIP + SECS s after the first one.
"""
import os
import socket
import sys
import threading
import time

CHUNK = 65536


def count_window(recv, secs, skip):
    """Bytes that arrive in [skip, skip + secs) after the first one."""
    first = None
    got = 0
    while True:
        b = recv()
        if not b:
            print("stream ended early after %d bytes in the window" % got, file=sys.stderr,
                  flush=True)
            raise SystemExit("stream ended early")
        now = time.monotonic()
        if first is None:
            first = now
        t = now - first
        if t >= skip + secs:
            return got
        if t >= skip:
            got += len(b)


def serve_one(c):
    with c:
        kind = c.recv(1)
        if kind == b"D":
            buf = os.urandom(CHUNK)
            try:
                while True:
                    c.sendall(buf)
            except OSError:
                return
        if kind == b"U":
            hdr = b""
            while not hdr.endswith(b"\n"):
                hdr += c.recv(1)
            secs, skip = (float(x) for x in hdr.split())
            n = count_window(lambda: c.recv(CHUNK), secs, skip)
            c.sendall(b"%d %d %.3f\n" % (n / secs, n, secs))
            # Closing with unread bytes would reset the connection and could
            # lose the answer on the way: half-close, drain until the end.
            c.shutdown(socket.SHUT_WR)
            try:
                while c.recv(CHUNK):
                    pass
            except OSError:
                pass
        if kind == b"F":
            name = b""
            while not name.endswith(b"\n"):
                name += c.recv(1)
            with open(name.strip(), "rb") as f:
                c.sendfile(f)
            c.shutdown(socket.SHUT_WR)
            while c.recv(CHUNK):
                pass


def serve(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def down(host, port, secs, skip):
    c = socket.create_connection((host, port), timeout=secs + skip + 10)
    c.sendall(b"D")
    n = count_window(lambda: c.recv(CHUNK), secs, skip)
    print("%d %d %.3f" % (n / secs, n, secs))


def up(host, port, secs, skip):
    c = socket.create_connection((host, port), timeout=secs + skip + 10)
    c.sendall(b"U%f %f\n" % (secs, skip))
    buf = os.urandom(CHUNK)
    c.setblocking(False)
    answer = b""
    deadline = time.monotonic() + secs + skip + 10
    import select
    while not answer.endswith(b"\n") and time.monotonic() < deadline:
        r, w, _ = select.select([c], [c], [], 1)
        if r:
            b = c.recv(256)
            if not b:
                break
            answer += b
        elif w:
            try:
                c.send(buf)
            except BlockingIOError:
                pass
    if not answer.endswith(b"\n"):
        raise SystemExit("no answer from the sink")
    print(answer.decode().strip())


def get(host, port, name, out):
    c = socket.create_connection((host, port), timeout=20)
    c.sendall(b"F" + name.encode() + b"\n")
    with open(out, "wb") as f:
        while True:
            b = c.recv(CHUNK)
            if not b:
                break
            f.write(b)


def main():
    a = sys.argv[1:]
    if a[0] == "serve":
        serve(a[1], int(a[2]))
    elif a[0] == "get":
        get(a[1], int(a[2]), a[3], a[4])
    elif a[0] in ("down", "up"):
        skip = float(a[4]) if len(a) > 4 else 0.5
        (down if a[0] == "down" else up)(a[1], int(a[2]), float(a[3]), skip)
    else:
        raise SystemExit(__doc__)


main()
