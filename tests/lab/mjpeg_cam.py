#!/usr/bin/env python3
"""mjpeg_cam.py: a network camera's MJPEG stream and a viewer, for the lab.

  mjpeg_cam.py serve --bind IP --port N [--fps 10]
      GET /stream answers multipart/x-mixed-replace (as motion and most IP
      cameras do): one part per frame, each with Content-Type image/jpeg and
      Content-Length; a frame is SOI (FF D8), its 8-byte sequence number,
      random bytes (8..24 KiB), EOI (FF D9). Frames are paced by the clock.

  mjpeg_cam.py watch --host ADDR --port N [--vhost NAME] --seconds S [--max-gap 1.0]
      reads the stream for S seconds; checks every part (type, length,
      SOI/EOI, sequence numbers without holes) and the largest gap between
      two frames' arrivals. Prints "mjpeg frames=N fps=F max_gap=G s";
      exit 0 when the gap stayed under --max-gap and fps >= half the
      camera's, 1 otherwise (with the reason)."""
import argparse
import http.client
import http.server
import os
import struct
import sys
import time

BOUNDARY = "burrowframe"


class Cam(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the stream ends when the connection does

    def log_message(self, fmt, *args):
        sys.stderr.write("cam: " + (fmt % args) + "\n")

    def do_GET(self):
        if self.path != "/stream":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=" + BOUNDARY)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        period, seq, t = 1.0 / self.server.fps, 0, time.monotonic()
        try:
            while True:
                body = (b"\xff\xd8" + struct.pack(">Q", seq)
                        + os.urandom(8192 + (seq * 977) % 16384) + b"\xff\xd9")
                head = ("--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                        % (BOUNDARY, len(body))).encode()
                self.wfile.write(head + body + b"\r\n")
                self.wfile.flush()
                seq += 1
                t += period
                time.sleep(max(0.0, t - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            pass


def serve(a):
    srv = http.server.ThreadingHTTPServer((a.bind, a.port), Cam)
    srv.fps = a.fps
    srv.serve_forever()


def read_part(f):
    """One part: (headers dict, body). Skips blank lines before the boundary."""
    line = f.readline()
    while line in (b"\r\n", b"\n"):
        line = f.readline()
    if line.strip() != ("--" + BOUNDARY).encode():
        raise ValueError("expected the boundary, got %r" % line[:80])
    hdrs = {}
    while True:
        line = f.readline()
        if not line:
            raise ValueError("stream ended in part headers")
        if line in (b"\r\n", b"\n"):
            break
        k, _, v = line.decode("latin-1").partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs["content-length"])
    body = f.read(n)
    if len(body) != n:
        raise ValueError("part cut at %d of %d bytes" % (len(body), n))
    return hdrs, body


def watch(a):
    c = http.client.HTTPConnection(a.host, a.port, timeout=5)
    c.request("GET", "/stream", headers={"Host": a.vhost or a.host})
    r = c.getresponse()
    ctype = r.getheader("Content-Type", "")
    if r.status != 200 or "multipart/x-mixed-replace" not in ctype:
        print("mjpeg failed: status %d type %r" % (r.status, ctype))
        return 1
    start = last = time.monotonic()
    frames, max_gap, want = 0, 0.0, None
    try:
        while time.monotonic() - start < a.seconds:
            hdrs, body = read_part(r)
            now = time.monotonic()
            if hdrs.get("content-type") != "image/jpeg":
                raise ValueError("part type %r" % hdrs.get("content-type"))
            if body[:2] != b"\xff\xd8" or body[-2:] != b"\xff\xd9":
                raise ValueError("frame %d lacks SOI/EOI" % frames)
            seq = struct.unpack(">Q", body[2:10])[0]
            if want is not None and seq != want:
                raise ValueError("frame %d after %d" % (seq, want - 1))
            want = seq + 1
            if frames:
                max_gap = max(max_gap, now - last)
            last, frames = now, frames + 1
    except (ValueError, OSError, KeyError) as e:
        print("mjpeg failed after %d frames: %s" % (frames, e))
        return 1
    fps = frames / a.seconds
    print("mjpeg frames=%d fps=%.1f max_gap=%.3f s" % (frames, fps, max_gap))
    if max_gap >= a.max_gap:
        print("mjpeg failed: a gap of %.3f s (limit %.1f s)" % (max_gap, a.max_gap))
        return 1
    if fps < a.fps / 2:
        print("mjpeg failed: %.1f fps, camera sends %d" % (fps, a.fps))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--fps", type=int, default=10)
    w = sub.add_parser("watch")
    w.add_argument("--host", required=True)
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--vhost")
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--max-gap", type=float, default=1.0)
    w.add_argument("--fps", type=int, default=10)
    a = ap.parse_args()
    return serve(a) if a.cmd == "serve" else watch(a)


if __name__ == "__main__":
    sys.exit(main())
