#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - XDP benchmark: warden vs xdp-filter in ns per packet (BPF_PROG_TEST_RUN),
# then packets per second dropped on a veth pair by warden, xdp-filter and nftables.
#
# Usage: tools/bench/xdp/run.sh [--seconds S] [--runs N] [--repeat N] [--veth-runs N]
#                               [--no-testrun] [--no-veth] [--veth-small]
# Needs root, build/warden and build/tools/bench/xdp-bench (make), xdp-filter
# (xdp-tools) and nft. Prints Markdown. Everything it makes lives in a mount
# namespace of its own (a private bpffs over /sys/fs/bpf) and two network
# namespaces wbench-PID-tx/-rx, all removed on exit, ^C included.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# Either can be pointed at another build to compare a change (A/B); WARDEN_B,
# if set, adds a second warden build to the veth runs, taking turns with the first.
BENCH=${BENCH:-$TOP/build/tools/bench/xdp-bench}
WARDEN=${WARDEN:-$TOP/build/warden}
WARDEN_B=${WARDEN_B:-}
SECONDS_PER_RUN=5
RUNS=5
VETH_RUNS=3
REPEAT=1000000
DO_TESTRUN=1
DO_VETH=1
VETH_BIG=1

ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_PER_RUN=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--veth-runs) VETH_RUNS=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--no-testrun) DO_TESTRUN=0; shift ;;
	--no-veth) DO_VETH=0; shift ;;
	--veth-small) VETH_BIG=0; shift ;;
	-h|--help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 2; }
for f in "$BENCH" "$WARDEN" ${WARDEN_B:+"$WARDEN_B"}; do
	[ -x "$f" ] || { echo "run.sh: $f is missing: run make" >&2; exit 2; }
done
for c in xdp-filter nft nsenter unshare python3; do
	command -v "$c" >/dev/null || { echo "run.sh: $c is missing" >&2; exit 2; }
done

# Everything below runs in a mount namespace of its own, with a private bpffs
# over /sys/fs/bpf (where xdp-filter insists on pinning): the host's pins are
# never touched and ours vanish with the namespace, whatever happens to this
# script. Propagation stays as it is elsewhere, so that the network
# namespaces (mounted under /run/netns) look normal to everyone else.
if [ -z "${WBENCH_PRIVATE_NS:-}" ]; then
	exec unshare --mount --propagation unchanged env WBENCH_PRIVATE_NS=1 "$0" "${ARGS[@]}"
fi
# Our copies of /sys and of the host's bpffs stop propagating, then ours goes on top.
mount --make-private /sys || exit 1
mount --make-private /sys/fs/bpf 2>/dev/null
mount -t bpf bpf /sys/fs/bpf || { echo "run.sh: cannot mount a private bpffs" >&2; exit 1; }

TX=wbench-$$-tx RX=wbench-$$-rx
PIN=/sys/fs/bpf/warden
WORK=$(mktemp -d /tmp/wbench.XXXXXX)
in_rx() { nsenter --net=/run/netns/"$RX" "$@"; }
in_tx() { nsenter --net=/run/netns/"$TX" "$@"; }

