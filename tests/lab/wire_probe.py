#!/usr/bin/env python3
"""wire_probe.py HOST PORT HEXBYTES TIMEOUT

Connects, sends HEXBYTES (may be empty), then waits up to TIMEOUT seconds for
the server to close the connection, discarding anything it sends. Prints
"closed eof after S s" or "closed reset after S s" (exit 0) or "still open
after S s" (exit 1); exit 2 when it cannot connect."""
import socket
import sys
import time


def main():
    host, port, payload, timeout = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), float(sys.argv[4])
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        print(f"connect failed: {e}")
        return 2
    t0 = time.monotonic()
    try:
        if payload:
            sock.sendall(payload)
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                print(f"still open after {timeout:.1f} s")
                return 1
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                print(f"closed eof after {time.monotonic() - t0:.2f} s")
                return 0
    except ConnectionResetError:
        print(f"closed reset after {time.monotonic() - t0:.2f} s")
        return 0
    except BrokenPipeError:
        print(f"closed reset (on send) after {time.monotonic() - t0:.2f} s")
        return 0
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
