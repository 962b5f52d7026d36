#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# upgrade.sh - bans that survive upgrades: an older build (map layout 1, tools/upgrade)
# attached with bans, then this warden's attach (and watch) with traffic running: the
# maps of the old layout are carried over, the program is replaced atomically on the
# pinned link and on the netlink attachment, the banned client never gets through, the
# other one never stops; attaching the same build again replaces nothing.
source "$(dirname "$0")/../lib.sh"

OLD_OBJ=$TOP/build/upgrade/xdp_ban_v1.bpf.o
OLD_ATTACH=$TOP/build/tools/upgrade/old-attach
if [ ! -f "$OLD_OBJ" ] || [ ! -x "$OLD_ATTACH" ]; then
	fail "old-build-present" "build it: make build-tests"
	exit 1
fi

SRV=upgsrv-$TEST_ID BAD=upgbad-$TEST_ID GOOD=upggood-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }
for ns in "$SRV" "$BAD" "$GOOD"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add v-bad netns "$SRV" type veth peer name eth0 netns "$BAD"
ip link add v-good netns "$SRV" type veth peer name eth0 netns "$GOOD"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-bad
ip -n "$SRV" -6 addr add 2001:db8::1/64 dev v-bad nodad
ip -n "$SRV" addr add 198.51.100.1/24 dev v-good
ip -n "$BAD" addr add 192.0.2.2/24 dev eth0
ip -n "$BAD" -6 addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$GOOD" addr add 198.51.100.2/24 dev eth0
for l in "$SRV v-bad" "$SRV v-good" "$BAD eth0" "$GOOD eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-upgrade.XXXXXX)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$WORK'"

