#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xdp_coexist.sh - warden beside xdp-filter (Debian's xdp-tools). Where the
# kernel allows libxdp's dispatcher, both run on one interface, each
# dropping its own addresses. Where it refuses it (this test machine's
# kernel), warden refuses to replace xdp-filter's program and says so,
# xdp-filter keeps working, and warden runs on the next interface.
source "$(dirname "$0")/../lib.sh"

SRV=wsrv-$TEST_ID C1=wc1-$TEST_ID C2=wc2-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
for ns in "$SRV" "$C1" "$C2"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add va netns "$SRV" type veth peer name eth0 netns "$C1"
ip link add vb netns "$SRV" type veth peer name eth0 netns "$C2"
ip -n "$SRV" addr add 192.0.2.1/24 dev va
ip -n "$C1" addr add 192.0.2.10/24 dev eth0
ip -n "$C1" addr add 192.0.2.11/24 dev eth0
ip -n "$SRV" addr add 198.51.100.1/24 dev vb
ip -n "$C2" addr add 198.51.100.10/24 dev eth0
for l in "$SRV va" "$SRV vb" "$C1 eth0" "$C2 eth0"; do set -- $l; ip -n "$1" link set "$2" up; done
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
W() { in_srv "$WARDEN" "$@" --pin-path "$PIN"; }
on_exit "in_srv xdp-filter unload va"
on_exit "in_srv xdp-filter unload vb"
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

# ping_from NS SRCADDR DST: one echo, answered or not.
ping_from() { nsenter --net=/run/netns/"$1" ping -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1; }

check "xdp-filter-loads" in_srv xdp-filter load va --mode skb
in_srv xdp-filter ip 192.0.2.11 --mode src >/dev/null 2>&1
check_not "xdp-filter-drops-its-address" ping_from "$C1" 192.0.2.11 192.0.2.1
check "xdp-filter-passes-others" ping_from "$C1" 192.0.2.10 192.0.2.1

out=$(W attach va --mode generic 2>&1)
rc=$?
echo "  warden attach beside xdp-filter: rc=$rc: $out"
if [ $rc -eq 0 ] && grep -q "dispatcher" <<<"$out" && ! grep -q "refused the dispatcher" <<<"$out"; then
	# A kernel with the dispatcher: both programs on one interface.
	pass "shares-interface-through-dispatcher"
	W ban 192.0.2.10 >/dev/null
	check_not "warden-drops-beside-xdp-filter" ping_from "$C1" 192.0.2.10 192.0.2.1
	check_not "xdp-filter-still-drops" ping_from "$C1" 192.0.2.11 192.0.2.1
	W unban 192.0.2.10 >/dev/null
	check "both-pass-the-rest" ping_from "$C1" 192.0.2.10 192.0.2.1
	W detach va >/dev/null
	check_not "xdp-filter-survives-warden-detach" ping_from "$C1" 192.0.2.11 192.0.2.1
else
	# No dispatcher: warden must not take the interface from xdp-filter.
	check "refuses-to-replace-foreign-program" test $rc -ne 0
	check "says-why" grep -q "another XDP program" <<<"$out"
	check_not "xdp-filter-untouched" ping_from "$C1" 192.0.2.11 192.0.2.1
	check "xdp-filter-still-passes-others" ping_from "$C1" 192.0.2.10 192.0.2.1
	skip "shares-interface-through-dispatcher" "this kernel refuses libxdp's dispatcher (no freplace)"
fi

# Side by side on the same host: warden on the next interface, maps apart.
check "warden-attaches-next-interface" W attach vb
W ban 198.51.100.10 >/dev/null
check_not "warden-drops-on-its-interface" ping_from "$C2" 198.51.100.10 198.51.100.1
check_not "xdp-filter-still-drops-on-its-own" ping_from "$C1" 192.0.2.11 192.0.2.1
check "warden-ban-does-not-leak-to-xdp-filter-iface" ping_from "$C1" 192.0.2.10 192.0.2.1
W detach --all >/dev/null
check "warden-gone" ping_from "$C2" 198.51.100.10 198.51.100.1
check_not "xdp-filter-survives" ping_from "$C1" 192.0.2.11 192.0.2.1
finish
