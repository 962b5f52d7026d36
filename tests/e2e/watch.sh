#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# watch.sh - warden watch end to end: a scanner's lines appended to a CRI log (behind
# the kubelet's symlink) and to a Docker JSON log lead to bans and drops on a veth
# pair; rotation by rename and by truncation while lines are written loses no line
# and repeats none; a restart (with a rotation while stopped) goes on where it stopped.
source "$(dirname "$0")/../lib.sh"

SRV=wwsrv-$TEST_ID CLI=wwcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
netns_pair "$SRV" "$CLI"
in_srv() { nsenter --net=/run/netns/"$SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$CLI" "$@"; }
on_exit "in_srv '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-watch.XXXXXX)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$WORK'"
LOGS=$WORK/log STATE=$WORK/state OUT=$WORK/out
mkdir -p "$LOGS/containers" "$LOGS/pods/shop_web_1234/app" "$LOGS/docker" "$OUT"
POD_LOG=$LOGS/pods/shop_web_1234/app/0.log
: >"$POD_LOG"
ln -s "$POD_LOG" "$LOGS/containers/web_shop_app-abcd.log"
DOCKER_LOG=$LOGS/docker/c0ffee-json.log
: >"$DOCKER_LOG"

# cri FILE IP FIRST LAST PATH STATUS: Werkzeug access lines in the CRI wrapper, one
# open per line as a runtime writes them (N in PATH is the line's number).
cri() {
	local f=$1 ip=$2 a=$3 b=$4 path=$5 status=$6 ts i
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	for ((i = a; i <= b; i++)); do
		printf '%s stderr F %s - - [21/Nov/2026 04:18:25] "GET %s HTTP/1.1" %s -\n' \
			"$ts" "$ip" "${path//N/$i}" "$status" >>"$f"
		# Slow enough for a rotation to fall in the middle.
		if [ -n "${SLOW:-}" ] && ((i % 10 == 0)); then sleep 0.01; fi
	done
}

# The same in Docker's json-file format, the quotes escaped.
docker_lines() {
	local f=$1 ip=$2 a=$3 b=$4 ts i
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	for ((i = a; i <= b; i++)); do
		printf '{"log":"%s - - [21/Nov/2026 04:18:25] \\"GET /.env-%d HTTP/1.1\\" 404 -\\n","stream":"stderr","time":"%s"}\n' \
			"$ip" "$i" "$ts" >>"$f"
	done
}

start_watch() {
	local name=$1
	# nsenter execs warden: $! is warden's own pid.
	nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --iface veth0 --pin-path "$PIN" --state-dir "$STATE" \
		--follow "$LOGS/containers/*.log" --follow "$LOGS/docker/*.log" \
		--app "$TOP/tests/apps/e2e/app.py" --maxretry 5 --bantime 1h --verbose \
		2>"$OUT/$name.err" &
	WATCH_PID=$!
	on_exit "kill -9 $WATCH_PID"
	wait_for "$name-up" 20 grep -q "following 2 patterns" "$OUT/$name.err"
}

