#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# sd_notify.sh - warden run as a Type=notify service, against a notify
# socket of the test's own (what systemd listens on): READY=1 only once the
# app's port accepts (not when it is merely started), the watchdog pinged
# from the loop at half of WatchdogSec, STATUS= and STOPPING=1, and the app
# never sees the socket. Without the watcher, READY follows --start-seconds.
source "$(dirname "$0")/../lib.sh"

NS=wsdn-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
chmod 755 "$OUT"
on_exit "rm -rf '$OUT'"
APP=$TOP/tests/apps/supervise/app.py

# The notify socket: each datagram a line of $OUT/notify.log ('|' for newlines).
/usr/bin/python3 - "$OUT/notify.sock" "$OUT/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        log.write(msg.replace("\n", "|") + "\n")
        log.flush()
PY
LISTENER=$!
on_exit "kill $LISTENER"
wait_for notify-socket 10 test -S "$OUT/notify.sock"

# start NAME OPTIONS...: warden run under the notify socket, the app behind a gate file.
start() {
	local name=$1; shift
	: >"$OUT/notify.log"
	env NOTIFY_SOCKET="$OUT/notify.sock" WATCHDOG_USEC=400000 START_GATE="$OUT/$name.gate" \
		HOST=127.0.0.1 nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off \
		--state-dir "$OUT/$name.state" --control "$OUT/$name.sock" "$@" -- /usr/bin/python3 "$APP" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill -KILL $PID"
}
said() { grep -q "$1" "$OUT/notify.log"; }
pings() { [ "$(grep -c '^WATCHDOG=1$' "$OUT/notify.log")" -ge "$1" ]; }
up() { nsenter --net=/run/netns/"$NS" curl -s -m 2 http://127.0.0.1:8080/ | grep -q '^up '; }

start watched
wait_for app-started 30 grep -q "app starting pid" "$OUT/watched.out" || fail "app-started"
wait_for status-sent 10 said "^STATUS=the app runs (pid [0-9]*)$"
check "status-app-runs" said "^STATUS=the app runs (pid [0-9]*)$"
# The app is started but does not listen: not ready, while the watchdog is fed.
if wait_for watchdog 10 pings 3; then pass "watchdog-pinged-from-loop"; else fail "watchdog-pinged-from-loop"; fi
check_not "not-ready-before-listening" said "READY=1"
check "watchdog-period-said" grep -q "systemd watchdog: pinged every 200 ms from the event loop" "$OUT/watched.err"
touch "$OUT/watched.gate"
if wait_for ready 20 said "^READY=1|STATUS=the app listens on port 8080$"; then
	pass "ready-when-port-accepts"
else
	fail "ready-when-port-accepts" "$(cat "$OUT/notify.log")"
fi
check "serves-when-ready" up
check "ready-once" test "$(grep -c 'READY=1' "$OUT/notify.log")" -eq 1
app_pid=$(pgrep -f -n "python3 $APP")
check_not "app-never-sees-notify-socket" grep -qa "NOTIFY_SOCKET\|WATCHDOG_USEC" "/proc/$app_pid/environ"
kill -TERM "$PID"
wait "$PID"
check "stopping-said" said "^STOPPING=1$"

# Without the watcher, READY once the app has run --start-seconds.
start nowatcher --watcher off --start-seconds 1s
wait_for app2-started 30 grep -q "app starting pid" "$OUT/nowatcher.out"
if wait_for ready2 20 said "^READY=1|STATUS=the app has run --start-seconds$"; then
	pass "ready-after-start-seconds-without-watcher"
else
	fail "ready-after-start-seconds-without-watcher" "$(cat "$OUT/notify.log")"
fi
touch "$OUT/nowatcher.gate"
kill -TERM "$PID"
wait "$PID"

# Not under systemd: nothing is sent, nothing said.
nsenter --net=/run/netns/"$NS" "$WARDEN" run --dry-run --http off --state-dir "$OUT/plain.state" \
	--control "$OUT/plain.sock" -- /bin/true >/dev/null 2>"$OUT/plain.err"
check_not "no-systemd-no-notify" grep -q "systemd" "$OUT/plain.err"
finish
