#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# f2b_filters.sh - fail2ban's own HTTP filters from Debian's /etc/fail2ban on fail2ban's own sample
# logs: warden parse matches the same lines as fail2ban-regex, run on the same files here.
. "$(dirname "$0")/../lib.sh"

LOGS=/usr/lib/python3/dist-packages/fail2ban/tests/files/logs
TMP=$(mktemp -d /tmp/warden-f2bf.XXXXXX)
on_exit "rm -rf '$TMP'"

if ! command -v fail2ban-regex >/dev/null || ! [ -d "$LOGS" ]; then
	fail "fail2ban installed" "no fail2ban-regex or $LOGS (tools/install-deps.sh installs fail2ban)"
	exit 1
fi

# Debian's jails of these names use the filter of the same name, with its [Init] and includes.
for f in apache-badbots nginx-botsearch apache-noscript nginx-bad-request apache-botsearch \
	apache-nohome apache-auth apache-overflows apache-shellshock apache-modsecurity \
	nginx-http-auth nginx-limit-req php-url-fopen; do
	if ! [ -f "$LOGS/$f" ]; then
		fail "$f" "no sample log $LOGS/$f"
		continue
	fi
	ref=$(fail2ban-regex "$LOGS/$f" "/etc/fail2ban/filter.d/$f.conf" 2>&1 | sed -n 's/^Lines: .*, \([0-9]*\) ignored, \([0-9]*\) matched, .*/\2 \1/p')
	got=$("$WARDEN" parse --json --config /etc/fail2ban/jail.conf --jail "$f" "$LOGS/$f" \
		2>"$TMP/$f.err" | tail -n 1 | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())["summary"]
print(s["matched"], s["ignored"])')
	if [ -n "$ref" ] && [ "$ref" = "$got" ] && [ "${ref%% *}" -gt 0 ]; then
		pass "$f: $got (matched, ignored) as fail2ban-regex"
	else
		fail "$f" "fail2ban-regex: '$ref', warden: '$got' $(head -c 300 "$TMP/$f.err")"
	fi
done

# The per-line verdicts say which failregex matched, next to warden's own verdict.
"$WARDEN" parse --config /etc/fail2ban/jail.conf --jail apache-badbots "$LOGS/apache-badbots" \
	>"$TMP/v.out" 2>/dev/null
if grep -q '^[0-9]* failure:filter [0-9.]* GET .* filter=match failregex\[1\]' "$TMP/v.out" &&
	grep -q '^Lines: ' "$TMP/v.out" && grep -q '^Clients that would be banned: ' "$TMP/v.out"; then
	pass "per-line verdicts and the summary"
else
	fail "per-line verdicts and the summary" "$(head -5 "$TMP/v.out")"
fi
# --print-missed: the lines that are no failure, as they are.
"$WARDEN" parse --print-missed --config /etc/fail2ban/jail.conf --jail apache-badbots \
	"$LOGS/apache-badbots" >"$TMP/m.out" 2>/dev/null
if grep -q '^# failJSON' "$TMP/m.out" && ! grep -q '"TrackBack/1.02"$' "$TMP/m.out"; then
	pass "--print-missed"
else
	fail "--print-missed" "$(head -5 "$TMP/m.out")"
fi
finish