ping4() { in_cli ping -c 1 -W 1 192.0.2.1; }
ping6() { in_cli ping -6 -c 1 -W 1 2001:db8::1; }
listed() { in_srv "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }
# The /items/N requests warden handled, in all the logs given: exactly 1..n, once each.
items_seen() { grep -ho '"GET /items/[0-9]* ' "$@" | tr -dc '0-9\n' | sort -n; }
seq_exact() { local n=$1; shift; diff <(items_seen "$@") <(seq 1 "$n") >/dev/null; }
seen_item() { grep -q "\"GET /items/$1 HTTP" "$OUT"/w*.err; }

if ! start_watch w1; then
	fail "watch-up"; cat "$OUT/w1.err"; exit 1
fi
pass "watch-up"
check "xdp-attached-by-watch" grep -q "XDP ban program on veth0" "$OUT/w1.err"
check "routes-learned" grep -q "learned .* routes" "$OUT/w1.err"
check "ping-before-ban" ping4
check "ping6-before-ban" ping6

# ---- the scanner, in the CRI file behind the symlink ----
cri "$POD_LOG" 192.0.2.2 1 6 /wp-admin-N 404
if wait_for banned 10 listed 192.0.2.2; then pass "cri-scanner-banned"; else fail "cri-scanner-banned"; fi
check_not "cri-scanner-dropped" ping4
check "ban-logged" grep -q "banned 192.0.2.2" "$OUT/w1.err"
# ---- an IPv6 scanner, in a Docker JSON file ----
docker_lines "$DOCKER_LOG" 2001:db8::2 1 6
if wait_for banned6 10 listed 2001:db8::2; then pass "docker-scanner-banned"; else fail "docker-scanner-banned"; fi
check_not "docker-scanner-dropped" ping6

# ---- line accounting: truncation (copytruncate) ----
# Requests of a known route by another client: counted, never a failure.
cri "$POD_LOG" 198.51.100.50 1 200 /items/N 200
wait_for caught-up-200 20 seen_item 200
# copytruncate: empty the file, the writer goes on at once at 0.
: >"$POD_LOG"
cri "$POD_LOG" 198.51.100.50 201 400 /items/N 200
wait_for caught-up-400 20 seen_item 400
if seq_exact 400 "$OUT/w1.err"; then pass "truncate-no-loss-no-repeat"; else
	fail "truncate-no-loss-no-repeat" "$(items_seen "$OUT/w1.err" | uniq -c | awk '$1 != 1' | head -3)"
fi
check "truncation-seen" grep -q "was truncated" "$OUT/w1.err"

# ---- rotation by rename while lines are written ----
SLOW=1 cri "$POD_LOG" 198.51.100.50 401 800 /items/N 200 &
WRITER=$!
sleep 0.2
mv "$POD_LOG" "$POD_LOG.20261121-041825"
wait "$WRITER"
last=$(tail -n 1 "$POD_LOG.20261121-041825" | grep -o '/items/[0-9]*')
new=$(grep -c 'GET /items/' "$POD_LOG" 2>/dev/null || echo 0)
echo "  the rotation came after ${last#/items/}: $new lines in the new file"
check "rotation-in-the-middle" test "$new" -gt 0
wait_for caught-up-800 20 seen_item 800
if seq_exact 800 "$OUT/w1.err"; then pass "rename-no-loss-no-repeat"; else
	fail "rename-no-loss-no-repeat" "$(diff <(items_seen "$OUT/w1.err") <(seq 1 800) | head -5 | tr '\n' ' ')"
fi

# ---- restart: stop, lines and a rotation while stopped, start again ----
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stop-exit-status" test $? -eq 0
check "stop-says-what-it-read" grep -q "read .* lines in" "$OUT/w1.err"
check "offsets-kept" test -s "$STATE/follow.offsets"
check "snapshot-kept" test -s "$STATE/bans.snap"
check "bans-outlive-warden" listed 192.0.2.2
check_not "still-dropped-while-stopped" ping4
cri "$POD_LOG" 198.51.100.50 801 850 /items/N 200
mv "$POD_LOG" "$POD_LOG.20261121-050000"
cri "$POD_LOG" 198.51.100.50 851 900 /items/N 200
if ! start_watch w2; then
	fail "watch-restarted"; cat "$OUT/w2.err"; exit 1
fi
wait_for caught-up-900 20 seen_item 900
if seq_exact 900 "$OUT/w1.err" "$OUT/w2.err"; then pass "restart-no-loss-no-repeat"; else
	fail "restart-no-loss-no-repeat" "$(diff <(items_seen "$OUT/w1.err" "$OUT/w2.err") <(seq 1 900) | head -5 | tr '\n' ' ')"
fi
check "restart-reads-only-what-is-new" test "$(items_seen "$OUT/w2.err" | head -1)" = 801
check_not "restart-rereads-no-scanner-line" grep -q "wp-admin" "$OUT/w2.err"
check "maps-kept-across-restart" grep -q "ones of the last snapshot" "$OUT/w2.err"
check_not "still-dropped-after-restart" ping4

kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
# The program stays attached (bans outlive warden); detach removes everything.
in_srv "$WARDEN" detach --all --pin-path "$PIN" >/dev/null 2>&1
check "ping-after-detach" ping4
check_not "pins-gone" test -e "$PIN/warden_ban4"
finish
