#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# pcap_replay.sh - xdp-pcap-replay on a capture written here: exact counts of
# pass/drop/other before and after bans, the counters it leaves, bad inputs.
source "$(dirname "$0")/../lib.sh"

REPLAY=$TOP/build/tools/pcap/xdp-pcap-replay
if [ "$(id -u)" != 0 ]; then
	skip pcap_replay "needs root"
	exit 0
fi
if [ ! -x "$REPLAY" ]; then
	fail build "$REPLAY is missing (make)"
	exit 1
fi

make_pin_root
PIN=$PIN_ROOT/warden
WORK=$(mktemp -d /tmp/wtest-pcap.XXXXXX)
on_exit "rm -rf '$WORK'"
W() { "$WARDEN" "$@" --pin-path "$PIN"; }

# A capture with one packet per line of the table below, Ethernet link type,
# and the same packets with a raw-IP link type (which the tool refuses).
/usr/bin/python3 - "$WORK" <<'EOF'
import socket, struct, sys

work = sys.argv[1]
SRC_MAC = bytes.fromhex("020000000002")
DST_MAC = bytes.fromhex("020000000001")

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

def eth(ethertype, payload, vlan=None):
    hdr = DST_MAC + SRC_MAC
    if vlan is not None:
        hdr += struct.pack("!HH", 0x8100, vlan)
    return hdr + struct.pack("!H", ethertype) + payload

def ipv4(src, dst, proto, l4):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4

def ipv6(src, dst, proto, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + l4

def tcp_syn(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)

def udp(sport, dport, payload=b"hello"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload

def arp(sender, target):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC,
                       socket.inet_aton(sender), b"\0" * 6, socket.inet_aton(target))

v4 = lambda src, l4, proto=6: eth(0x0800, ipv4(src, "192.0.2.1", proto, l4))
v6 = lambda src, l4, proto=6: eth(0x86DD, ipv6(src, "2001:db8::1", proto, l4))

frames = (
    [v4("203.0.113.7", tcp_syn(40000 + i, 80)) for i in range(3)]       # banned, exact
    + [v4("198.51.100.20", udp(5000 + i, 53), 17) for i in range(2)]    # never banned
    + [v4("203.0.113.200", tcp_syn(40010, 443))]                         # banned /25
    + [v4("203.0.113.129", tcp_syn(40011, 443))]                         # allowlisted in the /25
    + [v6("2001:db8::bad", tcp_syn(40020 + i, 80)) for i in range(2)]   # banned, exact
    + [v6("2001:db8::2", udp(5353, 53), 17)]                             # never banned
    + [v6("2001:db8:ffff::1", tcp_syn(40030, 22))]                       # banned /48
    + [eth(0x0806, arp("203.0.113.7", "192.0.2.1")) for _ in range(2)]  # ARP from a banned address
    + [eth(0x0800, ipv4("203.0.113.7", "192.0.2.1", 6, tcp_syn(40040, 80)), vlan=100)]
    + [DST_MAC + SRC_MAC[:4]]                                            # a 10-byte runt
)

def write(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)))
            f.write(frame)

write(work + "/mixed.pcap", 1, frames)                           # LINKTYPE_ETHERNET
write(work + "/raw.pcap", 101, [fr[14:] for fr in frames[:3]])   # LINKTYPE_RAW
write(work + "/empty.pcap", 1, [])
EOF
check "pcap-written" test -s "$WORK/mixed.pcap"

# counts FILE: the tool's plain output on one line, "pass N drop N other N total N".
counts() { "$REPLAY" --pin-path "$PIN" "$1" 2>"$WORK/stderr" | tr '\n' ' ' | sed 's/ $//'; }
expect_counts() { # NAME FILE EXPECTED
	local got
	got=$(counts "$2")
	if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "got '$got', expected '$3'"; fi
}

# 1. No maps under the pin path yet: the tool creates them and nothing is banned.
check_not "no-maps-before" test -e "$PIN/warden_ban4"
expect_counts "replay-creates-maps-all-pass" "$WORK/mixed.pcap" "pass 14 drop 0 other 1 total 15"
check "maps-created" test -e "$PIN/warden_ban4"
check "runt-reported" grep -q "1 packet shorter than an Ethernet header" "$WORK/stderr"
check_not "no-attach-hint-when-creating" grep -q "warden attach" "$WORK/stderr"

# 2. Ban through the real CLI on the same pins, allowlist one address in a banned prefix.
check "ban" W ban 203.0.113.7 2001:db8::bad 203.0.113.128/25 2001:db8:ffff::/48
check "allow" W allow 203.0.113.129
expect_counts "replay-after-bans" "$WORK/mixed.pcap" "pass 6 drop 8 other 1 total 15"

# 3. JSON says the same.
json=$("$REPLAY" --pin-path "$PIN" --json "$WORK/mixed.pcap" 2>/dev/null)
check "json-counts" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert (d["pass"], d["drop"], d["other"], d["total"], d["refused"]) == (6, 8, 1, 15, 1), d
' "$json"

# 4. What the replays left in the maps: three runs of the same capture.
stats=$(W stats --json)
check "stats-counters" /usr/bin/python3 -c '
import json, sys
p = json.loads(sys.argv[1])["packets"]
want = {"passed": 12 + 3 + 3, "dropped_exact": 6 + 6, "dropped_prefix": 2 + 2,
        "passed_allow": 1 + 1, "passed_expired": 0, "unparsed": 0, "non_ip": 2 * 3}
# Every other verdict (throttling, shedding) stayed at zero: no throttle was set.
assert {k: v for k, v in p.items() if k in want} == want and \
    all(v == 0 for k, v in p.items() if k not in want), (p, want)
' "$stats"
list=$(W list --json)
check "ban-drops" /usr/bin/python3 -c '
import json, sys
bans = {b["target"]: b["drops"] for b in json.loads(sys.argv[1])["bans"]}
assert bans["203.0.113.7"] == 8, bans        # 4 per replay (3 + the VLAN-tagged one)
assert bans["2001:db8::bad"] == 4, bans
assert bans["203.0.113.128/25"] == 2, bans
assert bans["2001:db8:ffff::/48"] == 2, bans
' "$list"

# 5. After unban the same capture passes again.
check "unban" W unban 203.0.113.7 2001:db8::bad 203.0.113.128/25 2001:db8:ffff::/48
expect_counts "replay-after-unban" "$WORK/mixed.pcap" "pass 14 drop 0 other 1 total 15"

# 6. Bad inputs: exit status 2 and a reason, nothing counted.
"$REPLAY" --pin-path "$PIN" "$WORK/raw.pcap" >"$WORK/out" 2>"$WORK/stderr"
rc=$?
check "raw-ip-refused-exit-2" test "$rc" -eq 2
check "raw-ip-reason" grep -q "is not Ethernet" "$WORK/stderr"
check_not "raw-ip-no-counts" grep -q "^total" "$WORK/out"
"$REPLAY" --pin-path "$PIN" "$WORK/missing.pcap" >/dev/null 2>&1
check "missing-file-exit-2" test $? -eq 2
"$REPLAY" --pin-path "$PIN" >/dev/null 2>&1
check "no-file-exit-2" test $? -eq 2
expect_counts "empty-capture" "$WORK/empty.pcap" "pass 0 drop 0 other 0 total 0"

finish
