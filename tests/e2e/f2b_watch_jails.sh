#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# f2b_watch_jails.sh - warden watch from Debian's /etc/fail2ban with a jail.local enabling HTTP
# jails on two logs (two of them on one log, as fail2ban allows) and no --jail: each runs with its
# own filter, maxretry, bantime and logs.
# A client failing one jail's filter is banned by that jail's rules only (its maxretry, its
# bantime, its log: the same lines in the other log count for nothing); a client matching no
# filter is never banned; /z/health and /metrics name each jail; the ban is dropped at XDP.
source "$(dirname "$0")/../lib.sh"

SRV=fjsrv-$TEST_ID CLI=fjcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-f2bj.XXXXXX)
on_exit "rm -rf '$WORK'"
cp -a /etc/fail2ban "$WORK/f2b"
mkdir -p "$WORK/log"
ERRLOG=$WORK/log/error.log ACCLOG=$WORK/log/access.log
: >"$ERRLOG"
: >"$ACCLOG"
# Debian's own filters: nginx-botsearch reads nginx's error log, php-url-fopen an access log.
cat >"$WORK/f2b/jail.local" <<CONF
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1
# [DEFAULT]'s bantime reads each jail's own jail_bantime, as fail2ban interpolates it per jail.
bantime = %(jail_bantime)s
jail_bantime = 1 hour
findtime = 10min

[nginx-botsearch]
enabled = true
logpath = $ERRLOG
maxretry = 3

[php-url-fopen]
enabled = true
logpath = $ACCLOG
maxretry = 2
bantime = 2h

# A second jail on the error log: one log, two filters.
[nginx-http-auth]
enabled = true
logpath = $ERRLOG
maxretry = 1
jail_bantime = 30m

# Jails that cannot run: no log, the journal, a filter that does not compile.
[apache-auth]
enabled = true
logpath = $WORK/log/nowhere.log

[nginx-limit-req]
enabled = true
backend = systemd

[apache-badbots]
enabled = true
logpath = $ACCLOG
filter = broken
CONF
printf '[Definition]\nfailregex = ^GET /admin\n' >"$WORK/f2b/filter.d/broken.local"

