#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# cli_errors.sh - every kind of bad input to the ban CLI is refused with
# exit status 2 and a clear message, and changes nothing in the maps.
source "$(dirname "$0")/../lib.sh"

NS=wcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
ip -n "$NS" link add wv0 type veth peer name wv1
ip -n "$NS" addr add 203.0.113.10/24 dev wv0
ip -n "$NS" link set wv0 up
ip -n "$NS" link set wv1 up
W() { nsenter --net=/run/netns/"$NS" "$WARDEN" "$@" --pin-path "$PIN"; }
on_exit "nsenter --net=/run/netns/'$NS' '$WARDEN' detach --all --pin-path '$PIN'"

check "attach" W attach wv0 --mode generic
W ban 192.0.2.7 --reason keep >/dev/null
W allow 198.51.100.0/24 >/dev/null
before=$(W list --json)

# expect_refused NAME PATTERN ARGS...: exit 2, PATTERN on stderr, maps unchanged.
expect_refused() {
	local name=$1 pattern=$2 err rc after
	shift 2
	err=$(W "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(W list --json)
	if [ $rc -ne 2 ]; then
		fail "$name" "exit status $rc, expected 2 ($err)"
	elif ! grep -qiE "$pattern" <<<"$err"; then
		fail "$name" "message '$err' does not match '$pattern'"
	elif [ "$after" != "$before" ]; then
		fail "$name" "the maps changed"
	else
		pass "$name"
	fi
}

expect_refused malformed-address "not an IPv4 or IPv6 address" ban 192.0.2.300
expect_refused malformed-address-text "not an IPv4 or IPv6 address" ban example
expect_refused malformed-v6 "not an IPv4 or IPv6 address" ban 2001:db8:::1
expect_refused prefix-too-long-v4 "prefix length must be 0..32" ban 192.0.2.0/33
expect_refused prefix-too-long-v6 "prefix length must be 0..128" ban 2001:db8::/129
expect_refused prefix-not-number "prefix length is not a number" ban 192.0.2.0/x
expect_refused prefix-host-bits "bits set beyond the prefix" ban 192.0.2.1/24
expect_refused bad-duration "not a duration" ban 192.0.2.8 --for 10x
expect_refused negative-duration "not a duration" ban 192.0.2.8 --for -5m
expect_refused zero-duration "not a duration" ban 192.0.2.8 --for 0s
expect_refused loopback-v4 "loopback" ban 127.0.0.1
expect_refused loopback-v6 "loopback" ban ::1
expect_refused everything "loopback" ban 0.0.0.0/0
expect_refused own-address "own address" ban 203.0.113.10
expect_refused own-prefix "own address" ban 203.0.113.0/24
expect_refused allowlisted "allowlist" ban 198.51.100.9
expect_refused prefix-over-allowlisted "covers 198.51.100.0/24, which is in the allowlist" ban 198.51.0.0/16
expect_refused one-bad-of-many "not an IPv4" ban 192.0.2.8 192.0.2.x 192.0.2.9
expect_refused unknown-option "unrecognized|usage" ban 192.0.2.8 --frobnicate
expect_refused no-address "at least one address" ban
expect_refused option-not-here "does not apply" unban 192.0.2.7 --for 1h
expect_refused bad-mode "native, generic or auto" attach wv0 --mode turbo
expect_refused no-such-iface "no interface" detach nosuch0

# A missing pin path is bad input too.
err=$(nsenter --net=/run/netns/"$NS" "$WARDEN" ban 192.0.2.8 --pin-path "$PIN_ROOT/nothing" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "no warden maps" <<<"$err"; then pass missing-pin-path; else fail missing-pin-path "rc=$rc: $err"; fi

# A file with bad lines: each reported with its number, nothing applied.
F=$(mktemp)
on_exit "rm -f '$F'"
printf '192.0.2.20\n# a comment\n\n192.0.2.21\nnot-an-address\n192.0.2.0/40\n' >"$F"
err=$(W ban --file "$F" 2>&1)
rc=$?
after=$(W list --json)
if [ $rc -eq 2 ] && grep -q "$F:5:" <<<"$err" && grep -q "$F:6:" <<<"$err" && grep -q "nothing was banned" <<<"$err" && [ "$after" = "$before" ]; then
	pass file-bad-lines
else
	fail file-bad-lines "rc=$rc: $err"
fi
printf '192.0.2.20\n127.0.0.1\n' >"$F"
expect_refused file-with-loopback "loopback" ban --file "$F"

# A good file, from stdin, applies everything at once.
seq 0 9999 | awk '{ printf "2001:db8:1::%x\n", $1 }' >"$F"
out=$(W ban --file - --for 1h <"$F")
check "file-from-stdin" grep -q "banned 10000 entries" <<<"$out"
n=$(W stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"]["exact_ipv6"])')
check "file-entries-in-map" test "$n" -eq 10000

# Good commands still work and say what they did.
check "unban-existing" W unban 192.0.2.7
expect_missing=$(W unban 192.0.2.7 2>&1)
check "unban-missing-says-so" grep -q "was not banned" <<<"$expect_missing"
check "help" W ban --help

# unban --all lifts every ban (not an abbreviation of --allow), and only the bans.
W ban 192.0.2.30 >/dev/null
W ban 192.0.2.128/25 --for 1h >/dev/null
nbans=$(W list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["bans"]))')
out=$(W unban --all)
check "unban-all-says-how-many" grep -q "unbanned $nbans bans" <<<"$out"
check "unban-all-had-bans" test "$nbans" -ge 10002
n=$(W list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["bans"]))')
check "unban-all-leaves-no-ban" test "$n" -eq 0
check "unban-all-keeps-allowlist" sh -c "'$WARDEN' list --allow --pin-path '$PIN' | grep -q 198.51.100.0/24"
expect_refused_all=$(W unban --all 192.0.2.1 2>&1)
check "unban-all-takes-no-address" grep -q "takes no address" <<<"$expect_refused_all"
check_not "list-all-is-not-allow" W list --all

# fail2ban's durations: --for 1 hour, and -1 for a permanent ban.
W ban 192.0.2.20 --for "1 hour" >/dev/null
W ban 192.0.2.21 --for -1 >/dev/null
perm=$(W list --json | python3 -c 'import json,sys
b = {x["target"]: x for x in json.load(sys.stdin)["bans"]}
print(b["192.0.2.21"]["permanent"], b["192.0.2.20"]["permanent"], 3500 < b["192.0.2.20"]["remaining_s"] <= 3600)' 2>&1)
check "ban-for-1-hour-and-minus-1" test "$perm" = "True False True"

# -V is --version.
v=$("$WARDEN" -V)
check "dash-V-is-version" test "$v" = "$("$WARDEN" --version)"
check "version-names-warden" grep -q "^warden " <<<"$v"
finish
