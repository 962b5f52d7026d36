#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# systemd_units.sh - the systemd units under tools/deploy/systemd pass
# systemd-analyze verify, and every option they give warden is accepted.
source "$(dirname "$0")/../lib.sh"

if ! command -v systemd-analyze >/dev/null; then
	skip systemd-units "systemd-analyze is not installed"
	exit 0
fi
D=$(mktemp -d)
on_exit "rm -rf '$D'"
for u in "$TOP"/tools/deploy/systemd/*.service; do
	sed "s|/usr/local/bin/warden|$TOP/build/warden|" "$u" >"$D/$(basename "$u")"
done

verify() { systemd-analyze verify "$@" 2>&1 | grep -v -e "Unit is bound to inactive unit" -e "^$" ; }
out=$(verify "$D/warden@shop.service")
if [ -z "$out" ]; then pass "template-unit-verifies"; else fail "template-unit-verifies" "$out"; fi
out=$(verify "$D/warden-demo.service")
if [ -z "$out" ]; then pass "demo-unit-verifies"; else fail "demo-unit-verifies" "$out"; fi

# The check can fail: a unit with a typo is reported.
sed 's/^KillMode=mixed/KillMode=mixd/' "$D/warden-demo.service" >"$D/broken.service"
out=$(verify "$D/broken.service")
if grep -qi "kill mode" <<<"$out"; then pass "verify-catches-a-typo"; else fail "verify-catches-a-typo" "$out"; fi

# Every warden option in ExecStart is one warden run accepts (run with --help after them).
for u in "$TOP"/tools/deploy/systemd/*.service; do
	opts=$(sed -n 's|^ExecStart=/usr/local/bin/warden run \(.*\) -- .*|\1|p' "$u" | sed 's|%i|test|g; s|--config [^ ]*||')
	# shellcheck disable=SC2086
	if "$TOP/build/warden" run $opts --help >/dev/null 2>&1; then
		pass "options-accepted-$(basename "$u")"
	else
		fail "options-accepted-$(basename "$u")" "$opts"
	fi
done
finish
