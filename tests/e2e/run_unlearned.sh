#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run_unlearned.sh - warden run end to end on an app whose routes static
# learning cannot see (read from a data file at start): a user on those routes,
# answered 200 and 302, is never banned, however many requests; a scanner is
# banned after maxretry 404s; the missed URLs are counted by shape in /metrics
# and warden status, and named in one warning.
source "$(dirname "$0")/../lib.sh"
# nsenter execs warden: $! is warden's own pid.

SRV=wusrv-$TEST_ID CLI=wucli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
APP=$TOP/tests/apps/unlearned/app.py
OUT=$(mktemp -d)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$OUT'"
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

netns_pair "$SRV" "$CLI"
# The scanner is a second address of the client namespace.
ip -n "$CLI" addr add 192.0.2.3/24 dev veth1
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

get() { in_ns "$CLI" curl -s -m 3 -o /dev/null -w '%{http_code}' --interface "$1" "${@:3}" "http://192.0.2.1:8080$2"; }
user_up() { test "$(get 192.0.2.2 /)" = 200; }
listed() { "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }
metrics() { in_ns "$SRV" curl -s -m 3 http://127.0.0.1:9471/metrics; }

nsenter --net=/run/netns/"$SRV" "$WARDEN" run --state-dir "$OUT/state" --iface veth0 --pin-path "$PIN" \
	--control "$OUT/warden.sock" --http 127.0.0.1:9471 --maxretry 3 --findtime 10m --bantime 10m \
	-- /usr/bin/python3 "$APP" >"$OUT/run.out" 2>"$OUT/run.err" &
WARDEN_PID=$!
on_exit "kill $WARDEN_PID"
if ! wait_for app-up 20 user_up; then
	fail "app-up"; cat "$OUT/run.err"; exit 1
fi
pass "app-up"
# What static learning could not read is said at start, with file:line.
check "start-says-skipped" grep -q "app.py:[0-9]*: .*skipped" "$OUT/run.err"

# The user: 10 times each unlearned route (maxretry is 3), all served by the app.
codes=""
for i in $(seq 1 10); do
	codes="$codes $(get 192.0.2.2 /auth/login) $(get 192.0.2.2 /auth/login -d user=a)"
	codes="$codes $(get 192.0.2.2 /topic/$i) $(get 192.0.2.2 /api/v2/things)"
done
check "user-served" test "$(tr ' ' '\n' <<<"$codes" | sort -u | tr '\n' ' ')" = " 200 302 "
# The scanner: 404s on unknown URLs.
for p in /wp-login.php /.env /admin.php /phpmyadmin/; do get 192.0.2.3 "$p" >/dev/null; done
if wait_for scanner-banned 10 listed 192.0.2.3; then pass "scanner-banned"; else fail "scanner-banned"; fi
check_not "user-never-banned" listed 192.0.2.2
check "user-still-served" test "$(get 192.0.2.2 /topic/99)" = 200

# Where static learning fell short: counted by shape, and said once.
has_metric() { metrics | grep -qx "$1"; }
wait_for metrics-topic 10 has_metric 'warden_app_served_unlearned_total{path="/topic/<int>"} 11'
check "metrics-topic" has_metric 'warden_app_served_unlearned_total{path="/topic/<int>"} 11'
check "metrics-login" has_metric 'warden_app_served_unlearned_total{path="/auth/login"} 20'
check "metrics-scanner-failures" has_metric 'warden_failures_total{kind="unknown_url"} [34]'
"$WARDEN" status --control "$OUT/warden.sock" >"$OUT/status.txt" 2>&1
check "status-lists-unlearned" grep -q "GET *\/topic/<int> (11, first answered 200)" "$OUT/status.txt"
check "status-json" sh -c "'$WARDEN' status --json --control '$OUT/warden.sock' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"log\"][\"app_served_unlearned\"] == 41, d; assert {e[\"path\"] for e in d[\"unlearned\"]} == {\"/auth/login\", \"/topic/<int>\", \"/api/v2/things\"}, d'"
# Three shapes so far: the one warning waits for five, or 10 s after the first (then it names three).
for p in /pages/about /pages/help; do get 192.0.2.2 "$p" >/dev/null; done
if wait_for warning 10 grep -q "the app served URLs" "$OUT/run.err"; then pass "warning"; else fail "warning"; fi
check "warning-names-them" grep -q "the app served URLs .*: GET /auth/login (200), GET /topic/<int> (200), GET /api/v2/things (200)[,;]" "$OUT/run.err"
get 192.0.2.2 /pages/about >/dev/null
wait_for about-twice 10 has_metric 'warden_app_served_unlearned_total{path="/pages/about"} 2'
check "warning-once" test "$(grep -c 'the app served URLs' "$OUT/run.err")" = 1
check_not "user-never-banned-at-end" listed 192.0.2.2

kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"
check "sigterm-exit-status" test $? -eq 143

# ---- --routes-from flask: the app's own url_map, read by its interpreter ----
nsenter --net=/run/netns/"$SRV" "$WARDEN" run --state-dir "$OUT/state" --iface veth0 --pin-path "$PIN" \
	--control "$OUT/warden.sock" --http 127.0.0.1:9471 --maxretry 3 --routes-from flask \
	-- /usr/bin/python3 "$APP" >"$OUT/flask.out" 2>"$OUT/flask.err" &
WARDEN_PID=$!
on_exit "kill $WARDEN_PID"
if ! wait_for flask-app-up 30 user_up; then
	fail "flask-app-up"; cat "$OUT/flask.err"; exit 1
fi
check "flask-routes-learned" grep -q "learned 8 routes from .*app.py (Flask's url_map)" "$OUT/flask.err"
check_not "flask-no-skipped-note" grep -q "app.py:[0-9]*: .*skipped" "$OUT/flask.err"
for i in 1 2 3; do get 192.0.2.2 /topic/$i >/dev/null; done
wait_for flask-topic-matched 10 has_metric 'warden_http_requests_total{route="/topic/<int:topic_id>",method="GET",status_class="2xx"} 3'
check "flask-topic-is-a-route" has_metric 'warden_http_requests_total{route="/topic/<int:topic_id>",method="GET",status_class="2xx"} 3'
check "flask-nothing-unlearned" sh -c "$(declare -f in_ns metrics); ! metrics | grep -q '^warden_app_served_unlearned_total{'"
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"
finish