# botsearch IP: nginx's error-log line for a missing phpMyAdmin (nginx-botsearch's failregex).
botsearch() {
	printf '%s [error] 2833#0: *7 open() "/var/www/phpmyadmin/index.php" failed (2: No such file or directory), client: %s, server: localhost, request: "GET /phpmyadmin/index.php HTTP/1.1", host: "192.0.2.1"\n' \
		"$(date -u '+%Y/%m/%d %H:%M:%S')" "$1" >>"$2"
}
# fopen IP: an access line fetching a remote URL through a PHP parameter (php-url-fopen's).
fopen() {
	printf '%s - - [%s] "GET /index.php?page=http://www.example.com/shell.txt? HTTP/1.1" 200 512 "-" "curl/7.88"\n' \
		"$1" "$(date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$ACCLOG"
}
# Lines no filter matches: a page served, a request that is not HTTP (a failure for warden's own
# verdicts, not for a fail2ban jail), an upstream timeout.
innocent() {
	printf '%s - - [%s] "GET /index.php?page=about HTTP/1.1" 200 512 "-" "Mozilla/5.0"\n' \
		"$1" "$(date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$ACCLOG"
	printf '%s - - [%s] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00" 400 166 "-" "-"\n' \
		"$1" "$(date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$ACCLOG"
	printf '%s [error] 2833#0: *9 upstream timed out (110: Connection timed out), client: %s, server: localhost, request: "GET /index.php HTTP/1.1", host: "192.0.2.1"\n' \
		"$(date -u '+%Y/%m/%d %H:%M:%S')" "$1" >>"$ERRLOG"
}
# auth IP: nginx's error-log line for a user not in .htpasswd (nginx-http-auth's failregex).
auth() {
	printf '%s [error] 2833#0: *8 user "admin" was not found in "/etc/nginx/.htpasswd", client: %s, server: localhost, request: "GET /private/ HTTP/1.1", host: "192.0.2.1"\n' \
		"$(date -u '+%Y/%m/%d %H:%M:%S')" "$1" >>"$ERRLOG"
}
listed() { in_srv "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }
ping4() { in_cli ping -c 1 -W 1 192.0.2.1; }
# read N: warden has judged at least N lines in all (its /z/health).
health() { in_srv curl -sf "http://127.0.0.1:$PORT/z/health"; }
read_lines() { [ "$(health | python3 -c 'import json,sys; print(json.load(sys.stdin)["components"]["log"]["details"]["lines"])')" -ge "$1" ]; }
jail_field() { # jail_field JAIL FIELD: /z/health's count for one jail
	health | python3 -c "import json,sys; print(json.load(sys.stdin)['components']['log']['details']['jails']['$1']['$2'])"
}

PORT=$((20000 + $$ % 20000))
# nsenter execs warden: $! is warden's own pid.
nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --config "$WORK/f2b/jail.local" --iface veth0 \
	--pin-path "$PIN" --state-dir "$WORK/state" --http "127.0.0.1:$PORT" 2>"$WORK/watch.err" &
WATCH_PID=$!
on_exit "kill -9 $WATCH_PID"
if wait_for watch-up 20 grep -q "following 2 patterns" "$WORK/watch.err"; then pass "watch-up, no --jail"
else fail "watch-up, no --jail" "$(cat "$WORK/watch.err")"; exit 1; fi
check "says the three jails run" grep -q "3 fail2ban jails run" "$WORK/watch.err"
check "nginx-botsearch with its filter on its log" \
	grep -qF "[nginx-botsearch] filter nginx-botsearch[mode=normal] on $ERRLOG" "$WORK/watch.err"
check "php-url-fopen with its filter on its log" \
	grep -qF "[php-url-fopen] filter php-url-fopen[mode=normal] on $ACCLOG" "$WORK/watch.err"
check "nginx-http-auth with its filter on the same log" \
	grep -qF "[nginx-http-auth] filter nginx-http-auth[mode=normal] on $ERRLOG" "$WORK/watch.err"
check "a jail whose log is missing is skipped, with why" \
	grep -q "jail \[apache-auth\] does not run: logpath .*nowhere.log matches no file" "$WORK/watch.err"
check "a jail on the journal is skipped, with why" \
	grep -q "jail \[nginx-limit-req\] does not run: backend systemd reads the systemd journal" "$WORK/watch.err"
check "a jail whose filter does not compile is skipped, with why" \
	grep -q "jail \[apache-badbots\] does not run: .*filter = broken: .*<HOST>" "$WORK/watch.err"
check "ping-before-ban" ping4

# The veth client fails php-url-fopen (maxretry 2, bantime 2h).
fopen 192.0.2.2
if wait_for read-1 10 read_lines 1; then pass "line read"; else fail "line read" "$(tail -3 "$WORK/watch.err")"; fi
check_not "one failure of php-url-fopen: no ban" listed 192.0.2.2
fopen 192.0.2.2
if wait_for banned-fopen 10 listed 192.0.2.2; then pass "php-url-fopen bans at its maxretry (2)"
else fail "php-url-fopen bans at its maxretry (2)" "$(tail -5 "$WORK/watch.err")"; fi
check "with its own bantime (2h)" grep -q "banned 192.0.2.2 for 2h0m" "$WORK/watch.err"
check_not "banned client dropped by XDP" ping4

# 198.51.100.20 writes nginx-botsearch's lines into the access log: no jail of that log matches them.
for i in 1 2 3 4; do botsearch 198.51.100.20 "$ACCLOG"; done
# Two in the error log: below nginx-botsearch's maxretry (3), though php-url-fopen's is 2.
for i in 1 2; do botsearch 198.51.100.20 "$ERRLOG"; done
# A client whose lines match nothing, in both logs.
for i in 1 2 3 4 5 6; do innocent 203.0.113.30; done
if wait_for read-26 10 read_lines 26; then pass "every line read"; else fail "every line read" "$(health)"; fi
check_not "another log's lines count for nothing, another jail's maxretry neither" listed 198.51.100.20
botsearch 198.51.100.20 "$ERRLOG"
if wait_for banned-botsearch 10 listed 198.51.100.20; then pass "nginx-botsearch bans at its maxretry (3)"
else fail "nginx-botsearch bans at its maxretry (3)" "$(tail -5 "$WORK/watch.err")"; fi
check "with its own bantime (1h, [DEFAULT]'s)" grep -q "banned 198.51.100.20 for 1h0m" "$WORK/watch.err"
check_not "a client matching no filter is never banned" listed 203.0.113.30
# The error log's other jail: its one failure bans, for its 30m; its lines are not botsearch's.
auth 203.0.113.40
if wait_for banned-auth 10 listed 203.0.113.40; then pass "a second jail on the same log bans by its rules"
else fail "a second jail on the same log bans by its rules" "$(tail -5 "$WORK/watch.err")"; fi
check "with its own bantime (30m, [DEFAULT]'s read in the jail)" grep -q "banned 203.0.113.40 for 30m0s" "$WORK/watch.err"

# Each jail by name: /z/health and /metrics.
check "/z/health: nginx-botsearch banned once" test "$(jail_field nginx-botsearch bans)" -eq 1
check "/z/health: php-url-fopen banned once" test "$(jail_field php-url-fopen bans)" -eq 1
check "/z/health: php-url-fopen's failures are its own 2" test "$(jail_field php-url-fopen failures)" -eq 2
check "/z/health: nginx-http-auth read the error log, found its 1 failure" \
	test "$(jail_field nginx-http-auth lines)" -eq 10 -a "$(jail_field nginx-http-auth failures)" -eq 1
check "/z/health: lines counted once, however many jails read them" read_lines 28
check_not "/z/health: not more" read_lines 29
in_srv curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics"
check "/metrics: lines of nginx-botsearch" \
	grep -q 'warden_app_lines_total{app="nginx-botsearch",result="ban"} 1' "$WORK/metrics"
check "/metrics: lines of php-url-fopen" \
	grep -q 'warden_app_lines_total{app="php-url-fopen",result="ban"} 1' "$WORK/metrics"

kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stop-exit-status" test $? -eq 0
finish
