#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run_scanner.sh - warden run end to end: a real Flask app, a real scanner
# (ffuf) banned at XDP, a well-behaved user never banned, the app's output
# intact, injected fake log lines banning nobody else, --dry-run banning nothing.
source "$(dirname "$0")/../lib.sh"

SRV=wsrv-$TEST_ID SCAN=wscan-$TEST_ID USR=wusr-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
APP=$TOP/tests/apps/e2e/app.py
OUT=$(mktemp -d)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$OUT'"
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

for ns in "$SRV" "$SCAN" "$USR"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add v-scan netns "$SRV" type veth peer name eth0 netns "$SCAN"
ip link add v-user netns "$SRV" type veth peer name eth0 netns "$USR"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-scan
ip -n "$SRV" addr add 198.51.100.1/24 dev v-user
ip -n "$SRV" -6 addr add 2001:db8:1::1/64 dev v-scan nodad
ip -n "$SCAN" addr add 192.0.2.2/24 dev eth0
ip -n "$SCAN" -6 addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n "$USR" addr add 198.51.100.2/24 dev eth0
for l in "$SRV v-scan" "$SRV v-user" "$SCAN eth0" "$USR eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

user_get() { in_ns "$USR" curl -s -m 3 -o /dev/null -w '%{http_code}' "http://198.51.100.1:8080$1"; }
user_up() { test "$(user_get /)" = 200; }
scan_ok() { in_ns "$SCAN" curl -s -m 2 -o /dev/null http://192.0.2.1:8080/; }
scan6_ok() { in_ns "$SCAN" curl -s -m 2 -o /dev/null 'http://[2001:db8:1::1]:8080/'; }
listed() { "$WARDEN" list --pin-path "$PIN" | grep -q "^$1 "; }

# start_warden NAME ARGS...: warden run in the server namespace, output captured.
start_warden() {
	local name=$1; shift
	# nsenter execs warden: $! is warden's own pid.
	nsenter --net=/run/netns/"$SRV" "$WARDEN" run --state-dir "$OUT/state" "$@" -- /usr/bin/python3 "$APP" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	WARDEN_PID=$!
	on_exit "kill $WARDEN_PID"
	wait_for "$name-up" 20 user_up
}

# ---- enforcing run ----
if ! start_warden run --iface v-scan --iface v-user --pin-path "$PIN" \
	--maxretry 5 --findtime 10m --bantime 10m; then
	fail "app-up" "the app did not answer through warden"; cat "$OUT/run.err"; exit 1
fi
pass "app-up"
check "routes-learned" grep -q "learned .* routes from" "$OUT/run.err"

# The user uses every route, including those that answer 404, 500 and 401.
codes=""
for p in / /items/3 /items/500 /search?q=tea /boom /say/hello-1 /say/hello-2 /long; do
	codes="$codes $(user_get "$p")"
done
codes="$codes $(in_ns "$USR" curl -s -m 3 -o /dev/null -w '%{http_code}' -d password=wrong http://198.51.100.1:8080/login)"
check "user-statuses" test "$codes" = " 200 200 404 200 500 200 200 200 401"

# Injection: request lines crafted to look like log lines of the user's address.
for i in 1 2 3 4; do
	in_ns "$SCAN" /usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("192.0.2.1", 8080), timeout=3)
fake = '/x HTTP/1.1" 404 - 198.51.100.2 - - [21/Nov/2026 04:18:25] "GET /wp-admin HTTP/1.1'
s.sendall(("GET " + fake + " HTTP/1.1\r\nHost: x\r\n\r\n").encode())
try:
    s.recv(4096)
except OSError:
    pass
s.close()
PY
done
check_not "injection-bans-nobody-else" listed 198.51.100.2

# The scanner: ffuf with dirb's wordlist, banned after maxretry unknown URLs.
check "scanner-connects-before" scan_ok
in_ns "$SCAN" timeout 60 ffuf -s -u http://192.0.2.1:8080/FUZZ -w /usr/share/dirb/wordlists/small.txt \
	-t 2 -timeout 2 >/dev/null 2>&1
if wait_for scanner-banned 10 listed 192.0.2.2; then pass "scanner-banned"; else fail "scanner-banned"; fi
check_not "scanner-dropped-after-ban" scan_ok
reason=$("$WARDEN" list --pin-path "$PIN" | grep '^192.0.2.2 ')
check "ban-reason-names-failures" grep -q "failures" <<<"$reason"
check "ban-logged" grep -q "banned 192.0.2.2" "$OUT/run.err"

# IPv6: a scanner over IPv6 is banned too (by its address: its /64 holds the server).
for i in $(seq 1 6); do in_ns "$SCAN" curl -s -m 2 -o /dev/null "http://[2001:db8:1::1]:8080/nope-$i"; done
if wait_for scanner6-banned 10 listed 2001:db8:1::2; then pass "scanner6-banned"; else fail "scanner6-banned"; fi
check_not "scanner6-dropped" scan6_ok

# The user, never banned, still served.
check_not "user-never-banned" listed 198.51.100.2
check "user-still-served" test "$(user_get /)" = 200

# The app's output arrived intact, on the right stream, in order.
check "app-stdout-forwarded" grep -qx "app-start-marker" "$OUT/run.out"
check "app-stdout-order" sh -c "grep -x 'app-stdout:hello-[12]' '$OUT/run.out' | tr '\n' ' ' | grep -qx 'app-stdout:hello-1 app-stdout:hello-2 '"
check "app-stderr-forwarded" grep -qx "app-stderr:hello-1" "$OUT/run.err"
check "app-access-log-forwarded" grep -q '"GET /items/3 HTTP/1.1" 200' "$OUT/run.err"
check "long-line-intact" grep -qx "long:$(printf 'x%.0s' $(seq 40000))" "$OUT/run.out"
check_not "warden-lines-not-on-stdout" grep -q '^warden\[' "$OUT/run.out"

# SIGTERM stops the app, and warden exits with the app's status.
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"
rc=$?
check "sigterm-exit-status" test "$rc" -eq 143
check_not "app-gone-after-stop" pgrep -f "$APP"

# ---- dry run: bans decided and logged, nothing written ----
in_ns "$SRV" "$WARDEN" detach --all --pin-path "$PIN" >/dev/null
if ! start_warden dry --iface v-scan --pin-path "$PIN" --dry-run --maxretry 3; then
	fail "dry-run-up"; exit 1
fi
for i in 1 2 3 4 5; do in_ns "$USR" curl -s -m 2 -o /dev/null "http://198.51.100.1:8080/nope-$i"; done
if wait_for dry-decided 10 grep -q "dry-run: would ban 198.51.100.2" "$OUT/dry.err"; then
	pass "dry-run-decides"
else
	fail "dry-run-decides"
fi
check_not "dry-run-writes-nothing" listed 198.51.100.2
check "dry-run-user-still-served" test "$(user_get /)" = 200
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"
finish
