#!/usr/bin/env python3
"""rfb_client.py HOST PORT: a minimal RFB 3.8 client (RFC 6143) for the lab.
ProtocolVersion -> security type None (1) -> SecurityResult -> ClientInit
(shared) -> ServerInit -> one non-incremental FramebufferUpdateRequest for
the whole screen -> reads the FramebufferUpdate (Raw encoding, the default
when no SetEncodings was sent) and checks its rectangles cover the screen.
Prints "rfb ok WIDTHxHEIGHT bpp=N name=NAME rects=N bytes=N"; exit 0 on
success, 1 with a reason otherwise."""
import socket
import struct
import sys


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return buf


def handshake(s):
    ver = recv_exact(s, 12)  # §7.1.1 "RFB 003.008\n"
    if not ver.startswith(b"RFB 003."):
        raise ValueError("not RFB: %r" % ver)
    s.sendall(b"RFB 003.008\n")
    n = recv_exact(s, 1)[0]  # §7.1.2: number of security types, then the list
    if n == 0:
        raise ValueError("server refused: %r" % recv_exact(s, 4))
    types = recv_exact(s, n)
    if 1 not in types:
        raise ValueError("security None not offered: %r" % list(types))
    s.sendall(b"\x01")
    res = struct.unpack(">I", recv_exact(s, 4))[0]  # §7.1.3 SecurityResult
    if res != 0:
        raise ValueError("SecurityResult %d" % res)
    s.sendall(b"\x01")  # §7.3.1 ClientInit: shared
    w, h = struct.unpack(">HH", recv_exact(s, 4))  # §7.3.2 ServerInit
    pf = recv_exact(s, 16)
    nlen = struct.unpack(">I", recv_exact(s, 4))[0]
    name = recv_exact(s, nlen).decode("utf-8", "replace")
    return w, h, pf[0], name


def framebuffer_update(s, w, h, bpp):
    s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))  # §7.5.3, incremental=0
    while True:
        t = recv_exact(s, 1)[0]
        if t == 0:
            break
        if t == 2:  # Bell: no payload
            continue
        if t == 3:  # ServerCutText
            recv_exact(s, 3)
            recv_exact(s, struct.unpack(">I", recv_exact(s, 4))[0])
            continue
        raise ValueError("unexpected server message %d" % t)
    recv_exact(s, 1)  # padding
    nrects = struct.unpack(">H", recv_exact(s, 2))[0]
    area = nbytes = 0
    for _ in range(nrects):  # §7.6.1: x, y, w, h, encoding
        _x, _y, rw, rh, enc = struct.unpack(">HHHHi", recv_exact(s, 12))
        if enc != 0:
            raise ValueError("encoding %d without SetEncodings" % enc)
        data = recv_exact(s, rw * rh * bpp // 8)
        area += rw * rh
        nbytes += len(data)
    if area < w * h:
        raise ValueError("rectangles cover %d of %d pixels" % (area, w * h))
    return nrects, nbytes


def main():
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    try:
        w, h, bpp, name = handshake(s)
        nrects, nbytes = framebuffer_update(s, w, h, bpp)
    except (ValueError, EOFError, OSError) as e:
        print("rfb failed: %s" % e)
        return 1
    print("rfb ok %dx%d bpp=%d name=%s rects=%d bytes=%d" % (w, h, bpp, name, nrects, nbytes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
