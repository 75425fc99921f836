#!/usr/bin/env python3
"""bench/lib/report.py RESULTS.tsv [OUT.md [README.md]]: turns the figures bench/run.sh
collected ("key<TAB>value" lines) into markdown tables, prints them, and
writes them to OUT.md when given (between its bench:run markers, with a gnuplot
chart beside it; the hand-measured sections outside the markers are kept), and
between the bench markers of README.md when given. Speed columns quote the ratio to direct;
memory, CPU and size have no direct counterpart (no relay process there)."""
import os
import shutil
import subprocess
import sys
import tempfile

NAMES = {
    "direct": "direct",
    "tls": "burrow, TLS (default)",
    "plain": "burrow, TLS off",
    "stcp": "burrow stcp via visitor (TLS + e2e)",
    "ssh": "ssh -R",
    "vhost": "burrow vhost (HTTP, TLS)",
}


class Results(dict):
    """The last value of each key, and every value in .all (BENCH_REPEAT
    rounds put the same key several times)."""

    def __init__(self):
        super().__init__()
        self.all = {}


def load(path):
    r = Results()
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            r[k] = v
            r.all.setdefault(k, []).append(v)
    return r


def med(r, key):
    """Median of the numeric values put under key (None if none)."""
    vals = sorted(x for x in (num(v) for v in r.all.get(key, [])) if x is not None)
    if not vals:
        return None
    m = len(vals) // 2
    return vals[m] if len(vals) % 2 else (vals[m - 1] + vals[m]) / 2.0


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def pct(x, ref):
    return "" if x is None or not ref else " (%.0f%%)" % (100.0 * x / ref)


def mib(kib):
    return "%.1f" % (kib / 1024.0)


def kib(nbytes):
    return "{:,.0f}".format(int(nbytes) / 1024.0)


def pair(v):
    """'rss anon' -> (rss, anon) in KiB, or None."""
    if not v:
        return None
    a = v.split()
    return (int(a[0]), int(a[1])) if len(a) == 2 else None


