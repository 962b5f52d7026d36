#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# supervise.sh - warden run keeps the app alive: restarts after a crash with
# a growing delay that resets, gives up as documented, honours --restart,
# stops everything the app started (gunicorn workers, orphans), passes
# signals, and never lets the app keep warden's privileges.
source "$(dirname "$0")/../lib.sh"

NS=wsup-$TEST_ID
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
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }
get() { in_ns curl -s -m 3 "http://127.0.0.1:8080$1"; }
up() { get / | grep -q '^up '; }

# start NAME [ENV=VAL...] -- OPTIONS [-- CMD]: warden run in the namespace.
start() {
	local name=$1; shift
	local envs=("$MARK")
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	[ "${1:-}" = "--" ] && shift
	[ $# -eq 0 ] && set -- /usr/bin/python3 "$APPDIR/app.py"
	env "${envs[@]}" nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run "${opts[@]}" -- "$@" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill -KILL $PID"
}
jq_get() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(v)' "$1" "$2"; }
# Processes carrying our marker in their environment: the app and all it started.
marked() { grep -lsa "$MARK" /proc/[0-9]*/environ | grep -v "/proc/$$/" | grep -v "/proc/self/" ; }
nothing_left() { ! app_procs_left; }
app_procs_left() { marked | while read -r f; do p=${f#/proc/}; p=${p%/environ}; [ "$p" != "$PID" ] && echo "$p"; done | grep -q .; }

# ---- a crash: the app comes back and serves ----
start crash -- --restart-reset 1h --control "$OUT/ctl.sock"
wait_for up 20 up || fail "crash-app-up"
pid1=$(get / | awk '{print $2}')
get /crash >/dev/null
if wait_for restarted 20 sh -c "curl_out=\$(nsenter --net=/run/netns/$NS curl -s -m 2 http://127.0.0.1:8080/); [ -n \"\$curl_out\" ] && [ \"\$curl_out\" != 'up $pid1' ]"; then
	pass "crash-restarts-and-serves"
else
	fail "crash-restarts-and-serves"
fi
check "crash-logged" grep -q "the app (pid $pid1) exited with status 3" "$OUT/crash.err"
check "first-restart-at-once" grep -q "restarting the app at once" "$OUT/crash.err"
pid2=$(get / | awk '{print $2}')
st=$("$WARDEN" status --control "$OUT/ctl.sock" --json)
check "status-pid" test "$(jq_get "$st" pid)" = "$pid2"
check "status-restarts" test "$(jq_get "$st" restarts)" = 1
check "status-state" test "$(jq_get "$st" state)" = running
check "status-human" sh -c "'$WARDEN' status --control '$OUT/ctl.sock' | grep -q 'pid $pid2, up .*, 1 restart$'"
get /crash >/dev/null
wait_for second-restart 20 grep -q "restarting the app in 100ms" "$OUT/crash.err"
check "second-restart-after-100ms" grep -q "restarting the app in 100ms" "$OUT/crash.err"
wait_for up2 20 up
kill -TERM $PID; wait $PID

# ---- a crash loop: 0, 100ms, 200ms, 400ms, then it gives up with 69 ----
start loop EXIT_AT_START=3 -- --max-restarts 4 --restart-window 1m --start-retries 0
wait $PID
rc=$?
check "gives-up-with-69" test $rc -eq 69
delays=$(grep -o "restarting the app [a-z0-9 ]*[a-z0-9]" "$OUT/loop.err" | sed 's/restarting the app //' | tr '\n' ',')
check "backoff-doubles" test "$delays" = "at once,in 100ms,in 200ms,in 400ms,"
check "gives-up-says-why" grep -q "giving up: the app was restarted 4 times within 1m" "$OUT/loop.err"

# ---- a healthy run resets the delay ----
start reset RUN_FOR=1.2 -- --restart-reset 1s --max-restarts 2 --restart-window 1m
wait $PID
delays=$(grep -o "restarting the app [a-z0-9 ]*[a-z0-9]" "$OUT/reset.err" | sed 's/restarting the app //' | tr '\n' ',')
check "delay-resets-after-healthy-run" test "$delays" = "at once,at once,"

# ---- --restart policies ----
start clean EXIT_AT_START=0 --
wait $PID
check "on-failure-clean-exit-ends" test $? -eq 0
check "on-failure-says-so" grep -q "not restarting the app (--restart on-failure)" "$OUT/clean.err"
start never EXIT_AT_START=5 -- --restart never
wait $PID
check "never-exits-with-app-status" test $? -eq 5
start always EXIT_AT_START=0 -- --restart always --max-restarts 2 --restart-window 1m
wait $PID
check "always-restarts-clean-exits" test $? -eq 69

# ---- signals: HUP passed to the app; TERM stops it; a stubborn app is killed ----
start sig -- --stop-timeout 30s
wait_for sig-up 20 up
kill -HUP $PID
if wait_for hup 10 grep -q "app got SIGHUP" "$OUT/sig.out"; then pass "sighup-passed-to-app"; else fail "sighup-passed-to-app"; fi
up && pass "app-survives-sighup" || fail "app-survives-sighup"
kill -TERM $PID; wait $PID
rc=$?
check "sigterm-exit-status-is-apps" test $rc -eq 143
start stubborn IGNORE_TERM=1 -- --stop-timeout 1s
wait_for stubborn-up 20 up
kill -TERM $PID; wait $PID
rc=$?
check "stubborn-app-killed" test $rc -eq 137
check "stubborn-kill-logged" grep -q "did not stop within the stop timeout" "$OUT/stubborn.err"

# ---- stopping leaves nothing behind: orphans and gunicorn workers ----
start orphan --
wait_for orphan-up 20 up
get /orphan >/dev/null
wait_for orphan-started 10 pgrep -f "^sleep 1000"
kill -TERM $PID; wait $PID
if wait_for orphans-gone 10 nothing_left; then
	pass "nothing-left-after-stop"
else
	fail "nothing-left-after-stop" "$(marked)"
fi
start gunicorn -- -- /usr/bin/python3 -m gunicorn -w 2 -b 127.0.0.1:8080 --chdir "$APPDIR" app:app
if wait_for gunicorn-up 30 up; then pass "gunicorn-serves"; else fail "gunicorn-serves" "$(tail -5 "$OUT/gunicorn.err")"; fi
n=$(marked | wc -l)
check "gunicorn-master-and-workers" test "$n" -ge 3
kill -TERM $PID; wait $PID
if wait_for gunicorn-gone 10 nothing_left; then
	pass "no-gunicorn-worker-left"
else
	fail "no-gunicorn-worker-left" "$(marked)"
fi

# ---- privileges: none kept as root, another user with --user ----
start caps --
wait_for caps-up 20 up
caps=$(get /caps)
check "no-capabilities-kept" grep -q "capeff=0000000000000000 capbnd=0000000000000000" <<<"$caps"
kill -TERM $PID; wait $PID
start user -- --user nobody
wait_for user-up 20 up
check "runs-as-user" grep -q "uid=65534" <<<"$(get /caps)"
kill -TERM $PID; wait $PID
check_not "bad-user-refused" sh -c "'$WARDEN' run --user no-such-user -- true"

# ---- a deploy that changes the app is learned at the next start ----
start deploy -- --app "$APPDIR/app.py"
wait_for deploy-up 20 up
before=$(grep -o "learned [0-9]* routes" "$OUT/deploy.err" | tail -1)
cat >>"$APPDIR/app.py" <<'PY'


@app.route("/added-by-deploy")
def added():
    return "new\n"
PY
get /crash >/dev/null
wait_for relearned 20 sh -c "[ \$(grep -c 'learned [0-9]* routes' '$OUT/deploy.err') -ge 2 ]"
after=$(grep -o "learned [0-9]* routes" "$OUT/deploy.err" | tail -1)
check "routes-relearned-at-restart" test "${before#learned }" != "${after#learned }"
kill -TERM $PID; wait $PID
finish
