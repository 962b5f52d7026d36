#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# f2b_watch.sh - warden watch run from a fail2ban configuration: Debian's /etc/fail2ban with a
# jail.local, the jail's logpath followed, Debian's own nginx-botsearch filter deciding failures on
# nginx's error log (lines warden's own parser does not take as access lines), the ban enforced
# by XDP on a veth pair; a client whose lines an ignoreregex drops stays unbanned.
source "$(dirname "$0")/../lib.sh"

SRV=fwsrv-$TEST_ID CLI=fwcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-f2bw.XXXXXX)
on_exit "rm -rf '$WORK'"
cp -a /etc/fail2ban "$WORK/f2b"
mkdir -p "$WORK/log"
LOG=$WORK/log/error.log
: >"$LOG"
cat >"$WORK/f2b/jail.local" <<CONF
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1
bantime = 1 hour
findtime = 10min

[nginx-botsearch]
enabled = true
logpath = $WORK/log/*error.log
maxretry = 3
CONF
# The operator's own ignoreregex, in the filter's .local as fail2ban wants it.
printf '[Definition]\nignoreregex = client: 198\\.51\\.100\\.9,\n' \
	>"$WORK/f2b/filter.d/nginx-botsearch.local"

# probe IP N: nginx's error-log line for a missing phpMyAdmin, the N-th of that client.
probe() {
	printf '%s [error] 2833#0: *%d open() "/var/www/phpmyadmin/index.php" failed (2: No such file or directory), client: %s, server: localhost, request: "GET /phpmyadmin/index.php HTTP/1.1", host: "192.0.2.1"\n' \
		"$(date -u '+%Y/%m/%d %H:%M:%S')" "$2" "$1" >>"$LOG"
}
listed() { in_srv "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }
ping4() { in_cli ping -c 1 -W 1 192.0.2.1; }

# nsenter execs warden: $! is warden's own pid.
nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --config "$WORK/f2b/jail.local" --iface veth0 --pin-path "$PIN" \
	--state-dir "$WORK/state" --http off --verbose 2>"$WORK/watch.err" &
WATCH_PID=$!
on_exit "kill -9 $WATCH_PID"
if wait_for watch-up 20 grep -q "following 1 pattern" "$WORK/watch.err"; then pass "watch-up from jail.local"
else fail "watch-up from jail.local" "$(cat "$WORK/watch.err")"; exit 1; fi
check "the jail's warnings said once" test "$(grep -c 'does not use' "$WORK/watch.err")" -eq 1
check "ping-before-ban" ping4

# The ignored client first: its failregex matches are dropped by the ignoreregex.
for i in 1 2 3 4; do probe 198.51.100.9 "$i"; done
for i in 1 2; do probe 192.0.2.2 "$i"; done
# Two failures of 192.0.2.2 so far (maxretry is 3): read, counted, no ban.
read_all() { [ "$(grep -c 'phpmyadmin' "$WORK/watch.err")" -ge "$1" ]; }
if wait_for read-6 10 read_all 6; then pass "lines read"; else fail "lines read" "$(tail -3 "$WORK/watch.err")"; fi
check_not "not banned before maxretry" listed 192.0.2.2
probe 192.0.2.2 3
if wait_for banned 10 listed 192.0.2.2; then pass "failregex failures ban their <HOST>"
else fail "failregex failures ban their <HOST>" "$(tail -5 "$WORK/watch.err")"; fi
check_not "banned client dropped by XDP" ping4
check "ban logged with the jail's bantime" grep -q "banned 192.0.2.2 for 1h0m" "$WORK/watch.err"
check_not "ignoreregex: never banned" listed 198.51.100.9

kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stop-exit-status" test $? -eq 0
finish