def main():
    r = load(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    paths = r.get("note.paths", "direct tls plain").split()
    tcp_paths = [p for p in paths if p != "vhost"]
    lines = []
    w = lines.append

    # ---- speed ---------------------------------------------------------------
    w("### Speed (ratio to direct in parentheses)")
    w("")
    w("| path | TCP 1 stream, to service (Gbit/s) | TCP 1 stream, from service | "
      "TCP 8 streams, to service | TCP 8 streams, from service | HTTP requests/s | "
      "new conn. TTFB p50 (µs) | TTFB p99 (µs) |")
    w("|---|---|---|---|---|---|---|---|")
    for p in paths:
        cells = [NAMES.get(p, p)]
        for k in ("tcp1.up", "tcp1.down", "tcp8.up", "tcp8.down"):
            if p not in tcp_paths:
                cells.append("—")
                continue
            v, ref = med(r, "%s.%s" % (k, p)), med(r, "%s.direct" % k)
            cells.append("failed" if v is None else "%.2f%s" % (v / 1e9, pct(v, ref)))
        v, ref = med(r, "http.%s" % p), med(r, "http.direct")
        errs = int(sum(num(e) or 0 for e in r.all.get("http_err.%s" % p, [])))
        cell = "failed" if v is None else "{:,.0f}{}".format(v, pct(v, ref))
        if errs:
            cell += " ⚠ %d errors" % errs
        cells.append(cell)
        for k in ("p50", "p99"):
            if p not in tcp_paths:
                cells.append("—")
                continue
            v, ref = num(r.get("lat.%s.%s" % (k, p))), num(r.get("lat.%s.direct" % k))
            if v is None:
                cells.append("failed")
            elif p == "direct" or not ref:
                cells.append("%.0f" % v)
            else:
                cells.append("%.0f (%+.0f, %.1f×)" % (v, v - ref, v / ref))
            failed = int(num(r.get("lat.failed.%s" % p)) or 0)
            if failed and k == "p50":
                cells[-1] += " ⚠ %d failed" % failed
        w("| " + " | ".join(cells) + " |")
    w("")

    # ---- memory ----------------------------------------------------------------
    hold = [int(x) for x in r.get("note.hold", "1000,10000").split(",")]
    w("### Memory: VmRSS server / client in MiB (RssAnon in parentheses)")
    w("")
    head = ["path", "idle", "under the HTTP load"]
    head += ["holding {:,} idle conns".format(n) for n in hold]
    head += ["bytes per conn. at {:,} (server / client)".format(n) for n in hold]
    w("| " + " | ".join(head) + " |")
    w("|" + "---|" * len(head))

    def memcell(s, c):
        if not s or not c:
            return "—"
        return "%s / %s (%s / %s)" % (mib(s[0]), mib(c[0]), mib(s[1]), mib(c[1]))

    for p in paths:
        if p == "direct":
            w("| direct | " + " | ".join(["— (no relay)"] * (len(head) - 1)) + " |")
            continue
        cells = [NAMES.get(p, p)]
        cells.append(memcell(pair(r.get("mem.idle.srv." + p)), pair(r.get("mem.idle.cli." + p))))
        cells.append(memcell(pair(r.get("mem.http.srv." + p)), pair(r.get("mem.http.cli." + p))))
        per = []
        s0, c0 = pair(r.get("hold.idle.srv." + p)), pair(r.get("hold.idle.cli." + p))
        for n in hold:
            s, c = pair(r.get("hold.%d.srv.%s" % (n, p))), pair(r.get("hold.%d.cli.%s" % (n, p)))
            res = r.get("hold.%d.res.%s" % (n, p), "")
            cell = memcell(s, c)
            held = n
            info = dict(kv.split("=", 1) for kv in res.split() if "=" in kv)
            if res == "timeout":
                cell = "timed out"
            elif info:
                held = int(info.get("held", n))
                bad = int(info.get("failed", 0)) + int(info.get("dropped", 0))
                if bad or held != n:
                    cell += " ⚠ %d held, %s failed, %s dropped" % (
                        held, info.get("failed", "?"), info.get("dropped", "?"))
            cells.append(cell)
            if s and c and s0 and c0 and held > 0:
                per.append("{:,.0f} / {:,.0f} B ({:,.0f} / {:,.0f})".format(
                    (s[0] - s0[0]) * 1024.0 / held, (c[0] - c0[0]) * 1024.0 / held,
                    (s[1] - s0[1]) * 1024.0 / held, (c[1] - c0[1]) * 1024.0 / held))
            else:
                per.append("—")
        if p == "vhost":
            cells[3:] = ["—"] * len(hold)
            per = ["—"] * len(hold)
        w("| " + " | ".join(cells + per) + " |")
    w("")

    # ---- CPU, size, scale ----------------------------------------------------------
    w("### CPU, binary size, scale")
    w("")
    big = hold[-1]
    w("| path | CPU s per GB relayed (server + client, 1-stream runs) | binary, stripped, dynamic | "
      "binary, stripped, static | {:,} idle conns: opened in, errors; fds server / client |".format(big))
    w("|---|---|---|---|---|")
    for p in paths:
        if p in ("direct", "vhost"):
            w("| %s | — | — | — | — |" % NAMES.get(p, p))
            continue
        cpu = num(r.get("cpu." + p))
        cells = [NAMES.get(p, p), "—" if cpu is None else "%.2f" % cpu]
        if p == "ssh":
            cells.append("sshd %s + ssh %s KiB (Debian's)" % (
                kib(r["size.sshd"]), kib(r["size.ssh"])))
            cells.append("—")
        else:
            cells.append("%s KiB" % kib(r["size.dynamic"]))
            st = r.get("size.static", "")
            cells.append("%s KiB" % kib(st) if st.isdigit() else st)
        res = r.get("hold.%d.res.%s" % (big, p), "")
        info = dict(kv.split("=", 1) for kv in res.split() if "=" in kv)
        if res == "timeout" or not info:
            cells.append(res or "—")
        else:
            cell = "%.1f s, %s failed, %s dropped" % (
                int(info.get("ms", 0)) / 1000.0, info.get("failed", "?"), info.get("dropped", "?"))
            if "fds_srv" in info:
                cell += "; fds open %s / %s of %s" % (
                    "{:,}".format(int(info["fds_srv"])), "{:,}".format(int(info["fds_cli"])),
                    "{:,}".format(int(r.get("note.fd_limit", "0"))))
            cells.append(cell)
        w("| " + " | ".join(cells) + " |")
    w("")

    # ---- notes -------------------------------------------------------------------
    notes = []
    notes.append("Run %s on %s (%s, kernel %s), commit %s; the suite took %s s." % (
        r.get("note.date", "?"), "a shared machine", r.get("note.cpu", "?"),
        r.get("note.kernel", "?"), r.get("note.commit", "?"), r.get("note.elapsed", "?")))
    notes.append("%s." % r.get("note.versions", ""))
    notes.append(
        "iperf3 and wrk runs of %s s each%s%s; wrk -t 2 -c 64 against nginx (1 worker, 1 KiB file, "
        "keep-alive); TTFB = connect + 1-byte echo, %s fresh connections one after another; "
        "burrow client transport.poolCount = %s; idle connections held with hold_conns "
        "(1 byte echoed each), bytes per connection = (RSS holding N − RSS idle) / N on a fresh tunnel; "
        "fd limit %s." % (
            r.get("note.dur"), " (first second omitted)" if int(r.get("note.dur", "0")) >= 4 else "",
            ", median of %s rounds" % r["note.repeat"] if int(r.get("note.repeat", "1")) > 1 else "",
            r.get("note.lat_n"), r.get("note.pool"), r.get("note.fd_limit")))
    if "note.ssh_cipher" in r:
        notes.append("ssh -R: OpenSSH's default cipher here is %s; sshd's memory and CPU are "
                     "summed over its process tree (listener + session processes)." % r["note.ssh_cipher"])
    for k in ("note.ssh", "note.vhost", "note.fd_short"):
        if k in r:
            notes.append(r[k] + ".")
    if "stcp" in paths:
        notes.append("burrow stcp: a secret proxy reached through a visitor (the services' ports "
                     "are the visitor's); client-side memory and CPU sum the owner and the "
                     "visitor, each connection crosses both (and a fresh TLS connection from "
                     "the visitor to the server), the stream end-to-end encrypted.")
    notes.append("Memory, CPU and size have no direct counterpart (no relay process): compare "
                 "them with the ssh -R row.")
    if r.get("note.quick") == "1":
        notes.append("**--quick run: 1-second runs, figures are only a smoke check.**")
    for n in notes:
        w("- " + n)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        png = os.path.splitext(out)[0] + ".png"
        chart = plot(r, paths, tcp_paths, png)
        block = ("Reproduce with `bench/run.sh` (see its header for the knobs). "
                 "Figures are from a noisy shared machine: read the ratios.\n\n" + text)
        if chart:
            block += "\n![throughput and requests per second, %% of direct](%s)\n" % (
                os.path.basename(png))
        update_results(out, block)
        sys.stderr.write("written to %s%s\n" % (
            os.path.relpath(out), " and " + os.path.relpath(png) if chart else ""))
        readme = sys.argv[3] if len(sys.argv) > 3 else ""
        if readme:
            block = text.replace("### ", "#### ")
            if chart:
                block += "\n![%% of direct](%s)\n" % os.path.relpath(png, os.path.dirname(readme))
            update_readme(readme, block)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# bench/results.md: this script owns what lies between these; the sections
# measured by hand (the NAT lab's, bench/lab_*.sh) live outside and are kept.
RES_BEGIN, RES_END = "<!-- bench:run:begin -->", "<!-- bench:run:end -->"


def replace_between(doc, begin, end, block):
    """doc with block between the markers, or None when they are missing."""
    a, b = doc.find(begin), doc.find(end)
    if a < 0 or b < a:
        return None
    return doc[:a + len(begin)] + "\n" + block + doc[b:]


def update_results(path, block):
    """Replaces bench/run.sh's own section of the results file; the rest stays.
    A file without the markers keeps its old text below a new marked section."""
    old = open(path).read() if os.path.exists(path) else ""
    doc = replace_between(old, RES_BEGIN, RES_END, block)
    if doc is None:
        if old:
            sys.stderr.write("%s has no %s ... %s markers: the old text is kept below\n"
                             % (path, RES_BEGIN, RES_END))
        doc = ("# burrow benchmark results\n\n%s\n%s%s\n\n%s" % (RES_BEGIN, block, RES_END, old))
    with open(path, "w") as f:
        f.write(doc)


def update_readme(path, block):
    """Replaces what lies between the bench markers in the README."""
    with open(path) as f:
        doc = replace_between(f.read(), BEGIN, END, block)
    if doc is None:
        sys.stderr.write("%s has no %s ... %s markers: not updated\n" % (path, BEGIN, END))
        return
    with open(path, "w") as f:
        f.write(doc)
    sys.stderr.write("updated the tables in %s\n" % os.path.relpath(path))


def plot(r, paths, tcp_paths, png):
    """A gnuplot bar chart of the speed ratios to direct; False without gnuplot."""
    if not shutil.which("gnuplot"):
        return False
    cols = [("tcp1.up", "TCP 1 stream, to service"), ("tcp1.down", "TCP 1 stream, from service"),
            ("tcp8.up", "TCP 8 streams, to service"), ("tcp8.down", "TCP 8 streams, from service"),
            ("http", "HTTP requests/s")]
    rows = []
    for p in paths:
        if p == "direct":
            continue
        vals = []
        for k, _ in cols:
            v, ref = med(r, "%s.%s" % (k, p)), med(r, "%s.direct" % k)
            vals.append("%.1f" % (100.0 * v / ref) if v is not None and ref else "NaN")
        rows.append('"%s" %s' % (NAMES.get(p, p), " ".join(vals)))
    with tempfile.TemporaryDirectory() as d:
        dat = os.path.join(d, "ratios.dat")
        with open(dat, "w") as f:
            f.write("\n".join(rows) + "\n")
        script = [
            "set terminal pngcairo size 1000,520 font ',10'" if has_cairo() else
            "set terminal png size 1000,520",
            "set output '%s'" % png,
            "set title 'burrow vs ssh -R, %% of direct on 127.0.0.1 (%s)'" % r.get("note.date", ""),
            "set style data histograms", "set style histogram clustered gap 1",
            "set style fill solid 0.85 border -1", "set boxwidth 0.9",
            "set yrange [0:110]", "set ylabel '% of direct'", "set grid ytics",
            "set key outside right top vertical", "set xtics nomirror",
        ]
        plots = ["'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, t) for i, (_, t) in enumerate(cols)]
        script.append("plot " + ", ".join(plots))
        res = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                             capture_output=True)
        if res.returncode != 0:
            sys.stderr.write("gnuplot failed: %s\n" % res.stderr.strip())
            return False
    return True


def has_cairo():
    res = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in res.stdout + res.stderr


if __name__ == "__main__":
    main()
