#!/usr/bin/env python3
"""ftp_fake_server: a minimal FTP control server for test_ftp.sh's bound
check. usage: ftp_fake_server.py ADDR PORT

Serves one control connection: "220" on connect; for each PORT h,h,h,h,p,p
it connects to that address (and keeps the connection open, sending
nothing), then answers "200"; QUIT answers "221" and ends; anything else
"200". So each PORT leaves burrow with one accepted data connection waiting
for its dial to the user.
"""
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
conn, _ = ls.accept()
f = conn.makefile("rwb", buffering=0)
f.write(b"220 fake\r\n")
held = []
for raw in f:
    line = raw.decode(errors="replace").strip()
    verb = line[:4].upper()
    if verb == "QUIT":
        f.write(b"221 bye\r\n")
        break
    if verb == "PORT":
        n = [int(x) for x in line[5:].split(",")]
        s = socket.create_connection((".".join(map(str, n[:4])), n[4] * 256 + n[5]), timeout=5)
        held.append(s)
        print("connected %s" % line[5:], flush=True)
    f.write(b"200 ok\r\n")
