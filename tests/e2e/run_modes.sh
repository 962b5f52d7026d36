#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run_modes.sh - warden run without privileges (dry-run fallback), with
# --log-json, with a config file (and a bad one), and with bad options.
source "$(dirname "$0")/../lib.sh"

SRV=wsrv-$TEST_ID CLI=wcli-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
APP=$TOP/tests/apps/e2e/app.py
OUT=$(mktemp -d)
chmod 755 "$OUT"
on_exit "rm -rf '$OUT'"
netns_pair "$SRV" "$CLI"
on_exit "nsenter --net=/run/netns/'$SRV' '$WARDEN' detach --all --pin-path '$PIN'"
get() { nsenter --net=/run/netns/"$CLI" curl -s -m 3 -o /dev/null -w '%{http_code}' "http://192.0.2.1:8080$1"; }
up() { test "$(get /)" = 200; }

# start NAME [PREFIX...] -- warden options: warden run in the server namespace.
start() {
	local name=$1; shift
	local pre=()
	while [ "$1" != "--" ]; do pre+=("$1"); shift; done
	shift
	nsenter --net=/run/netns/"$SRV" "${pre[@]}" "$WARDEN" run --state-dir "$OUT/state" "$@" -- /usr/bin/python3 "$APP" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	on_exit "kill $PID"
	wait_for "$name-up" 20 up
}
stop() { kill -TERM "$PID"; wait "$PID"; }
scan() { for i in $(seq 1 "$1"); do get "/not-here-$i" >/dev/null; done; }

# ---- not root, no --dry-run: refused, with the way out; nothing runs ----
NOPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
nsenter --net=/run/netns/"$SRV" "${NOPRIV[@]}" "$WARDEN" run --state-dir "$OUT/state-refused" \
	--iface veth0 --pin-path "$PIN" --http off --control "$OUT/refused.sock" \
	-- /usr/bin/python3 "$APP" >"$OUT/refused.out" 2>"$OUT/refused.err"
rc=$?
check "unprivileged-refused" test "$rc" -ne 0
check "unprivileged-says-why" grep -q "no privilege for BPF" "$OUT/refused.err"
check "unprivileged-says-way-out" grep -q -- "--dry-run" "$OUT/refused.err"
check_not "unprivileged-refused-app-never-started" up

# ---- not root, --dry-run asked for: supervises and decides ----
if start nopriv "${NOPRIV[@]}" -- --iface veth0 --pin-path "$PIN" --maxretry 3 --dry-run; then
	pass "unprivileged-dry-run-serves"
	scan 4
	if wait_for nopriv-decides 10 grep -q "dry-run: would ban 192.0.2.2" "$OUT/nopriv.err"; then
		pass "unprivileged-decides-in-dry-run"
	else
		fail "unprivileged-decides-in-dry-run" "$(tail -3 "$OUT/nopriv.err")"
	fi
	check "unprivileged-still-served" up
	user=$(ps -o user= -p "$(pgrep -f -n "$APP")")
	check "app-runs-unprivileged" test "$user" = nobody
	stop
else
	fail "unprivileged-dry-run-serves" "$(tail -5 "$OUT/nopriv.err")"
	stop
fi

