#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# hostnames.sh - host names in the ban and allow lists, served by a private
# /etc/hosts (bind-mounted in a mount namespace of the test's own): warden ban
# resolves once and says to what; warden allow --follow follows a name as the
# file changes, never removes what another entry or the operator still needs,
# reports a name that stops resolving and picks it up again, and on exit
# takes out only what it put in.
if [ -z "${WHOSTS_PRIVATE_NS:-}" ]; then
	# Our own mount namespace: the bind mounts below vanish with it, whatever happens.
	exec unshare --mount --propagation private env WHOSTS_PRIVATE_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"

NS=whost-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
WORK=$(mktemp -d)
chmod 755 "$WORK"
on_exit "rm -rf '$WORK'"

# Names from the hosts file only: a name missing from it is a definite "no
# such host", not a DNS timeout. Both files readable by the lookup helper,
# which runs as nobody.
# Each version of the file is bind-mounted over the one before: a reader sees
# the old file or the new one, never a half-written one.
HOSTS_N=0
hosts() {
	HOSTS_N=$((HOSTS_N + 1))
	printf '%s\n' "127.0.0.1 localhost" "$@" >"$WORK/hosts.$HOSTS_N"
	chmod 644 "$WORK/hosts.$HOSTS_N"
	mount --bind "$WORK/hosts.$HOSTS_N" /etc/hosts
}
echo "hosts: files" >"$WORK/nsswitch.conf"
chmod 644 "$WORK/nsswitch.conf"
mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf ||
	{ fail "bind-mount" "cannot bind-mount over /etc/nsswitch.conf"; exit 1; }
hosts "198.51.100.60 other.warden.test" "192.0.2.50 peer.warden.test" \
	"2001:db8::50 peer.warden.test" "192.0.2.50 shared.warden.test"

ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
ip -n "$NS" link add wh0 type veth peer name wh1
ip -n "$NS" link set wh0 up
ip -n "$NS" link set wh1 up
W() { nsenter --net=/run/netns/"$NS" "$WARDEN" "$@" --pin-path "$PIN"; }
on_exit "nsenter --net=/run/netns/'$NS' '$WARDEN' detach --all --pin-path '$PIN'"
check "attach" W attach wh0 --mode generic

# ---- warden ban NAME: resolved once, each address banned, said ----
W ban 192.0.2.7 >/dev/null
before=$(W list --json)
err=$(W ban 192.0.2.8 nothere.warden.test 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "not an IPv4 or IPv6 address, and as a host name" <<<"$err" &&
	[ "$(W list --json)" = "$before" ]; then
	pass "ban-unknown-name-refused"
else
	fail "ban-unknown-name-refused" "rc=$rc: $err"
fi
W unban 192.0.2.7 >/dev/null
out=$(W ban other.warden.test --for 1h 2>&1)
check "ban-name-says-what" grep -q "other.warden.test resolved to 198.51.100.60" <<<"$out"
check "ban-name-banned" sh -c "'$WARDEN' list --pin-path '$PIN' | grep -q '^198.51.100.60 '"
out=$(W unban other.warden.test 2>&1)
check "unban-name" grep -q "unbanned 198.51.100.60" <<<"$out"
check_not "ban-localhost-refused" W ban localhost

# ---- warden allow --priority --follow: the name is followed ----
# in_list ADDR [priority]: ADDR is in the allowlist (as a priority peer).
in_list() {
	W list --json | python3 -c '
import json, sys
want, prio = sys.argv[1], len(sys.argv) > 2
for a in json.load(sys.stdin)["allow"]:
    if a["prefix"] == want and (a["priority"] or not prio):
        sys.exit(0)
sys.exit(1)' "$@"
}
not_in_list() { ! in_list "$@"; }

# The operator's own entry, which the follower must leave alone.
W allow 192.0.2.99 >/dev/null
nsenter --net=/run/netns/"$NS" "$WARDEN" allow --priority --follow --resolve-interval 1s \
	peer.warden.test shared.warden.test 203.0.113.9 --pin-path "$PIN" >"$WORK/follow.out" 2>&1 &
FOLLOW=$!
on_exit "kill $FOLLOW"
if wait_for first 10 in_list 192.0.2.50 priority && wait_for first6 10 in_list 2001:db8::50 priority &&
	wait_for static 10 in_list 203.0.113.9 priority; then
	pass "follow-first-resolution"
else
	fail "follow-first-resolution" "$(cat "$WORK/follow.out")"
fi
check "follow-says-what" grep -q "peer.warden.test resolved to 192.0.2.50, 2001:db8::50" "$WORK/follow.out"

# The name moves: the new addresses come, the old go, unless another entry needs them.
hosts "192.0.2.99 peer.warden.test" "2001:db8::51 peer.warden.test" "192.0.2.50 shared.warden.test"
if wait_for moved 10 in_list 2001:db8::51 priority && wait_for gone 10 not_in_list 2001:db8::50; then
	pass "follow-name-changed"
else
	fail "follow-name-changed" "$(W list --allow)"
fi
check "follow-shared-address-kept" in_list 192.0.2.50 priority
check "follow-operator-entry-made-priority" in_list 192.0.2.99 priority

# A name that stops resolving: reported, its addresses removed, never fatal; back later.
hosts "192.0.2.99 peer.warden.test" "2001:db8::51 peer.warden.test"
if wait_for unresolved 10 not_in_list 192.0.2.50; then pass "follow-name-gone-removed"; else
	fail "follow-name-gone-removed" "$(W list --allow)"; fi
check "follow-name-gone-reported" grep -q "shared.warden.test does not resolve" "$WORK/follow.out"
check "follow-still-running" kill -0 $FOLLOW
hosts "192.0.2.99 peer.warden.test" "2001:db8::51 peer.warden.test" "192.0.2.77 shared.warden.test"
if wait_for back 10 in_list 192.0.2.77 priority; then pass "follow-name-back"; else
	fail "follow-name-back" "$(cat "$WORK/follow.out")"; fi

# Stopped: what it added goes, the operator's entry stays (without the priority it got).
kill -TERM $FOLLOW
wait $FOLLOW
rc=$?
check "follow-exits-cleanly" test $rc -eq 0
check "follow-removed-its-entries" sh -c "! '$WARDEN' list --allow --pin-path '$PIN' | grep -qE '192.0.2.77|2001:db8::51|203.0.113.9'"
check "follow-left-operator-entry" in_list 192.0.2.99
check_not "follow-took-back-priority" in_list 192.0.2.99 priority
echo "  follower said:"
sed 's/^/  | /' "$WORK/follow.out"

W detach --all >/dev/null
check_not "pins-gone-after-detach-all" test -e "$PIN"
finish