W() { in_ns "$SRV" "$WARDEN" "$@" --pin-path "$PIN"; }
listed_with() { W list | grep "^$1 " | grep -q -- "$2"; }
n_bans() { W list | grep -cE '^[0-9a-f.:]+(/[0-9]+)? ' || true; }
bad_ping() { in_ns "$BAD" ping -c 1 -W 1 192.0.2.1; }
bad_ping6() { in_ns "$BAD" ping -6 -c 1 -W 1 2001:db8::1; }
good_ping() { in_ns "$GOOD" ping -c 1 -W 1 198.51.100.1; }
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"; }
transmitted() { sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1"; }

# The XDP program id on an interface of the server, and a program's tag and maps.
prog_id() { ip -n "$SRV" -d link show "$1" | grep -o 'prog/xdp[a-z]* id [0-9]*' | head -1 | awk '{print $3}'; }
prog_tag() { bpftool prog show id "$1" | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p'; }
prog_maps() { bpftool prog show id "$1" | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p'; }
pinned_map() { bpftool map show pinned "$PIN/$1"; }
pinned_map_id() { pinned_map "$1" | sed -n 's/^\([0-9]*\): .*/\1/p'; }
uses_pinned() { prog_maps "$1" | tr ',' '\n' | grep -qx "$(pinned_map_id "$2")"; }

# The bans of the older warden: exact and prefix, both families, each with its reason;
# and enough exact ones that carrying them over is real work.
BANS=$WORK/bans
{
	echo "192.0.2.2 scanner from the old build"
	echo "203.0.113.0/24 v4 prefix from the old build"
	echo "2001:db8::2 v6 exact from the old build"
	echo "2001:db8:bad::/48 v6 prefix from the old build"
	for i in $(seq 10 209); do echo "198.51.100.$i bulk v4 $i"; done
	for i in $(seq 1 300); do printf '2001:db8:2::%x bulk v6 %d\n' "$i" "$i"; done
} >"$BANS"
N_BANS=$(wc -l <"$BANS")

# start_old: the older build on v-bad (pinned link, with the bans) and v-good (netlink).
start_old() {
	in_ns "$SRV" "$OLD_ATTACH" "$OLD_OBJ" "$PIN" v-bad --bans "$BANS" >"$WORK/old.out" 2>&1 &&
		in_ns "$SRV" "$OLD_ATTACH" "$OLD_OBJ" "$PIN" v-good --netlink >>"$WORK/old.out" 2>&1
}

# ping_during NAME: the clients' pings around an upgrade, 50 ms apart, for 6 s.
ping_start() {
	in_ns "$BAD" ping -i 0.05 -W 1 -w 6 192.0.2.1 >"$WORK/$1.bad" 2>&1 &
	P1=$!
	in_ns "$BAD" ping -6 -i 0.05 -W 1 -w 6 2001:db8::1 >"$WORK/$1.bad6" 2>&1 &
	P2=$!
	in_ns "$GOOD" ping -i 0.05 -W 1 -w 6 198.51.100.1 >"$WORK/$1.good" 2>&1 &
	P3=$!
	on_exit "kill $P1 $P2 $P3"
	sleep 1
}
ping_check() {
	local name=$1 bad bad6 good good_tx
	wait "$P1" "$P2" "$P3"
	bad=$(received "$WORK/$name.bad") bad6=$(received "$WORK/$name.bad6")
	good=$(received "$WORK/$name.good") good_tx=$(transmitted "$WORK/$name.good")
	echo "  across the upgrade: banned client $bad + $bad6 replies (v4 + v6); other $good of $good_tx"
	check "$name-banned-never-through-v4" test "${bad:-1}" -eq 0
	check "$name-banned-never-through-v6" test "${bad6:-1}" -eq 0
	check "$name-other-client-served-throughout" test "${good:-0}" -ge $((${good_tx:-100} * 95 / 100))
}

# after_upgrade NAME ERRFILE: what must hold once the new build runs.
after_upgrade() {
	local name=$1 err=$2 id good_id
	# Every ban: layout 3 also carries the prefix bans over, from the tries to the hashes.
	check "$name-carried-over-said" grep -q "carried $N_BANS bans over from the previous layout" "$err"
	check "$name-prefix-tries-to-hashes" grep -q "warden_pfx4: another layout (lpm_trie -> hash" "$err"
	check "$name-replaced-said" grep -q "replaced the XDP program on v-bad (old tag $OLD_TAG, new tag" "$err"
	check "$name-replaced-other-iface" grep -q "replaced the XDP program on v-good" "$err"
	check "$name-all-bans-listed" test "$(n_bans)" -eq "$N_BANS"
	check "$name-reason-exact4" listed_with 192.0.2.2 "scanner from the old build"
	check "$name-reason-prefix4" listed_with 203.0.113.0/24 "v4 prefix from the old build"
	check "$name-reason-exact6" listed_with 2001:db8::2 "v6 exact from the old build"
	check "$name-reason-prefix6" listed_with 2001:db8:bad::/48 "v6 prefix from the old build"
	check "$name-reason-bulk" listed_with 2001:db8:2::12c "bulk v6 300"
	id=$(prog_id v-bad) good_id=$(prog_id v-good)
	NEW_TAG=$(prog_tag "$id")
	echo "  v-bad: program $id, tag $NEW_TAG (was $OLD_TAG); v-good: program $good_id"
	check "$name-new-tag-on-link" test -n "$NEW_TAG" -a "$NEW_TAG" != "$OLD_TAG"
	check "$name-new-tag-said" grep -q "new tag $NEW_TAG" "$err"
	check "$name-new-tag-on-netlink" test "$(prog_tag "$good_id")" = "$NEW_TAG"
	check "$name-uses-new-counters" uses_pinned "$id" warden_counters
	check "$name-uses-new-ban4" uses_pinned "$id" warden_ban4
	check "$name-netlink-uses-new-ban4" uses_pinned "$good_id" warden_ban4
	check "$name-counters-new-size" sh -c "bpftool map show pinned '$PIN/warden_counters' | grep -q 'value 96B'"
	check "$name-settings-new-size" sh -c "bpftool map show pinned '$PIN/warden_settings' | grep -q 'value 80B'"
	check "$name-ban4-new-size" sh -c "bpftool map show pinned '$PIN/warden_ban4' | grep -q 'max_entries 1048576'"
	check "$name-known-recreated" sh -c "bpftool map show pinned '$PIN/warden_known' | grep -q 'max_entries 262144'"
	check "$name-no-pin-left-aside" sh -c "! ls '$PIN' | grep -q '_aside\$'"
	check_not "$name-banned-v4" bad_ping
	check_not "$name-banned-v6" bad_ping6
	check "$name-other-client" good_ping
}

# ---- round 1: warden attach over the older build ----
if ! start_old; then
	fail "old-build-attached"; cat "$WORK/old.out"; exit 1
fi
pass "old-build-attached"
OLD_ID=$(prog_id v-bad)
OLD_TAG=$(prog_tag "$OLD_ID")
check "old-counters-old-size" sh -c "bpftool map show pinned '$PIN/warden_counters' | grep -q 'value 56B'"
check "old-settings-old-size" sh -c "bpftool map show pinned '$PIN/warden_settings' | grep -q 'value 8B'"
check_not "old-build-drops-v4" bad_ping
check_not "old-build-drops-v6" bad_ping6
check "old-build-passes-other" good_ping

# An earlier upgrade killed half-way left a map set aside: put back, then carried over.
mv "$PIN/warden_ban6" "$PIN/warden_ban6_aside"
ping_start attach
W attach v-bad >"$WORK/attach.out" 2>"$WORK/attach.err"
check "attach-over-old-build" test $? -eq 0
ping_check attach
sed 's/^/  /' "$WORK/attach.out" "$WORK/attach.err" | grep -v '^  $' | head -20
check "interrupted-upgrade-recovered" grep -q "warden_ban6: put back the map of an interrupted upgrade" "$WORK/attach.err"
after_upgrade attach "$WORK/attach.err"

# ---- the same build again: nothing replaced ----
ID_BEFORE=$(prog_id v-bad) GOOD_BEFORE=$(prog_id v-good)
W attach v-bad >"$WORK/again.out" 2>"$WORK/again.err"
check "attach-same-build" test $? -eq 0
check_not "same-build-not-replaced" grep -q "replaced" "$WORK/again.out" "$WORK/again.err"
check_not "same-build-nothing-carried" grep -q "carried\\|another layout" "$WORK/again.err"
check "same-build-same-program" test "$(prog_id v-bad)" = "$ID_BEFORE"
check "same-build-same-program-other" test "$(prog_id v-good)" = "$GOOD_BEFORE"

check "detach-all" W detach --all
check_not "pins-gone" test -e "$PIN"
check_not "no-xdp-left-v-bad" sh -c "ip -n '$SRV' link show v-bad | grep -q 'prog/xdp'"
check_not "no-xdp-left-v-good" sh -c "ip -n '$SRV' link show v-good | grep -q 'prog/xdp'"
check "reachable-after-detach" bad_ping

# ---- round 2: warden watch --iface over the older build ----
if ! start_old; then
	fail "old-build-attached-again"; cat "$WORK/old.out"; exit 1
fi
OLD_TAG=$(prog_id v-bad); OLD_TAG=$(prog_tag "$OLD_TAG")
mkdir -p "$WORK/logs"
: >"$WORK/logs/access.log"
ping_start watch
nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --iface v-bad \
	--pin-path "$PIN" --state-dir "$WORK/state" --follow "$WORK/logs/*.log" \
	--app "$TOP/tests/apps/e2e/app.py" 2>"$WORK/watch.err" &
WATCH_PID=$!
on_exit "kill -9 $WATCH_PID"
if wait_for watch-up 20 grep -q "following 1 pattern" "$WORK/watch.err"; then
	pass "watch-up"
else
	fail "watch-up"; cat "$WORK/watch.err"
fi
ping_check watch
grep -E "carried|replaced|another layout|upgrade" "$WORK/watch.err" | sed 's/^/  /'
after_upgrade watch "$WORK/watch.err"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "watch-stop-clean" test $? -eq 0

check "detach-all-after-watch" W detach --all
check_not "pins-gone-after-watch" test -e "$PIN"
finish
