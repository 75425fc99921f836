#!/usr/bin/env python3
"""hold_conn.py HOST PORT GOFILE [TIMEOUT]: one long-lived TCP connection to
an echo service. Sends 64 KiB of random bytes and checks the echo, then
waits (the connection idle) until GOFILE exists, then sends 64 KiB more and
checks that echo too. Prints "hold ok BYTES" and exits 0, or says what
broke and exits 1. Used by test_reload.sh: the connection rides a proxy
that reloads must leave alone."""
import os
import socket
import sys
import time

CHUNK = 65536


def echo_round(s, n):
    data = os.urandom(n)
    s.sendall(data)
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            raise RuntimeError("closed after %d of %d echoed bytes" % (len(got), n))
        got += b
    if got != data:
        raise RuntimeError("echo differs")
    return n


def main():
    host, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 120
    s = socket.create_connection((host, port), timeout=10)
    total = echo_round(s, CHUNK)
    print("hold first round ok", flush=True)
    deadline = time.time() + timeout
    while not os.path.exists(go):
        if time.time() > deadline:
            raise RuntimeError("no go file within %ss" % timeout)
        time.sleep(0.1)
    total += echo_round(s, CHUNK)
    s.close()
    print("hold ok %d" % total, flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the test's log
        print("hold failed: %s" % e, flush=True)
        sys.exit(1)
