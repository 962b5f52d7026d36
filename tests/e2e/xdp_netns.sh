#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xdp_netns.sh - bans enforced on a veth pair between two namespaces:
# a TCP client connects, is dropped after 'warden ban', connects after
# 'warden unban' and after a short ban expires with no warden running;
# IPv4 and IPv6, both loaders; cleanup leaves nothing pinned or attached.
source "$(dirname "$0")/../lib.sh"

SRV=wsrv-$TEST_ID CLI=wcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }
W() { in_srv "$WARDEN" "$@" --pin-path "$PIN"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

# A TCP server in the server namespace, on both families.
SERVE_DIR=$(mktemp -d)
on_exit "rm -rf '$SERVE_DIR'"
echo hello >"$SERVE_DIR/index.html"
in_srv /usr/bin/python3 -m http.server --bind :: --directory "$SERVE_DIR" 8080 >/dev/null 2>&1 &
SERVER_PID=$!
on_exit "kill $SERVER_PID"
connect4() { in_cli curl -sf --connect-timeout 1 -m 2 -o /dev/null http://192.0.2.1:8080/; }
connect6() { in_cli curl -sf --connect-timeout 1 -m 2 -o /dev/null 'http://[2001:db8::1]:8080/'; }
wait_for server 10 connect4 || { fail "server-up" "python http.server did not answer"; exit 1; }

for loader in auto libbpf; do
	out=$(W attach veth0 --loader $loader 2>&1)
	check "attach-$loader" test $? -eq 0
	echo "  $out"
	check "attached-$loader-shown" grep -q "attached to veth0" <<<"$out"
	check "connect-before-ban-v4-$loader" connect4
	check "connect-before-ban-v6-$loader" connect6

	W ban 192.0.2.2 --reason "test ban" >/dev/null
	check_not "dropped-after-ban-v4-$loader" connect4
	check "v6-unaffected-by-v4-ban-$loader" connect6
	drops=$(W list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([b for b in d["bans"] if b["target"]=="192.0.2.2"][0]["drops"])')
	check "ban-counts-drops-$loader" test "${drops:-0}" -gt 0
	W unban 192.0.2.2 >/dev/null
	check "connect-after-unban-v4-$loader" connect4

	W ban 2001:db8::2 >/dev/null
	check_not "dropped-after-ban-v6-$loader" connect6
	check "v4-unaffected-by-v6-ban-$loader" connect4
	W unban 2001:db8::2 >/dev/null
	check "connect-after-unban-v6-$loader" connect6

	# Prefix bans, both families (a prefix over the server's own address is refused).
	check_not "refuse-prefix-over-own-address-$loader" W ban 192.0.2.0/28
	W ban 192.0.2.2/31 >/dev/null
	check_not "dropped-by-prefix-v4-$loader" connect4
	W ban 2001:db8::2/127 >/dev/null
	check_not "dropped-by-prefix-v6-$loader" connect6
	# The allowlist wins over a prefix ban.
	W allow 192.0.2.2 >/dev/null
	check "allowlist-wins-$loader" connect4
	W unallow 192.0.2.2 >/dev/null
	W unban 192.0.2.2/31 >/dev/null
	W unban 2001:db8::2/127 >/dev/null
	check "connect-after-prefix-unban-v4-$loader" connect4
	check "connect-after-prefix-unban-v6-$loader" connect6

	W detach veth0 >/dev/null
	check "detach-$loader" test $? -eq 0
	check_not "nothing-attached-after-detach-$loader" sh -c "in_srv ip link show veth0 | grep -q xdp"
done

# Re-attach reuses the pinned maps: a ban made before survives.
W attach veth0 >/dev/null 2>&1
W ban 192.0.2.2 >/dev/null
W attach veth0 >/dev/null 2>&1
check "reattach-keeps-bans" sh -c "'$WARDEN' list --pin-path '$PIN' | grep -q 192.0.2.2"
check_not "reattach-still-drops" connect4
W unban 192.0.2.2 >/dev/null

# A short ban ends on time in the kernel, with no warden process running. Each ban is
# checked right after it is made, with room for a loaded machine (the sanitizer build).
W ban 192.0.2.2 --for 6s >/dev/null
check_not "short-ban-drops-v4" connect4
W ban 2001:db8::2 --for 6s >/dev/null
check_not "short-ban-drops-v6" connect6
if wait_for expiry-v4 15 connect4; then pass "short-ban-expires-v4"; else fail "short-ban-expires-v4"; fi
if wait_for expiry-v6 15 connect6; then pass "short-ban-expires-v6"; else fail "short-ban-expires-v6"; fi
check_not "expired-ban-not-listed" sh -c "'$WARDEN' list --pin-path '$PIN' | grep -q 192.0.2.2"
expired=$("$WARDEN" stats --json --pin-path "$PIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"]["passed_expired"])')
check "expired-counted" test "${expired:-0}" -gt 0

# detach --all removes the attachment and every pin.
W detach --all >/dev/null
check_not "no-xdp-after-detach-all" sh -c "in_srv ip link show veth0 | grep -q xdp"
check_not "pins-gone-after-detach-all" test -e "$PIN"
finish
