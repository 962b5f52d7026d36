#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# snapshot_seeds.py - write the seed corpus of fuzz_snapshot (tests/fuzz/corpus/snapshot/).
# Each seed is 4 bytes of choices (see fuzz_snapshot.c) and a snapshot in the format
# of user/snapshot.c: whole (mode 0), or header + uncompressed records whose
# lengths and checksums the harness fills in (modes 1 and 2).
import ipaddress
import os
import struct
import sys
import zlib

FAR = 4102444800 * 10**9  # 2100-01-01, CLOCK_REALTIME ns
NOW = 1795234705 * 10**9


def record(target, expiry, reason, offences=1, source=1):
    net = ipaddress.ip_network(target)
    fam = 4 if net.version == 4 else 6
    addr = net.network_address.packed.ljust(16, b"\0")
    flags = 1 if expiry == 0 else 0
    r = reason.encode()
    return struct.pack("<BBBB16sIIqq", fam, net.prefixlen, flags, len(r), addr, offences, source,
                       expiry, NOW) + r


def header(count, raw=b"", comp=b""):
    h = bytearray(88)
    h[0:8] = b"WRDNSNAP"
    struct.pack_into("<IIQ", h, 8, 1, 88, NOW)
    struct.pack_into("<IIQQII", h, 40, 0, count, len(raw), len(comp),
                     zlib.crc32(raw), zlib.crc32(comp))
    struct.pack_into("<I", h, 80, zlib.crc32(bytes(h[:80])))
    return bytes(h)


def main(out):
    recs = [record("192.0.2.7/32", 0, "scanner: 12 404s in 60s"),
            record("2001:db8::/32", FAR, "", 3, 2),
            record("203.0.113.0/24", FAR, "manual"),
            record("198.51.100.9/32", NOW - 10**9, "ended")]
    raw = b"".join(recs)
    comp = zlib.compress(raw, 1)
    seeds = {
        "whole": b"\0\0\0\0" + header(len(recs), raw, comp) + comp,
        "records": b"\1\0\0\0" + header(len(recs)) + raw,
        "records-damaged": b"\2\x33\0\5" + header(len(recs)) + raw,
        "empty": b"\1\0\0\0" + header(0),
        "v6-only": b"\1\0\0\0" + header(1) + record("2001:db8:1::5/128", 0, "x" * 103),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "snapshot"))
