#!/usr/bin/env python3
"""sleeping_host.py MAC TCPADDR TCPPORT BOOT_S: a lab machine that is "off".

Listens on UDP port 9 (any address, so LAN broadcasts reach it) and prints
"magic AA:BB:.." for every magic packet it sees (for any MAC) and "datagram N"
for anything else. Once a magic packet for its own MAC arrives, it "boots":
after BOOT_S seconds it listens on TCPADDR:TCPPORT, greets each connection
with "booted\\n" and echoes what it reads. Until then, connections there are
refused (nothing listens), as on a powered-off machine's port."""
import socket
import sys
import threading
import time


def magic_mac(p):
    """The MAC a magic packet in p is for, or None (scans like a NIC)."""
    for off in range(0, len(p) - 101):
        if p[off:off + 6] != b"\xff" * 6:
            continue
        mac = p[off + 6:off + 12]
        if all(p[off + 6 + r * 6:off + 12 + r * 6] == mac for r in range(16)):
            return mac
    return None


def serve(addr, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def echo(c):
    c.sendall(b"booted\n")
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.close()


def main():
    me = bytes(int(x, 16) for x in sys.argv[1].split(":"))
    addr, port, boot_s = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.bind(("0.0.0.0", 9))
    print("asleep", flush=True)
    booting = False
    while True:
        p, src = u.recvfrom(2048)
        mac = magic_mac(p)
        if mac is None:
            print("datagram %d from %s" % (len(p), src[0]), flush=True)
            continue
        print("magic %s from %s" % (":".join("%02x" % b for b in mac), src[0]), flush=True)
        if mac == me and not booting:
            booting = True
            print("booting", flush=True)
            threading.Timer(boot_s, serve, args=(addr, port)).start()


main()
