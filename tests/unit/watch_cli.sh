#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# watch_cli.sh - "warden watch" without the network: bad options refused (exit 2), and
# --backfill in dry-run: rotated .gz logs read once, history older than findtime skipped.
. "$(dirname "$0")/../lib.sh"

export LC_ALL=C
TMP=$(mktemp -d /tmp/warden-watch-cli.XXXXXX)
on_exit "rm -rf '$TMP'"

if ! [ -x "$WARDEN" ]; then
	fail "warden binary" "$WARDEN not built"
	exit 1
fi

# refused NAME PATTERN ARGS...: exit status 2 and PATTERN in the message.
refused() {
	local name=$1 pattern=$2 rc; shift 2
	"$WARDEN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "$pattern" "$TMP/err"; then pass "$name"; else
		fail "$name" "exit $rc: $(head -c 200 "$TMP/err")"
	fi
}

refused "no-follow" "name the files to follow" watch --dry-run
refused "relative-glob" "not an absolute path" watch --follow 'logs/*.log'
refused "run-only-option" "option of warden run only" watch --follow /tmp/x.log --restart always
refused "watch-only-option" "option of warden watch only" run --follow /tmp/x.log -- true
refused "no-command-to-run" "unexpected argument 'python3'" watch --follow /tmp/x.log -- python3 app.py
refused "unknown-option" "unknown option '--nope'" watch --follow /tmp/x.log --nope
refused "bad-backfill-value" "takes no value" watch --follow /tmp/x.log --backfill=maybe
refused "run-still-needs-command" "no command to run" run --dry-run
"$WARDEN" watch --help >"$TMP/help" 2>&1
check "help" grep -q -- "--follow GLOB" "$TMP/help"
check "listed-in-commands" sh -c "'$WARDEN' --help | grep -q '^  watch '"

# ---- backfill, dry-run: the rotated files are read once, old history skipped ----
mkdir -p "$TMP/logs"
: >"$TMP/logs/app.log"
: >"$TMP/logs/web.log"
old=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.%NZ)
new=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%S.%NZ)
{
	for i in 1 2 3; do
		echo "$old stderr F 198.51.100.7 - - [21/Nov/2026 02:18:25] \"GET /old-$i HTTP/1.1\" 404 -"
	done
	for i in 1 2 3; do
		echo "$new stderr F 198.51.100.8 - - [21/Nov/2026 04:17:25] \"GET /new-$i HTTP/1.1\" 404 -"
	done
} | gzip >"$TMP/logs/app.log.1.gz"
# A plain log rotated by logrotate (dateext): the line's own time counts.
oldc=$(date -u -d '-2 hours' '+%d/%b/%Y:%H:%M:%S +0000')
newc=$(date -u -d '-1 minute' '+%d/%b/%Y:%H:%M:%S +0000')
{
	for i in 1 2 3; do echo "198.51.100.9 - - [$oldc] \"GET /old-$i HTTP/1.1\" 404 12"; done
	for i in 1 2 3; do echo "198.51.100.10 - - [$newc] \"GET /new-$i HTTP/1.1\" 404 12"; done
} | gzip >"$TMP/logs/web.log-20261120.gz"

run_watch() {
	local name=$1
	"$WARDEN" watch --dry-run --backfill --follow "$TMP/logs/*.log" --state-dir "$TMP/state" \
		--app "$TOP/tests/apps/e2e/app.py" --maxretry 3 --findtime 10m --verbose \
		2>"$TMP/$name.err" &
	WPID=$!
	on_exit "kill -9 $WPID"
	wait_for "$name-up" 20 grep -q "following 1 pattern" "$TMP/$name.err"
}

run_watch b1
wait_for b1-decided 10 grep -q "would ban 198.51.100.10" "$TMP/b1.err"
check "backfill-recent-cri-bans" grep -q "dry-run: would ban 198.51.100.8 " "$TMP/b1.err"
check "backfill-recent-plain-bans" grep -q "dry-run: would ban 198.51.100.10 " "$TMP/b1.err"
check_not "backfill-old-cri-skipped" grep -q "would ban 198.51.100.7 " "$TMP/b1.err"
check_not "backfill-old-plain-skipped" grep -q "would ban 198.51.100.9 " "$TMP/b1.err"
check "backfill-lines-marked" grep -q "(backfill): failure: 198.51.100.8" "$TMP/b1.err"
kill -TERM "$WPID"
wait "$WPID"
check "stop-status" test $? -eq 0
check "skipped-said" grep -q "older than findtime" "$TMP/b1.err"

# Read once: a restart with --backfill reads none of it again.
run_watch b2
echo "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) stderr F 198.51.100.11 - - [21/Nov/2026 04:18:25] \"GET / HTTP/1.1\" 200 -" >>"$TMP/logs/app.log"
wait_for b2-live 10 grep -q "198.51.100.11" "$TMP/b2.err"
check "live-after-restart" grep -q "request: 198.51.100.11" "$TMP/b2.err"
check_not "backfill-not-read-again" grep -q "(backfill)" "$TMP/b2.err"
kill -TERM "$WPID"
wait "$WPID"
finish
