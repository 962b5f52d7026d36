#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# orphans.sh - no app outlives a warden killed by SIGKILL for long: its
# gunicorn goes on serving (it is in the instance's cgroup), and the next
# warden of the same state folder kills it (cgroup.kill), says so, and
# serves. Without cgroup v2 (a mount namespace hides it), the app dies with
# warden (PR_SET_PDEATHSIG) and the next warden kills what is left of its
# session. Two wardens never share a state folder.
source "$(dirname "$0")/../lib.sh"

NS=worph-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
chmod 755 "$OUT"
on_exit "rm -rf '$OUT'"
APPDIR=$OUT/app
mkdir "$APPDIR"
cp "$TOP/tests/apps/supervise/app.py" "$APPDIR/app.py"
chmod -R a+rX "$APPDIR"
MARK=WTEST_MARK=$TEST_ID
STATE=$OUT/state
get() { nsenter --net=/run/netns/"$NS" curl -s -m 3 "http://127.0.0.1:8080$1"; }
up() { get / | grep -q '^up '; }

# start NAME [PREFIX...] -- CMD...: warden run (after PREFIX, e.g. unshare) in the namespace.
start() {
	local name=$1; shift
	local pre=()
	while [ "$1" != "--" ]; do pre+=("$1"); shift; done
	shift
	env "$MARK" "${pre[@]}" nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off \
		--state-dir "$STATE" --control "$OUT/$name.sock" --app "$APPDIR/app.py" -- "$@" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill -KILL $PID"
}
# The processes carrying our marker (the apps and all they started), warden excluded.
marked() {
	grep -lsa "$MARK" /proc/[0-9]*/environ | sed 's|/proc/\([0-9]*\)/environ|\1|' |
		while read -r p; do
			[ "$p" = "$PID" ] || [ "$p" = "$$" ] && continue
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
			[ -e "/proc/$p" ] && echo "$p"
		done
}
alive() { local p; for p in "$@"; do [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && return 0; done; return 1; }
kill_all_marked() { marked | xargs -r kill -KILL; }
on_exit kill_all_marked
GUNICORN=(/usr/bin/gunicorn -w 2 -b 127.0.0.1:8080 --chdir "$APPDIR" app:app)
three() { [ "$(marked | wc -l)" -ge 3 ]; }

# ---- with cgroup v2: warden killed, gunicorn goes on; the next warden kills it ----
start first -- "${GUNICORN[@]}"
wait_for first-up 30 up || fail "first-up" "$(tail -5 "$OUT/first.err")"
wait_for workers 20 three
old=$(marked | tr '\n' ' ')
check "gunicorn-master-and-workers" test "$(wc -w <<<"$old")" -ge 3
check "state-records-the-app" grep -q "^cgroup /sys/fs/cgroup.*/warden-app-state-" "$STATE/app.state"
# A second warden of the same state folder is refused, and leaves the app alone.
nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off --state-dir "$STATE" \
	--control "$OUT/second.sock" -- "${GUNICORN[@]}" >/dev/null 2>"$OUT/second.err"
check "same-state-dir-refused" test $? -eq 1
check "same-state-dir-says-why" grep -q "another warden (pid $PID) runs with --state-dir $STATE" "$OUT/second.err"
# shellcheck disable=SC2086
check "refused-warden-left-the-app" alive $old
kill -KILL "$PID"
wait "$PID" 2>/dev/null
# The problem: the app outlives warden and keeps the port.
# shellcheck disable=SC2086
check "app-outlives-sigkilled-warden" alive $old
check "app-still-serves-without-warden" up
start second -- "${GUNICORN[@]}"
if wait_for second-reports 30 grep -q "killing [0-9]* processes of the app that a previous warden of this instance left running (cgroup " "$OUT/second.err"; then
	pass "leftovers-reported"
else
	fail "leftovers-reported" "$(cat "$OUT/second.err")"
fi
check "leftovers-named" grep -q "(gunicorn)" "$OUT/second.err"
# shellcheck disable=SC2086
if wait_for old-gone 20 sh -c "! alive() { for p; do [ -e /proc/\$p ] && [ \"\$(awk '{print \$3}' /proc/\$p/stat 2>/dev/null)\" != Z ] && return 0; done; return 1; }; ! alive $old"; then
	pass "no-process-of-old-app-remains"
else
	fail "no-process-of-old-app-remains" "alive: $(for p in $old; do alive "$p" && echo "$p"; done)"
fi
check "reported-before-start" sh -c "grep -n 'killing\|started' '$OUT/second.err' | head -1 | grep -q killing"
wait_for second-up 30 up
new_pid=$(get / | awk '{print $2}')
check "new-app-serves" test -n "$new_pid"
check_not "new-app-is-not-old" grep -qw "$new_pid" <<<"$old"
kill -TERM "$PID"
wait "$PID"
check "clean-stop-forgets-the-app" test ! -e "$STATE/app.state"
check "clean-stop-nothing-left" test -z "$(marked)"

# ---- without cgroup v2: the app dies with warden; its session is killed at the next start ----
NOCG=(unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' sh)
# The app (python, its session leader) leaves a helper behind in its session.
APP_CMD=(sh -c 'sleep 1000 & exec /usr/bin/python3 "$0"' "$APPDIR/app.py")
start nocg1 "${NOCG[@]}" -- "${APP_CMD[@]}"
wait_for nocg-up 30 up || fail "nocg-up" "$(tail -5 "$OUT/nocg1.err")"
check "nocg-said" grep -q "no cgroup for the app (no cgroup v2 here)" "$OUT/nocg1.err"
app_pid=$(get / | awk '{print $2}')
sleeper=$(pgrep -s "$app_pid" -x sleep)
check "nocg-state-records-the-session" grep -qx "pid $app_pid" "$STATE/app.state"
kill -KILL "$PID"
wait "$PID" 2>/dev/null
if wait_for nocg-app-died 10 sh -c "! up"; then pass "nocg-app-dies-with-warden"; else fail "nocg-app-dies-with-warden"; fi
check "nocg-helper-left-in-session" alive "$sleeper"
start nocg2 "${NOCG[@]}" -- "${APP_CMD[@]}"
if wait_for nocg-reports 30 grep -q "killing 1 process of the app that a previous warden of this instance left running (session $app_pid): $sleeper (sleep)" "$OUT/nocg2.err"; then
	pass "nocg-leftovers-reported"
else
	fail "nocg-leftovers-reported" "$(cat "$OUT/nocg2.err")"
fi
check_not "nocg-helper-gone" alive "$sleeper"
wait_for nocg2-up 30 up
check "nocg-new-app-serves" up
kill -TERM "$PID"
wait "$PID"
check "nocg-clean-stop-nothing-left" test -z "$(marked)"
finish
