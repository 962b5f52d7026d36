#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# f2b_config.sh - Debian's own /etc/fail2ban read as fail2ban reads it, plus a jail.local for a
# Flask app: effective values, warnings, fail2ban's file order, and bad input refused.
. "$(dirname "$0")/../lib.sh"

TMP=$(mktemp -d /tmp/warden-f2b.XXXXXX)
on_exit "rm -rf '$TMP'"

if ! [ -f /etc/fail2ban/jail.conf ]; then
	fail "fail2ban installed" "no /etc/fail2ban/jail.conf (tools/install-deps.sh installs fail2ban)"
	exit 1
fi
# Debian's files as they are; only jail.local and the extra files below are the test's.
cp -a /etc/fail2ban "$TMP/f2b"
F=$TMP/f2b
mkdir -p "$TMP/log"
: >"$TMP/log/access.log"
cat >"$F/jail.local" <<CONF
[DEFAULT]
# fail2ban's documented default, host bits and all
ignoreip = 127.0.0.1/8 ::1
           192.0.2.7
bantime  = 1 hour
findtime = 10min
maxretry = 4
banaction = nftables-multiport
usedns = no

[flaskapp]
enabled  = true
port     = http,https
filter   = flaskapp
logpath  = $TMP/log/access.log
bantime  = 1week
bantime.increment = true
bantime.factor = 2
bantime.maxtime = 1mo
action = %(action_mw)s
CONF
cat >"$F/filter.d/flaskapp.conf" <<'CONF'
[INCLUDES]
before = common.conf

[Definition]
_probe = (?:wp-login\.php|\.env|phpmyadmin)
failregex = ^<HOST> \S+ \S+ \[\] "(?:GET|POST) /%(_probe)s
            ^<ADDR> .*" 401
