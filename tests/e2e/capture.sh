#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# capture.sh - warden capture on a veth pair between two namespaces: a banned
# client's pings (IPv4, IPv6) land in a pcap file that tshark and tcpdump read,
# with their wall-clock time, snap and original lengths; the kernel flag is off
# after the capture ends (count, duration, SIGINT) and lapses after a SIGKILL;
# a second capture is refused while one runs; bad input exits 2.
source "$(dirname "$0")/../lib.sh"

for t in tshark tcpdump ping; do
	command -v $t >/dev/null || { skip capture "$t is not installed"; exit 0; }
done

SRV=wcsrv-$TEST_ID CLI=wccli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }
W() { in_srv "$WARDEN" "$@" --pin-path "$PIN"; }
# Captures in the background run under nsenter itself (it execs warden), so that $! is warden's pid.
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"
OUT=$(mktemp -d)
on_exit "rm -rf '$OUT'"

# Static neighbours: the only packets the client sends are the pings.
SRV_MAC=$(ip -n "$SRV" -j link show veth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
CLI_MAC=$(ip -n "$CLI" -j link show veth1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
ip -n "$CLI" neigh replace 192.0.2.1 lladdr "$SRV_MAC" dev veth1 nud permanent
ip -n "$CLI" neigh replace 2001:db8::1 lladdr "$SRV_MAC" dev veth1 nud permanent
ip -n "$SRV" neigh replace 192.0.2.2 lladdr "$CLI_MAC" dev veth0 nud permanent
ip -n "$SRV" neigh replace 2001:db8::2 lladdr "$CLI_MAC" dev veth0 nud permanent

check "attach" W attach veth0
check "status-off-before" sh -c "'$WARDEN' capture --status --pin-path '$PIN' | grep -qx 'capture: off'"
capture_on() { "$WARDEN" capture --status --pin-path "$PIN" | grep -q '^capture: on'; }
capture_off() { "$WARDEN" capture --status --pin-path "$PIN" | grep -q '^capture: off'; }

# capture_pings NAME FAMILY DST REASON: capture 5 packets while the banned client pings DST.
capture_pings() {
	local name=$1 fam=$2 dst=$3 reason=$4 pid rc
	nsenter --net=/run/netns/"$SRV" "$WARDEN" capture -w "$OUT/$name.pcap" --count 5 \
		--duration 20s --pin-path "$PIN" >"$OUT/$name.out" 2>&1 &
	pid=$!
	on_exit "kill $pid"
	if ! wait_for "$name-on" 10 capture_on; then fail "$name-capture-on"; fi
	# 400 bytes of payload: longer than the 128-byte snap.
	in_cli ping "-$fam" -c 12 -i 0.2 -W 1 -s 400 "$dst" >/dev/null 2>&1
	wait $pid
	rc=$?
	check "$name-capture-exit-0" test $rc -eq 0
	check "$name-summary" grep -q "wrote 5 packets to $OUT/$name.pcap, lost 0; $reason 5" "$OUT/$name.out"
	check "$name-flag-cleared" capture_off
}

# IPv4: an exact ban.
W ban 192.0.2.2 >/dev/null
check_not "v4-dropped" in_cli ping -4 -c 1 -W 1 192.0.2.1
capture_pings v4 4 192.0.2.1 exact
got=$(tshark -r "$OUT/v4.pcap" -T fields -e ip.src -e ip.dst -e icmp.type 2>/dev/null | sort | uniq -c | sed 's/^ *//')
check "v4-tshark-5-pings-of-client" test "$got" = "$(printf '5 192.0.2.2\t192.0.2.1\t8')"
[ "$got" = "$(printf '5 192.0.2.2\t192.0.2.1\t8')" ] || echo "  tshark: $got"
lens=$(tshark -r "$OUT/v4.pcap" -T fields -e frame.len -e frame.cap_len 2>/dev/null | sort -u)
check "v4-snap-and-original-length" test "$lens" = "$(printf '442\t128')"
check "v4-tcpdump-reads" sh -c "tcpdump -nr '$OUT/v4.pcap' 2>/dev/null | grep -c '192.0.2.2 > 192.0.2.1: ICMP echo request' | grep -qx 5"
# Timestamps are wall-clock time (within a minute of now), not time since boot.
skew=$(tshark -r "$OUT/v4.pcap" -T fields -e frame.time_epoch 2>/dev/null | head -1 |
	python3 -c 'import sys,time; print(int(abs(time.time() - float(sys.stdin.read()))))')
check "v4-wall-clock-time" test "${skew:-999}" -lt 60
W unban 192.0.2.2 >/dev/null

# IPv6: a prefix ban this time, and only the client's packets.
W ban 2001:db8::2/127 >/dev/null
capture_pings v6 6 2001:db8::1 prefix
got=$(tshark -r "$OUT/v6.pcap" -T fields -e ipv6.src -e ipv6.dst -e icmpv6.type 2>/dev/null | sort | uniq -c | sed 's/^ *//')
check "v6-tshark-5-pings-of-client" test "$got" = "$(printf '5 2001:db8::2\t2001:db8::1\t128')"
[ "$got" = "$(printf '5 2001:db8::2\t2001:db8::1\t128')" ] || echo "  tshark: $got"
check "v6-tcpdump-reads" sh -c "tcpdump -nr '$OUT/v6.pcap' 2>/dev/null | grep -c '2001:db8::2 > 2001:db8::1: ICMP6, echo request' | grep -qx 5"

# --duration ends a capture that saw nothing; SIGINT ends one cleanly too.
W capture -w "$OUT/empty.pcap" --duration 1s >"$OUT/empty.out" 2>&1
check "duration-ends-exit-0" test $? -eq 0
check "duration-empty-file-readable" sh -c "tshark -r '$OUT/empty.pcap' 2>/dev/null | wc -l | grep -qx 0"
check "duration-flag-cleared" capture_off
nsenter --net=/run/netns/"$SRV" "$WARDEN" capture -w "$OUT/int.pcap" --pin-path "$PIN" >"$OUT/int.out" 2>&1 &
pid=$!
on_exit "kill $pid"
wait_for int-on 10 capture_on || fail "sigint-capture-on"
# One capture at a time: a second one is refused and leaves the first running.
check_not "second-capture-refused" W capture -w "$OUT/second.pcap" --count 1
check "first-still-on" capture_on
in_cli ping -6 -c 3 -i 0.2 -W 1 2001:db8::1 >/dev/null 2>&1
kill -INT $pid
wait $pid
check "sigint-exit-0" test $? -eq 0
check "sigint-flag-cleared" capture_off
check "sigint-wrote-3" grep -q "wrote 3 packets" "$OUT/int.out"
W unban 2001:db8::2/127 >/dev/null

# A capture killed outright leaves the flag on: it lapses by itself within the lease (3 s).
nsenter --net=/run/netns/"$SRV" "$WARDEN" capture -w "$OUT/kill.pcap" --pin-path "$PIN" >/dev/null 2>&1 &
pid=$!
on_exit "kill $pid"
wait_for kill-on 10 capture_on || fail "sigkill-capture-on"
kill -KILL $pid
wait $pid 2>/dev/null
check "killed-capture-leaves-flag" capture_on
if wait_for lapse 6 sh -c "'$WARDEN' capture --status --pin-path '$PIN' | grep -q 'capture: off (lapsed'"; then
	pass "killed-capture-lapses"
else
	fail "killed-capture-lapses"
fi
check "capture-after-lapse" W capture -w "$OUT/after.pcap" --duration 1s

# Bad input: exit 2, nothing changed.
usage() { W capture "$@" >/dev/null 2>&1; test $? -eq 2; }
check "no-file-refused" usage
check "zero-count-refused" usage -w "$OUT/x.pcap" --count 0
check "bad-count-refused" usage -w "$OUT/x.pcap" --count 5x
check "bad-duration-refused" usage -w "$OUT/x.pcap" --duration soon
check "bad-snaplen-refused" usage -w "$OUT/x.pcap" --snaplen 100000
check "stray-argument-refused" usage -w "$OUT/x.pcap" extra
check "missing-maps-refused" sh -c "'$WARDEN' capture -w '$OUT/x.pcap' --pin-path '$PIN_ROOT/nothing' >/dev/null 2>&1; test \$? -eq 2"
check_not "no-file-written-on-bad-input" test -e "$OUT/x.pcap"
check "status-off-after-all" capture_off

# detach --all removes the capture maps with everything else.
W detach --all >/dev/null
check_not "pins-gone-after-detach-all" test -e "$PIN"
finish
