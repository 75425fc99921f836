#!/usr/bin/env python3
"""sd_notify_check: burrow speaks systemd's notification protocol.

A Type=notify unit is stood in for by this script: it binds the datagram
socket systemd would ($NOTIFY_SOCKET, a path for the server and an abstract
'@' name for the client), runs `burrow server` and `burrow client` on
127.0.0.1 with it, and checks what arrives: READY=1 with STATUS= when the
server listens; WATCHDOG=1 every half $WATCHDOG_USEC; the client's READY=1
at login and STATUS= with its proxies registered; RELOADING=1 then READY=1
around a SIGHUP reload; STOPPING=1 at SIGTERM with exit 0; and a client
whose server is down still READY=1 at once, its STATUS naming the failure.
Usage: sd_notify_check.py BURROW_BIN. No root, no network beyond loopback.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="brw-sdn-")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Notify:
    """The manager's end: a bound AF_UNIX datagram socket, and what came."""

    def __init__(self, name, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            addr = "\0brw-sdn-%d-%s" % (os.getpid(), name)
            self.env = "@" + addr[1:]
        else:
            addr = os.path.join(TMP, name + ".sock")
            self.env = addr
        self.sock.bind(addr)
        self.msgs = []

    def wait(self, pred, what, timeout=10.0):
        """Messages until one satisfies pred (it is returned), or fail."""
        end = time.monotonic() + timeout
        for m in self.msgs:
            if pred(m):
                self.msgs.remove(m)
                return m
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                m = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            if pred(m):
                return m
            self.msgs.append(m)
        fail("no %s within %.0f s; got %r" % (what, timeout, self.msgs))


def has(*parts):
    return lambda m: all(p in m for p in parts)


def run(args, notify, extra_env=None):
    env = dict(os.environ, NOTIFY_SOCKET=notify.env)
    env.pop("WATCHDOG_USEC", None)
    env.update(extra_env or {})
    log = open(os.path.join(TMP, args[0] + ".log"), "ab")
    return subprocess.Popen([BIN] + args, env=env, stdout=log, stderr=log)


def stop(proc, notify, who):
    proc.send_signal(signal.SIGTERM)
    notify.wait(has("STOPPING=1"), who + " STOPPING=1")
    rc = proc.wait(timeout=15)
    if rc != 0:
        fail("%s exited %d after SIGTERM" % (who, rc))


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    port, local = free_port(), free_port()
    srv_cfg = write("frps.toml", 'bindAddr = "127.0.0.1"\nbindPort = %d\nauth.token = "t"\n'
                    'natDiscovery.stunPort = 0\np2p.relayPort = 0\n' % port)
    sn = Notify("server", abstract=False)
    srv = run(["server", "-c", srv_cfg, "--state-dir", os.path.join(TMP, "ss")], sn,
              {"WATCHDOG_USEC": "200000"})
    m = sn.wait(has("READY=1"), "server READY=1")
    if "STATUS=listening on 127.0.0.1:%d" % port not in m:
        fail("server READY without its STATUS: %r" % m)
    print("ok: server READY=1, %s" % m.split("\n")[1])
    t0 = time.monotonic()
    for _ in range(3):
        sn.wait(has("WATCHDOG=1"), "server WATCHDOG=1", timeout=2)
    print("ok: server WATCHDOG=1 x3 in %.2f s (WATCHDOG_USEC=200000)" % (time.monotonic() - t0))

    cli_text = ('serverAddr = "127.0.0.1"\nserverPort = %d\nauth.token = "t"\n\n'
                '[[proxies]]\nname = "p1"\ntype = "tcp"\nlocalPort = %d\n' % (port, local))
    cli_cfg = write("frpc.toml", cli_text)
    cn = Notify("client", abstract=True)
    cli = run(["client", "-c", cli_cfg, "--state-dir", os.path.join(TMP, "cs")], cn)
    m = cn.wait(has("READY=1"), "client READY=1")
    if "STATUS=logged in to 127.0.0.1:%d" % port not in m:
        fail("client READY before login: %r" % m)
    cn.wait(has("1/1 proxies registered"), "client STATUS with its proxy registered")
    print("ok: client READY=1 at login, then STATUS 1/1 proxies registered")

    write("frpc.toml", cli_text + '\n[[proxies]]\nname = "p2"\ntype = "tcp"\nlocalPort = %d\n'
          % local)
    cli.send_signal(signal.SIGHUP)
    cn.wait(has("RELOADING=1"), "client RELOADING=1")
    cn.wait(has("READY=1"), "client READY=1 after the reload")
    cn.wait(has("2/2 proxies registered"), "client STATUS after the reload")
    print("ok: SIGHUP: RELOADING=1, READY=1, STATUS 2/2 proxies registered")
    stop(cli, cn, "client")
    stop(srv, sn, "server")
    print("ok: client and server STOPPING=1, exit 0")

    dn = Notify("down", abstract=True)
    t0 = time.monotonic()
    cli = run(["client", "-c", cli_cfg, "--state-dir", os.path.join(TMP, "cs")], dn)
    m = dn.wait(has("READY=1"), "READY=1 with the server down", timeout=8)
    took = time.monotonic() - t0
    if "STATUS=connecting to 127.0.0.1:%d" % port not in m or "refused" not in m:
        fail("server down: READY without the failure in STATUS: %r" % m)
    print("ok: server down: READY=1 after %.2f s, %s" % (took, m.split("\n")[1]))
    stop(cli, dn, "client (server down)")
    print("all sd_notify checks passed")


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", TMP])