cleanup() {
	trap - EXIT INT TERM
	if [ -e /run/netns/"$RX" ]; then
		in_rx xdp-filter unload wbrx >/dev/null 2>&1
		in_rx "$WARDEN" detach --all --pin-path "$PIN" >/dev/null 2>&1
		in_rx nft delete table netdev wbench >/dev/null 2>&1
	fi
	ip netns del "$TX" 2>/dev/null
	ip netns del "$RX" 2>/dev/null
	rm -rf "$WORK"
	umount /sys/fs/bpf 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "## XDP benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Kernel $(uname -r), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)),"
echo "xdp-tools $(dpkg-query -W -f '${Version}' xdp-tools 2>/dev/null), $(nft --version), libbpf $(pkg-config --modversion libbpf)."
echo

# ---- 1. ns per packet through BPF_PROG_TEST_RUN ----
if [ "$DO_TESTRUN" = 1 ]; then
	echo "### Cost per packet (BPF_PROG_TEST_RUN, 64-byte IPv4/TCP, median of $RUNS runs of $REPEAT)"
	echo
	"$BENCH" testrun --markdown --runs "$RUNS" --repeat "$REPEAT" \
		--sizes 1,10000,1000000 --prefixes 10000 2>"$WORK/testrun.err"
	rc=$?
	echo
	sed 's/^ *(/- (/' "$WORK/testrun.err"
	[ $rc -eq 0 ] || { echo "run.sh: testrun failed" >&2; exit 1; }
	echo
fi

# ---- 1b. the same with throttling on (tools/bench/xdp-throttle-bench.c) ----
THROTTLE_BENCH=${THROTTLE_BENCH:-$TOP/build/tools/bench/xdp-throttle-bench}
if [ "$DO_TESTRUN" = 1 ] && [ -x "$THROTTLE_BENCH" ]; then
	echo "### Cost per packet with throttling (BPF_PROG_TEST_RUN, 64-byte IPv4/TCP, median of $RUNS runs of $REPEAT)"
	echo
	"$THROTTLE_BENCH" --markdown --runs "$RUNS" --repeat "$REPEAT" 2>"$WORK/throttle.err" ||
		{ cat "$WORK/throttle.err" >&2; echo "run.sh: throttle bench failed" >&2; exit 1; }
	echo
	sed 's/^ *(/- (/' "$WORK/throttle.err"
	echo
fi

[ "$DO_VETH" = 1 ] || exit 0

# ---- 2. packets per second dropped on a veth pair ----
ip netns add "$TX" && ip netns add "$RX" || exit 1
ip link add wbtx netns "$TX" type veth peer name wbrx netns "$RX" || exit 1
in_tx ip link set lo up
in_rx ip link set lo up
in_rx ip addr add 192.0.2.1/24 dev wbrx
in_tx ip addr add 192.0.2.2/24 dev wbtx
in_rx ip -6 addr add 2001:db8::1/64 dev wbrx nodad
in_tx ip -6 addr add 2001:db8::2/64 dev wbtx nodad
in_rx ip link set wbrx up
in_tx ip link set wbtx up
# (nsenter changes only the network namespace: /sys still shows ours, so ask ip.)
RX_MAC=$(ip -n "$RX" -o link show wbrx | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# The blocked addresses, documentation ranges only: all of 198.51.100.0/24
# and 203.0.113.0/24 (512) and 5,000 of 2001:db8:bad::/64.
ADDRS=$WORK/addrs
{
	for i in $(seq 0 255); do echo "198.51.100.$i"; echo "203.0.113.$i"; done
	for i in $(seq 1 5000); do printf '2001:db8:bad::%x\n' "$i"; done
} >"$ADDRS"
N4=512 N6=5000
SRC4=203.0.113.7 SRC6=2001:db8:bad::7
# warden's tables at size (issue 17): 1,000,000 more exact bans and 100,000 /64
# prefix bans, all IPv6 in 2001:db8::/32 away from the flood's source (which so
# shares its /32 with every prefix: each of its packets probes the /64 length
# first). xdp-filter keeps the small set: it has no prefixes, and the CLI's
# maps are not sized for a million entries. --veth-small leaves them out.
BIG=$WORK/big
if [ "$VETH_BIG" = 1 ]; then
	python3 -c '
for i in range(1000000):
    print("2001:db8:ff::%x:%x" % (i >> 16, i & 0xffff))
for i in range(100000):
    print("2001:db8:%x:%x::/64" % (0x100 + (i >> 16), i & 0xffff))' >"$BIG"
fi

# A netdev-ingress table: the earliest nftables hook, on the same device.
{
	echo "table netdev wbench {"
	echo "  set ban4 { type ipv4_addr; elements = { $(grep -v : "$ADDRS" | paste -sd, -) } }"
	echo "  set ban6 { type ipv6_addr; elements = { $(grep : "$ADDRS" | paste -sd, -) } }"
	echo "  chain ingress {"
	echo "    type filter hook ingress device \"wbrx\" priority -500; policy accept;"
	echo "    ip saddr @ban4 counter drop"
	echo "    ip6 saddr @ban6 counter drop"
	echo "  }"
	echo "}"
} >"$WORK/nft.conf"

# Counters of what each filter dropped (none: what the device received).
count_none() {
	ip -n "$RX" -s -j link show wbrx |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
count_warden() { "$BENCH" drops warden "$PIN"; }
count_xdp_filter() { "$BENCH" drops xdp-filter /sys/fs/bpf/xdp-filter; }
count_nft() {
	in_rx nft -j list chain netdev wbench ingress | python3 -c '
import json, sys
n = 0
for item in json.load(sys.stdin)["nftables"]:
    for e in item.get("rule", {}).get("expr", []):
        n += e.get("counter", {}).get("packets", 0)
print(n)'
}

setup_none() { :; }
teardown_none() { :; }
setup_warden() {
	in_rx "$WARDEN" attach wbrx --mode native --pin-path "$PIN" >"$WORK/attach.log" 2>&1 &&
		in_rx "$WARDEN" ban --file "$ADDRS" --pin-path "$PIN" >/dev/null &&
		{ [ "$VETH_BIG" = 0 ] || in_rx "$WARDEN" ban --file "$BIG" --pin-path "$PIN" >/dev/null; }
}
teardown_warden() { in_rx "$WARDEN" detach --all --pin-path "$PIN" >/dev/null 2>&1; }
count_warden_b() { count_warden; }
setup_warden_b() { WARDEN=$WARDEN_B setup_warden; }
teardown_warden_b() { WARDEN=$WARDEN_B teardown_warden; }
setup_xdp_filter() {
	# The CLI loads its program (policy allow: drop what the rules match) and adds
	# one rule itself; the rest go straight into its pinned maps.
	in_rx xdp-filter load wbrx --mode native --features ipv4,ipv6 >"$WORK/attach.log" 2>&1 &&
		in_rx xdp-filter ip "$SRC4" --mode src &&
		"$BENCH" xdp-filter-fill /sys/fs/bpf/xdp-filter "$ADDRS" >/dev/null
}
teardown_xdp_filter() { in_rx xdp-filter unload wbrx >/dev/null 2>&1; }
setup_nft() { in_rx nft -f "$WORK/nft.conf"; }
teardown_nft() { in_rx nft delete table netdev wbench >/dev/null 2>&1; }

# median of numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# flood FILTER FAMILY: one run; appends sent pps, dropped pps and CPU ns per packet.
flood() {
	local filter=$1 fam=$2 src dst before after out
	if [ "$fam" = 4 ]; then src=$SRC4 dst=192.0.2.1; else src=$SRC6 dst=2001:db8::1; fi
	before=$("count_$filter") || return 1
	out=$(in_tx "$BENCH" send --iface wbtx --dst-mac "$RX_MAC" --src "$src" --dst "$dst" \
		--seconds "$SECONDS_PER_RUN" --count 200000000 --size 64) || return 1
	after=$("count_$filter") || return 1
	# out: sent N seconds S pps P errors E cpu_ns_per_packet C
	set -- $out
	awk -v n="$2" -v s="$4" 'BEGIN { printf "%.0f\n", n / s }' >>"$WORK/$filter.$fam.sent"
	awk -v n="$((after - before))" -v s="$4" 'BEGIN { printf "%.0f\n", n / s }' \
		>>"$WORK/$filter.$fam.dropped"
	echo "${10}" >>"$WORK/$filter.$fam.cpu"
}

FILTERS="none warden ${WARDEN_B:+warden_b} xdp_filter nft"
echo "### Drops per second on a veth pair (64-byte UDP flood, native XDP on the receiving veth)"
echo
[ "$VETH_BIG" = 0 ] || echo "warden also holds 1,000,000 more exact IPv6 bans and 100,000 IPv6 /64 prefix bans."
echo "Blocked: $N4 IPv4 + $N6 IPv6 source addresses (documentation ranges); the flood comes"
echo "from a blocked address. Median of $VETH_RUNS rounds of ${SECONDS_PER_RUN} s per case, the filters"
echo "taking turns within each round. Sender: AF_PACKET with qdisc bypass. A veth receives in"
echo "softirq on the sending CPU, so the sender's CPU time per packet is send + receive + filter."
echo
for ((r = 0; r < VETH_RUNS; r++)); do
	for filter in $FILTERS; do
		if ! "setup_$filter"; then
			echo "run.sh: cannot set up $filter" >&2
			cat "$WORK/attach.log" >&2 2>/dev/null
			exit 1
		fi
		for fam in 4 6; do
			flood "$filter" "$fam" || { echo "run.sh: flood failed ($filter)" >&2; exit 1; }
		done
		"teardown_$filter"
	done
done
echo "| filter | family | sent pps | dropped pps (filter's own counter) | CPU ns per packet |"
echo "|---|---|---:|---:|---:|"
for filter in $FILTERS; do
	for fam in 4 6; do
		name=${filter//_/-}
		[ "$filter" = none ] && name="none (all received)"
		[ "$filter" = warden_b ] && name="warden B ($WARDEN_B)"
		echo "| $name | IPv$fam | $(median <"$WORK/$filter.$fam.sent") |" \
			"$(median <"$WORK/$filter.$fam.dropped") | $(median <"$WORK/$filter.$fam.cpu") |"
	done
done
echo
envs=
[ "$BENCH" = "$TOP/build/tools/bench/xdp-bench" ] || envs+="BENCH=$BENCH "
[ "$WARDEN" = "$TOP/build/warden" ] || envs+="WARDEN=$WARDEN "
[ -z "$WARDEN_B" ] || envs+="WARDEN_B=$WARDEN_B "
echo "Command: ${envs}tools/bench/xdp/run.sh ${ARGS[*]}"
