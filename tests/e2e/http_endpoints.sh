#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# http_endpoints.sh - warden run's HTTP interface against a real app: every
# health endpoint in each state of the child (running, crashed and
# restarting), /metrics checked by promtool and against the traffic sent.
source "$(dirname "$0")/../lib.sh"

NS=whttp-$TEST_ID
ip netns add "$NS"
on_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
OUT=$(mktemp -d)
on_exit "rm -rf '$OUT'"
APP=$TOP/tests/apps/supervise/app.py
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }
app() { in_ns curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080$1"; }
code() { in_ns curl -s -m 3 -o "$OUT/body" -w '%{http_code}' "http://127.0.0.1:9470$1"; }
body_has() { grep -q "$1" "$OUT/body"; }
up() { test "$(app /)" = 200; }

start() {
	local name=$1; shift
	env "$@" nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http 127.0.0.1:9470 \
		--control "$OUT/ctl.sock" $EXTRA -- /usr/bin/python3 "$APP" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill -KILL $PID"
}

# ---- running ----
EXTRA="--restart-reset 1h"
start run X=1
wait_for up 20 up || fail "app-up"
for p in / /sleep/1 /sleep/2 /nope /nope2 /boom; do app "$p" >/dev/null; done
for ep in /z/health /z/health/liveness /z/health/ping /z/health/readiness /livez /readyz /z/info /z/version /metrics; do
	c=$(code "$ep")
	check "running-$ep-200" test "$c" = 200
done
code /z/health >/dev/null
check "health-up" body_has '"status":"UP"'
code /z/info >/dev/null
check "info-has-command" body_has "$APP"
check "info-has-version" body_has '"version":"0.1.0"'
code /z/version >/dev/null
check "version-plain" grep -qx "0.1.0" "$OUT/body"
check "unknown-path-404" test "$(code /nothing-here)" = 404
c=$(in_ns curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9470/z/health)
check "post-405" test "$c" = 405

# /metrics: a real Prometheus parser, and the figures of the traffic above.
code /metrics >/dev/null
cp "$OUT/body" "$OUT/metrics.txt"
if command -v promtool >/dev/null; then
	check "promtool-check-metrics" sh -c "promtool check metrics <'$OUT/metrics.txt'"
else
	skip "promtool-check-metrics" "promtool is not installed"
fi
metric() { grep -v '^#' "$OUT/metrics.txt" | grep -F "$1" | awk '{print $NF}'; }
check "metric-known-route" test "$(metric 'warden_http_requests_total{route="/sleep/<int:ms>",method="GET",status_class="2xx"}')" = 2
check "metric-unknown-route" test "$(metric 'warden_http_requests_total{route="unknown",method="GET",status_class="4xx"}')" = 3
check "metric-failures" test "$(metric 'warden_failures_total{kind="unknown_url"}')" = 3
check "metric-child-up" test "$(metric 'warden_child_up ')" = 1
check "metric-names-prefixed" sh -c "! grep -v '^#' '$OUT/metrics.txt' | grep -v '^warden_' | grep -q ."

# ---- crashed and restarting ----
app /crash >/dev/null
wait_for back 20 up
code /metrics >/dev/null
check "metric-restarts" body_has "warden_child_restarts_total 1"
kill -TERM $PID; wait $PID

# A crash loop (no start limit): catch it between two starts (the delay doubles up to 2s).
EXTRA="--restart-max-delay 2s --start-retries 0"
start loop EXIT_AT_START=3
restarting() { [ "$(code /readyz)" = 503 ] && body_has '"state":"restarting"'; }
if wait_for restarting 20 restarting; then pass "readyz-503-while-restarting"; else fail "readyz-503-while-restarting" "$(cat "$OUT/body")"; fi
check "livez-200-while-restarting" test "$(code /livez)" = 200
health_down() { [ "$(code /z/health)" = 503 ] && body_has '"status":"DOWN"' && body_has '"state":"restarting"'; }
if wait_for health-down 20 health_down; then pass "health-503-down-while-restarting"; else fail "health-503-down-while-restarting" "$(cat "$OUT/body")"; fi
kill -TERM $PID; wait $PID

# ---- a bad --http is refused before the app starts ----
nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http 127.0.0.1:99999 -- /usr/bin/python3 "$APP" >/dev/null 2>"$OUT/bad.err"
check "bad-http-refused" test $? -eq 2
check_not "bad-http-app-not-started" grep -q "started" "$OUT/bad.err"

# ---- beyond loopback: refused without a token; with one, only probes and /metrics are open ----
ip -n "$NS" addr add 192.0.2.1/32 dev lo
nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http 192.0.2.1:9470 \
	-- /usr/bin/python3 "$APP" >/dev/null 2>"$OUT/open.err"
check "beyond-loopback-without-token-refused" test $? -eq 2
check "beyond-loopback-says-why" grep -q "http-token-file" "$OUT/open.err"
check_not "beyond-loopback-app-not-started" grep -q "started" "$OUT/open.err"
printf 'short\n' >"$OUT/short.token"
nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http 192.0.2.1:9470 \
	--http-token-file "$OUT/short.token" -- /usr/bin/python3 "$APP" >/dev/null 2>"$OUT/short.err"
check "short-token-refused" test $? -eq 2
TOKEN=0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" >"$OUT/token"
chmod 600 "$OUT/token"
EXTRA="--http-token-file $OUT/token"
env nsenter --net=/run/netns/"$NS" "$WARDEN" run --state-dir "$OUT/state" --dry-run --http 192.0.2.1:9470 \
	--control "$OUT/ctl.sock" $EXTRA -- /usr/bin/python3 "$APP" >"$OUT/tok.out" 2>"$OUT/tok.err" &
PID=$!
on_exit "kill -KILL $PID"
at() { in_ns curl -s -m 3 -o "$OUT/body" -w '%{http_code}' "$@"; }
wait_for up-token 20 up || fail "app-up-token"
for ep in /livez /readyz /z/health /metrics /z/version; do
	check "token-$ep-open" test "$(at "http://192.0.2.1:9470$ep")" = 200
done
for ep in / /api/clients /z/info; do
	check "token-$ep-needs-token" test "$(at "http://192.0.2.1:9470$ep")" = 401
	check "token-$ep-wrong-token" test "$(at -H "Authorization: Bearer ${TOKEN%?}x" "http://192.0.2.1:9470$ep")" = 401
done
check "token-api-with-token" test "$(at -H "Authorization: Bearer $TOKEN" "http://192.0.2.1:9470/api/clients")" = 200
check "token-info-with-token" test "$(at -H "Authorization: Bearer $TOKEN" "http://192.0.2.1:9470/z/info")" = 200
kill -TERM $PID; wait $PID
finish