# ---- no --iface and nothing attached: said at warn level, and /z/health says DOWN ----
if start noiface -- --pin-path "$PIN" --http 127.0.0.1:19471 --control "$OUT/noiface.sock"; then
	check "no-iface-warns" grep -q "warden\[warn\]: nothing enforces the bans" "$OUT/noiface.err"
	h=$(nsenter --net=/run/netns/"$SRV" curl -s -m 3 http://127.0.0.1:19471/z/health)
	if echo "$h" | python3 -c '
import json, sys
x = json.load(sys.stdin)["components"]["xdp"]
assert x["status"] == "DOWN" and x["details"]["enforced"] is False, x
'; then pass "no-iface-health-down"; else fail "no-iface-health-down" "$h"; fi
	# Attached by hand meanwhile: enforced elsewhere, UP.
	nsenter --net=/run/netns/"$SRV" "$WARDEN" attach veth0 --pin-path "$PIN" >/dev/null 2>&1
	h=$(nsenter --net=/run/netns/"$SRV" curl -s -m 3 http://127.0.0.1:19471/z/health)
	if echo "$h" | python3 -c '
import json, sys
x = json.load(sys.stdin)["components"]["xdp"]
assert x["status"] == "UP" and x["details"]["enforced"] is True, x
'; then pass "attached-elsewhere-health-up"; else fail "attached-elsewhere-health-up" "$h"; fi
	stop
	nsenter --net=/run/netns/"$SRV" "$WARDEN" detach veth0 --pin-path "$PIN" >/dev/null 2>&1
else
	fail "no-iface-starts" "$(tail -5 "$OUT/noiface.err")"
	stop
fi

# ---- --log-json: warden's own lines are JSON objects ----
if start json -- --pin-path "$PIN" --dry-run --log-json; then
	stop
	if grep '"source":"warden"' "$OUT/json.err" | head -3 | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
assert lines and all(l["source"] == "warden" and "msg" in l and "level" in l for l in lines)
'; then pass "log-json"; else fail "log-json" "$(head -3 "$OUT/json.err")"; fi
	check_not "log-json-no-plain-lines" grep -q '^warden\[' "$OUT/json.err"
else
	fail "log-json" "did not start"
fi

# ---- a config file, overridden by the command line ----
cat >"$OUT/warden.conf" <<CONF
[warden]
pin_path = $PIN
iface = veth0

[jail]
maxretry = 2
findtime = 1m
bantime = 5m
CONF
if start conf -- --config "$OUT/warden.conf" --bantime 7m; then
	scan 3
	if wait_for conf-ban 10 sh -c "'$WARDEN' list --pin-path '$PIN' | grep -q '^192.0.2.2 '"; then
		pass "config-file-maxretry"
	else
		fail "config-file-maxretry"
	fi
	check "cli-overrides-config" grep -q "banned 192.0.2.2 for 7m" "$OUT/conf.err"
	stop
else
	fail "config-file" "did not start: $(tail -3 "$OUT/conf.err")"
fi

# ---- bad input: refused with exit 2 and the reason, app never started ----
refused() {
	local name=$1 pattern=$2 rc; shift 2
	nsenter --net=/run/netns/"$SRV" "$WARDEN" run --state-dir "$OUT/state" --pin-path "$PIN" "$@" >"$OUT/bad.out" 2>"$OUT/bad.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qiE "$pattern" "$OUT/bad.err" && ! grep -q "started" "$OUT/bad.err"; then
		pass "$name"
	else
		fail "$name" "rc=$rc: $(cat "$OUT/bad.err")"
	fi
}
printf '[jail]\nmaxretry = lots\n' >"$OUT/bad.conf"
refused bad-config-value "bad.conf:2" --config "$OUT/bad.conf" -- /usr/bin/python3 "$APP"
printf '[jail]\nfrobnicate = 1\n' >"$OUT/bad.conf"
refused bad-config-key "bad.conf:2" --config "$OUT/bad.conf" -- /usr/bin/python3 "$APP"
refused missing-config "nothing.conf" --config "$OUT/nothing.conf" -- /usr/bin/python3 "$APP"
refused bad-option "unknown option" --frobnicate -- /usr/bin/python3 "$APP"
refused bad-duration "findtime" --findtime soon -- /usr/bin/python3 "$APP"
refused bad-ignoreip "ignoreip|address" --ignoreip 300.1.2.3 -- /usr/bin/python3 "$APP"
refused no-command "no command" --dry-run
refused no-such-iface "nosuch0" --iface nosuch0 --pin-path "$PIN" -- /usr/bin/python3 "$APP"
refused bad-regex "regex" --log-format regex --log-regex '(?<ip>' -- /usr/bin/python3 "$APP"
finish
