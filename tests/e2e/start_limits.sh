#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# start_limits.sh - an app that cannot start is not restarted forever: a
# missing script, a taken port (runs that never answer a request, nor last
# --start-seconds listening on a port: gunicorn retries a taken port for 5 s)
# make warden give up after --start-retries with status 69; a command
# that is not there (127) or cannot be run (126) at once. Each time warden
# says why and shows the app's last lines of output.
source "$(dirname "$0")/../lib.sh"

NS=wstart-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
on_exit "rm -rf '$OUT'"
APP=$TOP/tests/apps/supervise/app.py

# run NAME OPTIONS... -- CMD...: warden run in the namespace until it ends by itself
# (60 s at most); its status in RC, its messages in $OUT/NAME.err.
run() {
	local name=$1; shift
	nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off --state-dir "$OUT/$name.state" \
		--control "$OUT/$name.sock" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	local pid=$!
	on_exit "kill -KILL $pid"
	if ! wait_for "$name-ends" 60 sh -c "! kill -0 $pid"; then
		fail "$name-gives-up" "still running after 60 s"
		kill -KILL $pid
	fi
	wait $pid
	RC=$?
}
starts() { grep -c "warden\[info\]: started " "$OUT/$1.err"; }

# ---- a missing script: python3 exits 2 at once, every time ----
run missing --start-seconds 5 --start-retries 3 -- /usr/bin/python3 "$OUT/missing.py"
check "missing-script-exits-69" test "$RC" -eq 69
check "missing-script-three-starts" test "$(starts missing)" -eq 3
check "missing-script-says-why" grep -q "giving up: the app failed to start 3 times in a row (no run answered a request, nor lasted --start-seconds 5s listening on a port); exiting with status 69" "$OUT/missing.err"
check "missing-script-last-lines" grep -q "warden\[warn\]:   | .*can't open file '$OUT/missing.py'" "$OUT/missing.err"
# The failed starts still wait as restarts do: at once, then 100 ms, 200 ms...
delays=$(grep -o "restarting the app [a-z0-9 ]*[a-z0-9]" "$OUT/missing.err" | sed 's/restarting the app //' | tr '\n' ',')
check "missing-script-backoff" test "$delays" = "at once,in 100ms,"

# ---- the default limit: 5 failed starts ----
run default --start-seconds 5 -- /usr/bin/python3 "$OUT/missing.py"
check "default-five-starts" test "$RC" -eq 69 -a "$(starts default)" -eq 5

# ---- a command that is not there: 127, no retry ----
run notfound -- "$OUT/no-such-command"
check "exit-127-exits-69" test "$RC" -eq 69
check "exit-127-one-start" test "$(starts notfound)" -eq 1
check "exit-127-says-why" grep -q "giving up: the app exited with status 127 at start (command not found)" "$OUT/notfound.err"
check "exit-127-last-lines" grep -q "warden\[warn\]:   | warden: cannot run $OUT/no-such-command: No such file or directory" "$OUT/notfound.err"

# ---- a script without the x bit: 126, no retry ----
printf '#!/bin/sh\necho never\n' >"$OUT/not-exec.sh"
chmod 644 "$OUT/not-exec.sh"
run notexec -- "$OUT/not-exec.sh"
check "exit-126-exits-69" test "$RC" -eq 69 -a "$(starts notexec)" -eq 1
check "exit-126-says-why" grep -q "exited with status 126 at start (cannot execute)" "$OUT/notexec.err"
# A script that exits 127 itself (a command it runs is missing) is the same.
printf '#!/bin/sh\necho "starting"\nno-such-tool-%s --serve\n' "$TEST_ID" >"$OUT/wrapper.sh"
chmod 755 "$OUT/wrapper.sh"
run wrapper -- "$OUT/wrapper.sh"
check "script-127-exits-69" test "$RC" -eq 69 -a "$(starts wrapper)" -eq 1
check "script-127-last-lines" sh -c "grep -q '  | starting' '$OUT/wrapper.err' && grep -q '  | .*no-such-tool-$TEST_ID.*not found' '$OUT/wrapper.err'"

# ---- a taken port: the Flask app exits 1 on "Address already in use" ----
nsenter --net=/run/netns/"$NS" /usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
HOLDER=$!
on_exit "kill -KILL $HOLDER"
wait_for port-taken 20 nsenter --net=/run/netns/"$NS" curl -s -o /dev/null http://127.0.0.1:8080/
run port --start-seconds 5 --start-retries 2 -- env HOST=127.0.0.1 PORT=8080 /usr/bin/python3 "$APP"
check "taken-port-exits-69" test "$RC" -eq 69 -a "$(starts port)" -eq 2
check "taken-port-says-why" grep -q "giving up: the app failed to start 2 times in a row" "$OUT/port.err"
check "taken-port-last-lines" grep -q "warden\[warn\]:   | .*Port 8080 is in use by another program" "$OUT/port.err"

# ---- gunicorn on a taken port: it retries for 5 s, never listens, then exits 1 ----
run gport --start-seconds 1s --start-retries 2 -- /usr/bin/gunicorn -b 127.0.0.1:8080 \
	--chdir "$(dirname "$APP")" app:app
check "gunicorn-taken-port-exits-69" test "$RC" -eq 69 -a "$(starts gport)" -eq 2
check "gunicorn-taken-port-last-lines" grep -q "warden\[warn\]:   | .*Can't connect to ('127.0.0.1', 8080)" "$OUT/gport.err"
kill -KILL $HOLDER; wait $HOLDER 2>/dev/null

# ---- an app that did start (it answered) is restarted as before, without a start limit ----
get() { nsenter --net=/run/netns/"$NS" curl -s -m 3 "http://127.0.0.1:8080$1"; }
nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off --state-dir "$OUT/crash.state" \
	--control "$OUT/crash.sock" --start-seconds 1h --start-retries 1 --max-restarts 2 \
	--restart-window 1m -- /usr/bin/python3 "$APP" >"$OUT/crash.out" 2>"$OUT/crash.err" &
CRASH=$!
on_exit "kill -KILL $CRASH"
for i in 1 2 3; do
	wait_for "crash-up-$i" 30 sh -c "nsenter --net=/run/netns/$NS curl -s -m 2 http://127.0.0.1:8080/ | grep -q '^up '"
	get /crash >/dev/null
	wait_for "crash-$i" 20 sh -c "[ \$(grep -c 'exited with status 3' '$OUT/crash.err') -ge $i ]"
done
wait_for crash-ends 30 sh -c "! kill -0 $CRASH"
wait $CRASH
check "served-runs-not-start-failures" test $? -eq 69 -a "$(starts crash)" -eq 3
check "served-runs-max-restarts" grep -q "giving up: the app was restarted 2 times within 1m" "$OUT/crash.err"
check_not "served-runs-no-start-limit" grep -q "failed to start" "$OUT/crash.err"
finish
