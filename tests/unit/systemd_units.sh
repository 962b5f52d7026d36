#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# systemd_units.sh - the systemd units under tools/deploy/systemd pass
# systemd-analyze verify, every option they give warden is accepted, and
# systemd-analyze security rates their exposure at most 5.0.
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

# Every warden option in ExecStart is one warden run accepts (run with --help after them),
# as systemd expands the line (unit_exec_argv in tests/lib.sh).
mkdir -p "$D/root/etc/warden"
echo "APP_CMD=/bin/true" >"$D/root/etc/warden/test.env"
for u in "$TOP"/tools/deploy/systemd/*.service; do
	mapfile -t argv < <(unit_exec_argv "$u" test "$D/root")
	opts=()
	for ((k = 2; k < ${#argv[@]}; k++)); do
		[ "${argv[$k]}" = "--" ] && break
		if [ "${argv[$k]}" = "--config" ]; then k=$((k + 1)); continue; fi
		opts+=("${argv[$k]}")
	done
	if [ "${argv[1]}" = run ] && "$TOP/build/warden" run "${opts[@]}" --help >/dev/null 2>&1; then
		pass "options-accepted-$(basename "$u")"
	else
		fail "options-accepted-$(basename "$u")" "${argv[*]}"
	fi
done

# Hardening: systemd-analyze security rates each unit at most 5.0 (exposure; lower is safer).
exposure() { systemd-analyze security --offline=true "$1" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p'; }
at_most_5() { [ -n "$1" ] && awk -v s="$1" 'BEGIN { exit !(s <= 5.0) }'; }
for u in warden@shop.service warden-demo.service; do
	e=$(exposure "$D/$u")
	if at_most_5 "$e"; then pass "exposure-at-most-5-$u"; echo "  $u: exposure $e"; else fail "exposure-at-most-5-$u" "exposure '$e'"; fi
done
# The check can fail: without its sandbox the same unit is rated above 5.0.
sed '/^# ---- Hardening/,/^\[Install\]/{/^\[Install\]/!d}' "$D/warden@.service" >"$D/open@.service"
e=$(exposure "$D/open@shop.service")
if [ -n "$e" ] && ! at_most_5 "$e"; then pass "exposure-check-catches-no-sandbox"; echo "  without the sandbox: exposure $e"; else fail "exposure-check-catches-no-sandbox" "exposure '$e'"; fi
# Every exception to the sandbox is written down in the unit.
for what in "CAP_SYS_ADMIN" "CAP_SYS_PTRACE" "Delegate=" "IPAddressDeny=" "MemoryDenyWriteExecute=" "ProcSubset=" "User="; do
	check "exception-explained-$what" grep -q "^# .*$what" "$TOP/tools/deploy/systemd/warden@.service"
done
finish
