#!/usr/bin/env python3
"""udp_many HOST PORT N: N local senders (one socket each), one after the
other, each sends a datagram naming itself and waits for its own echo (1 s,
3 tries). Then the first sender, whose session the others pushed out of a
capped table, tries again. Prints "ok N+1" and exits 0 when every echo came
back to the socket that sent it; otherwise says which failed."""
import socket
import sys


def ask(sock, addr, tag):
    for _ in range(3):
        sock.sendto(tag, addr)
        try:
            data, _ = sock.recvfrom(2048)
        except socket.timeout:
            continue
        if data != tag:
            return "foreign reply %r for %r" % (data[:40], tag)
        return None
    return "no echo for %r" % tag


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    addr = (host, port)
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.0)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        err = ask(s, addr, b"sender-%d" % i)
        if err:
            print("FAIL sender %d: %s" % (i, err))
            return 1
    err = ask(socks[0], addr, b"sender-0-again")
    if err:
        print("FAIL first sender after the cap: %s" % err)
        return 1
    print("ok %d" % (n + 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
