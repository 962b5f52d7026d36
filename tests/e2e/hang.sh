#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# hang.sh - warden run notices an app that still runs but no longer answers:
# a route that never returns, a blocked server, a stopped process, deadlocked
# gunicorn workers; each caught within the hang timeout plus a second, and
# the app restarted and serving again. A slow but answering route and an
# exempt long-polling route are left alone. Without privileges the sock_diag
# fallback still catches a stopped app.
source "$(dirname "$0")/../lib.sh"

NS=whang-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
chmod 755 "$OUT"
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$OUT'"
APPDIR=$TOP/tests/apps/supervise
TIMEOUT=3
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }
get() { in_ns curl -s -m "${2:-3}" "http://127.0.0.1:8080$1"; }
up() { get / | grep -q '^up '; }
app_pid() { get / | awk '{print $2}'; }

# start NAME [PREFIX...] -- OPTIONS [-- CMD]
start() {
	local name=$1; shift
	local pre=()
	while [ "$1" != "--" ]; do pre+=("$1"); shift; done
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	[ "${1:-}" = "--" ] && shift
	[ $# -eq 0 ] && set -- /usr/bin/python3 "$APPDIR/app.py"
	nsenter --net=/run/netns/"$NS" "${pre[@]}" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http off \
		--hang-timeout ${TIMEOUT}s "${opts[@]}" -- "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill -KILL $PID"
	wait_for "$name-up" 30 up
}
stop() { kill -TERM "$PID"; wait "$PID"; }

# caught NAME: the hang was logged, its evidence is within timeout + 1 s, the app is back.
caught() {
	local name=$1 age
	if ! wait_for "$name-hang" $((TIMEOUT + 10)) grep -q "hangs:" "$OUT/$name.err"; then
		fail "$name-detected" "$(tail -3 "$OUT/$name.err")"
		return
	fi
	pass "$name-detected"
	age=$(grep -o "waits\( in the accept queue\)\? for [0-9.]*s" "$OUT/$name.err" | head -1 | grep -o "[0-9.]*")
	check "$name-within-timeout-plus-1s" awk -v a="$age" -v t="$TIMEOUT" 'BEGIN { exit !(a >= t && a <= t + 1) }'
	if wait_for "$name-back" 20 up; then pass "$name-restarted-and-serving"; else fail "$name-restarted-and-serving"; fi
}

# ---- a route that never returns ----
start route --
check "watcher-backend-said" grep -q "watcher" "$OUT/route.err"
get /hang 1 >/dev/null
caught route
stop

# ---- the whole server blocked ----
start block --
get /block 1 >/dev/null
get / 1 >/dev/null
caught block
stop

# ---- the app stopped by a signal (SIGSTOP from outside) ----
start stopped --
kill -STOP "$(app_pid)"
get / 1 >/dev/null
caught stopped
stop

# ---- gunicorn's two workers deadlocked ----
start gunicorn -- -- /usr/bin/python3 -m gunicorn -w 2 -b 127.0.0.1:8080 --chdir "$APPDIR" app:app
get /hang 1 >/dev/null &
get /hang 1 >/dev/null
caught gunicorn
stop

# ---- slow but answering: no restart ----
start slow --
end=$((SECONDS + TIMEOUT * 2 + 2))
n=0
while [ $SECONDS -lt $end ]; do get /sleep/1500 >/dev/null && n=$((n + 1)); done
check "slow-route-answered" test "$n" -ge 3
check_not "slow-route-not-restarted" grep -q "hangs:" "$OUT/slow.err"
stop

# ---- an exempt long-polling route: no restart ----
start exempt -- --hang-exempt /hang
get /hang $((TIMEOUT * 2 + 2)) >/dev/null
check_not "exempt-route-not-restarted" grep -q "hangs:" "$OUT/exempt.err"
check "exempt-app-still-serving" up
stop

# ---- unprivileged: the sock_diag fallback catches a stopped app ----
start nopriv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- --control "$OUT/np.sock"
check "fallback-backend" grep -q "sock_diag" "$OUT/nopriv.err"
kill -STOP "$(app_pid)"
get / 1 >/dev/null
caught nopriv
stop
finish