ignoreregex = ^<HOST> .*"GET /healthz
datepattern = ^[^\[]*\[({DATE})
CONF

out=$TMP/check.out
err=$TMP/check.err
"$WARDEN" check-config --config "$F/jail.local" >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 0 ]; then pass "Debian's jail.conf + jail.local read (exit 0)"; else
	fail "Debian's jail.conf + jail.local read" "exit $rc: $(cat "$err")"; fi
expect() { # expect NAME LINE: check-config printed LINE exactly
	if grep -qxF -- "$2" "$out"; then pass "$1"; else fail "$1" "no line '$2' in: $(tr '\n' '|' <"$out")"; fi
}
expect "the enabled jail is taken" "jail = flaskapp"
expect "maxretry from [DEFAULT]" "maxretry = 4"
expect "findtime 10min (str2sec)" "findtime = 600s"
expect "bantime 1week in the jail beats [DEFAULT]'s 1 hour" "bantime = 604800s"
expect "bantime.increment" "bantime.increment = true"
expect "bantime.factor" "bantime.factor = 2"
expect "bantime.maxtime 1mo (str2sec: 2629800)" "bantime.maxtime = 2629800s"
expect "ignoreip: host bits taken as the network, continuation line read" \
	"ignoreip = 127.0.0.0/8 ::1 192.0.2.7"
expect "logpath becomes what watch follows" "follow = $TMP/log/access.log"
expect "the filter from filter.d" "filter = flaskapp ($F/filter.d)"
expect "%(name)s interpolated in the failregex" \
	'failregex[1] = ^<HOST> \S+ \S+ \[\] "(?:GET|POST) /(?:wp-login\.php|\.env|phpmyadmin)'
expect "multi-line failregex" 'failregex[2] = ^<ADDR> .*" 401'
expect "ignoreregex" 'ignoreregex[1] = ^<HOST> .*"GET /healthz'
if grep -q "warning: ignoreip: '127.0.0.1/8' has bits set beyond its prefix length: taken as the network 127.0.0.0/8" "$err"; then
	pass "ignoreip host bits: a note"; else fail "ignoreip host bits: a note" "$(cat "$err")"; fi
# One warning names every fail2ban key warden does not use (not one error each).
unused=$(grep -c "fail2ban settings warden does not use" "$err")
if [ "$unused" -eq 1 ] && grep "does not use" "$err" | grep -q "port" &&
	grep "does not use" "$err" | grep -q "action" && grep "does not use" "$err" | grep -q "banaction"; then
	pass "unused keys: one warning naming them all"
else
	fail "unused keys: one warning naming them all" "$(cat "$err")"
fi
# sshd is enabled by Debian's jail.d/defaults-debian.conf but its log is not here: said, not fatal.
if grep -q "enabled but not followed: \[sshd\]" "$err"; then pass "Debian's enabled sshd jail skipped with a note"
else fail "Debian's enabled sshd jail skipped with a note" "$(cat "$err")"; fi

# fail2ban's order: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local (last wins).
printf '[flaskapp]\nbantime = 2w\nmaxretry = 7\n' >"$F/jail.d/50-warden.conf"
"$WARDEN" check-config --config "$F/jail.local" >"$out" 2>/dev/null
grep -qxF "bantime = 604800s" "$out" && grep -qxF "maxretry = 7" "$out" &&
	pass "jail.local beats jail.d/*.conf; a jail's key beats [DEFAULT]" ||
	fail "jail.local beats jail.d/*.conf" "$(cat "$out")"
printf '[flaskapp]\nmaxretry = 9\nfindtime = %%(known/findtime)s\n' >"$F/jail.d/50-warden.local"
"$WARDEN" check-config --config "$F/jail.local" >"$out" 2>"$err"
if grep -qxF "maxretry = 9" "$out" && grep -qxF "findtime = 600s" "$out"; then
	pass "jail.d/*.local beats jail.local; %(known/...)s"
else fail "jail.d/*.local beats jail.local; %(known/...)s" "$(cat "$out" "$err")"; fi
rm -f "$F/jail.d/50-warden.conf" "$F/jail.d/50-warden.local"

# --jail NAME picks a jail; two followable enabled jails without it are refused with both names.
cp "$F/jail.local" "$TMP/jail.local.orig"
printf '\n[second]\nenabled = true\nfilter = flaskapp\nlogpath = %s\n' "$TMP/log/access.log" >>"$F/jail.local"
"$WARDEN" check-config --config "$F/jail.local" >/dev/null 2>"$err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "flaskapp, second" "$err" && grep -q -- "--jail NAME" "$err"; then
	pass "two enabled jails: choose one with --jail"; else fail "two enabled jails" "exit $rc: $(cat "$err")"; fi
"$WARDEN" check-config --config "$F/jail.local" --jail second 2>/dev/null | grep -qxF "jail = second" &&
	pass "--jail NAME" || fail "--jail NAME"
# Debian's own jails from jail.conf: nginx-botsearch with its filter (includes, [Init] tags).
"$WARDEN" check-config --config "$F/jail.conf" --jail nginx-botsearch >"$out" 2>"$err" &&
	grep -q '^failregex\[1\] = ^<HOST> .*cgi-bin|mysqladmin' "$out" &&
	pass "Debian's nginx-botsearch jail: <block> from [Init]" ||
	fail "Debian's nginx-botsearch jail" "$(cat "$err")"
cp "$TMP/jail.local.orig" "$F/jail.local"

# Refused with the reason, exit 2: bad_config NAME EXPECTED-REASON KEY=VALUE
bad_config() {
	local name=$1 reason=$2
	shift 2
	printf '[flaskapp]\n' >"$F/jail.d/zz-bad.local"
	printf '%s\n' "$@" >>"$F/jail.d/zz-bad.local"
	"$WARDEN" check-config --config "$F/jail.local" >"$out" 2>"$err"
	rc=$?
	rm -f "$F/jail.d/zz-bad.local"
	if [ "$rc" -eq 2 ] && grep -qF -- "$reason" "$err" && ! [ -s "$out" ]; then pass "refused: $name"
	else fail "refused: $name" "exit $rc, stderr: $(cat "$err")"; fi
}
bad_config "usedns = yes (would ban resolved names)" "usedns = yes: warden bans addresses" "usedns = yes"
bad_config "ignoreself = false" "never bans its own addresses" "ignoreself = false"
bad_config "ignorecommand" "runs no command" "ignorecommand = /bin/true <ip>"
bad_config "bantime.formula" "warden's escalation" "bantime.formula = ban.Time * 2"
bad_config "unknown %(var)s" "unknown %(nosuch_log)s" "logpath = %(nosuch_log)s"
bad_config "a bad duration" "findtime: '10 fortnights' is not a duration" "findtime = 10 fortnights"
bad_config "a key twice in one section" "'maxretry' is set twice" "maxretry = 3" "maxretry = 2"
bad_config "maxlines above 1" "one line at a time" "maxlines = 2"

cp "$TMP/jail.local.orig" "$F/jail.local"
# Filters: no <HOST>, catastrophic backtracking, include loop.
bad_filter() { # bad_filter NAME EXPECTED-REASON FILTER-TEXT
	printf '%s\n' "$3" >"$F/filter.d/flaskapp.local"
	"$WARDEN" check-config --config "$F/jail.local" >"$out" 2>"$err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$2" "$err"; then pass "refused: $1"
	else fail "refused: $1" "exit $rc, stderr: $(cat "$err")"; fi
	rm -f "$F/filter.d/flaskapp.local"
}
bad_filter "a failregex without <HOST>" "has no <HOST>" \
	"$(printf '[Definition]\nfailregex = ^\\S+ GET /admin')"
bad_filter "a catastrophic-backtracking failregex" "backtracks catastrophically" \
	"$(printf '[Definition]\nfailregex = ^(\\S+\\s*)+<HOST>:$')"
printf '[INCLUDES]\nbefore = loop-b.conf\n[Definition]\n' >"$F/filter.d/loop-a.conf"
printf '[INCLUDES]\nbefore = loop-a.conf\n[Definition]\n' >"$F/filter.d/loop-b.conf"
bad_filter "an include loop" "include loop" "$(printf '[INCLUDES]\nbefore = loop-a.conf')"
bad_filter "a regex PCRE2 cannot compile" "failregex '^<HOST> (': missing closing parenthesis" \
	"$(printf '[Definition]\nfailregex = ^<HOST> (')"

# Nothing started: warden watch refuses the same settings before touching anything.
printf '[Definition]\nfailregex = ^\\S+ GET /admin\n' >"$F/filter.d/flaskapp.local"
"$WARDEN" watch --config "$F/jail.local" --dry-run --http off --state-dir "$TMP/state" \
	>"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "has no <HOST>" "$err" && ! [ -e "$TMP/state" ]; then
	pass "warden watch refuses a bad filter, nothing started"
else fail "warden watch refuses a bad filter" "exit $rc: $(cat "$err")"; fi
rm -f "$F/filter.d/flaskapp.local"

# A jail file of fail2ban's under another name: its [DEFAULT] is not an error.
printf '[DEFAULT]\nbantime = 2h\nignoreip = 127.0.0.1/8\n\n[myapp]\nenabled = true\nlogpath = %s\nmaxretry = 6\n' \
	"$TMP/log/access.log" >"$TMP/myapp.conf"
"$WARDEN" check-config --config "$TMP/myapp.conf" >"$out" 2>"$err"
if grep -qxF "jail = myapp" "$out" && grep -qxF "bantime = 7200s" "$out" && grep -qxF "maxretry = 6" "$out"; then
	pass "a fail2ban jail file under another name"
else fail "a fail2ban jail file under another name" "$(cat "$out" "$err")"; fi
# An include whose path runs through a file does not exist, as a missing one (fuzz_f2bconf's
# finding, tests/fuzz/regressions/f2bconf/include-under-a-file: it was refused with ENOTDIR).
printf '[INCLUDES]\nbefore = myapp.conf/paths.conf\n' | cat - "$TMP/myapp.conf" >"$TMP/under.conf"
"$WARDEN" check-config --config "$TMP/under.conf" >"$out" 2>"$err" && grep -qxF "jail = myapp" "$out" &&
	pass "an include under a file is missing, skipped" || fail "an include under a file" "$(cat "$err")"
printf '[DEFAULT]\nbantime = 2h\n' >"$TMP/nojail.conf"
"$WARDEN" check-config --config "$TMP/nojail.conf" >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown section \[DEFAULT\].*read as fail2ban's jail file: no enabled jail" "$err"; then
	pass "neither warden's file nor a jail: both reasons"
else fail "neither warden's file nor a jail" "exit $rc: $(cat "$err")"; fi

# warden's own file still reads as before, and --jail needs fail2ban's layout.
printf '[jail]\nmaxretry = 3\nbantime = -1\n' >"$TMP/warden.ini"
"$WARDEN" check-config --config "$TMP/warden.ini" >"$out" 2>"$err" &&
	grep -qxF "bantime = -1 (permanent)" "$out" && grep -qxF "maxretry = 3" "$out" &&
	pass "warden's own INI file" || fail "warden's own INI file" "$(cat "$err")"
finish
