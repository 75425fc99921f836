#!/usr/bin/env python3
"""wol_pcap.py PCAP MAC: list the magic packets for MAC in a `tcpdump -w` file.

Parses the classic pcap format (Ethernet link type) by hand: for each frame,
an IPv4/UDP datagram's payload or an EtherType 0x0842 frame's payload must
start with 6 x 0xFF followed by 16 x MAC, checked byte by byte. Prints one
line per magic packet found, "udp DST:PORT" or "ether 0x0842", and
"bad <route> <why>" for a frame of those kinds that is not a correct magic
packet for MAC (a wrong MAC, a short repeat)."""
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, "not Ethernet: linktype %d" % linktype
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def check(payload, mac):
    """None when payload is a magic packet for mac, else why not."""
    if len(payload) < 102:
        return "short payload (%d bytes)" % len(payload)
    for i in range(6):
        if payload[i] != 0xFF:
            return "sync byte %d is 0x%02x" % (i, payload[i])
    for r in range(16):
        for i in range(6):
            b = payload[6 + r * 6 + i]
            if b != mac[i]:
                return "repeat %d byte %d is 0x%02x, want 0x%02x" % (r, i, b, mac[i])
    return None


def classify(fr):
    """(route, payload) for UDP/IPv4 and EtherType 0x0842 frames, else None."""
    etype = struct.unpack(">H", fr[12:14])[0]
    if etype == 0x0842:
        return "ether 0x0842", fr[14:]
    if etype != 0x0800:
        return None
    ip = fr[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    dst = ".".join(str(b) for b in ip[16:20])
    udp = ip[ihl:]
    port = struct.unpack(">H", udp[2:4])[0]
    return "udp %s:%d" % (dst, port), udp[8:]


def main():
    mac = bytes(int(x, 16) for x in sys.argv[2].split(":"))
    for fr in frames(sys.argv[1]):
        c = classify(fr)
        if not c:
            continue
        route, payload = c
        why = check(payload, mac)
        print(route if why is None else "bad %s %s" % (route, why))


main()
