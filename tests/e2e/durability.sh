#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# durability.sh - bans that survive: kill -9 of warden watch with traffic running across
# the restart (the banned client never gets through, the other one never stops); a
# "reboot" (the pinned maps removed) brings back the unexpired bans from the snapshot;
# a damaged snapshot is refused with a clear message, nothing of it applied.
source "$(dirname "$0")/../lib.sh"

SRV=dursrv-$TEST_ID BAD=durbad-$TEST_ID GOOD=durgood-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }
for ns in "$SRV" "$BAD" "$GOOD"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add v-bad netns "$SRV" type veth peer name eth0 netns "$BAD"
ip link add v-good netns "$SRV" type veth peer name eth0 netns "$GOOD"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-bad
ip -n "$SRV" addr add 198.51.100.1/24 dev v-good
ip -n "$BAD" addr add 192.0.2.2/24 dev eth0
ip -n "$GOOD" addr add 198.51.100.2/24 dev eth0
for l in "$SRV v-bad" "$SRV v-good" "$BAD eth0" "$GOOD eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
on_exit "in_ns '$SRV' '$WARDEN' detach --all --pin-path '$PIN'"

WORK=$(mktemp -d /tmp/warden-durability.XXXXXX)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$WORK'"
LOGS=$WORK/log STATE=$WORK/state OUT=$WORK/out
mkdir -p "$LOGS" "$OUT"
ACCESS=$LOGS/access.log
: >"$ACCESS"

W() { in_ns "$SRV" "$WARDEN" "$@" --pin-path "$PIN"; }
listed() { W list | grep -q "^$1 "; }
n_bans() { W list | grep -cE '^[0-9a-f.:]+(/[0-9]+)? ' || true; }
bad_ping() { in_ns "$BAD" ping -c 1 -W 1 192.0.2.1; }
good_ping() { in_ns "$GOOD" ping -c 1 -W 1 198.51.100.1; }

start_watch() {
	local name=$1
	# nsenter execs warden: $! is warden's own pid.
	nsenter --net=/run/netns/"$SRV" "$WARDEN" watch --iface v-bad --iface v-good \
		--pin-path "$PIN" --state-dir "$STATE" --follow "$LOGS/*.log" \
		--app "$TOP/tests/apps/e2e/app.py" --maxretry 3 --bantime 1h 2>"$OUT/$name.err" &
	WATCH_PID=$!
	on_exit "kill -9 $WATCH_PID"
	wait_for "$name-up" 20 grep -q "following 1 pattern" "$OUT/$name.err"
}

# received COUNT-FILE: the replies ping counted.
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"; }
transmitted() { sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1"; }

if ! start_watch w1; then
	fail "watch-up"; cat "$OUT/w1.err"; exit 1
fi
pass "watch-up"
check "bad-client-reaches-before" bad_ping

# A scanner in a plain access log, and bans made by hand.
for i in 1 2 3 4; do
	echo "192.0.2.2 - - [21/Nov/2026 04:18:25] \"GET /phpmyadmin-$i HTTP/1.1\" 404 -" >>"$ACCESS"
done
if wait_for banned 10 listed 192.0.2.2; then pass "scanner-banned"; else fail "scanner-banned"; fi
W ban 203.0.113.0/24 --reason "permanent prefix" >/dev/null
check "bans-in-place" test "$(n_bans)" -eq 2

# ---- kill -9 with traffic running across the restart ----
in_ns "$BAD" ping -i 0.05 -W 1 -w 8 192.0.2.1 >"$OUT/bad.ping" 2>&1 &
PING_BAD=$!
in_ns "$GOOD" ping -i 0.05 -W 1 -w 8 198.51.100.1 >"$OUT/good.ping" 2>&1 &
PING_GOOD=$!
sleep 1.5
kill -9 "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
check_not "killed" kill -0 "$WATCH_PID"
check "bans-outlive-kill-9" listed 192.0.2.2
sleep 1
if ! start_watch w2; then
	fail "watch-restarted"; cat "$OUT/w2.err"
fi
wait "$PING_BAD" "$PING_GOOD"
bad_rx=$(received "$OUT/bad.ping") good_rx=$(received "$OUT/good.ping") good_tx=$(transmitted "$OUT/good.ping")
echo "  across the restart: banned client $bad_rx replies; other client $good_rx of $good_tx"
check "banned-never-through-across-kill-9" test "${bad_rx:-1}" -eq 0
check "other-client-served-throughout" test "${good_rx:-0}" -ge $((${good_tx:-100} * 95 / 100))
check "restart-keeps-the-maps" grep -q "ones of the last snapshot" "$OUT/w2.err"
check "bans-kept-on-restart" test "$(n_bans)" -eq 2

# ---- a "reboot": the pinned maps and the attachment are gone ----
# A short ban, live when warden stops (so in the snapshot), over before it starts again.
W ban 192.0.2.3 --for 3s --reason "short one" >/dev/null
SHORT_BANNED=$SECONDS
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stop-clean" test $? -eq 0
check "snapshot-written" test -s "$STATE/bans.snap"
W detach --all >/dev/null 2>&1
check "maps-gone" test ! -e "$PIN/warden_ban4"
check "bad-client-reaches-without-maps" bad_ping
# Let the short ban end while the maps are gone.
while [ $((SECONDS - SHORT_BANNED)) -lt 5 ]; do sleep 0.2; done
if ! start_watch w3; then
	fail "watch-after-reboot"; cat "$OUT/w3.err"; exit 1
fi
grep "snapshot" "$OUT/w3.err" | sed 's/^/  /'
check "restored-message" grep -q "restored 2 bans from the snapshot" "$OUT/w3.err"
check "expired-one-skipped" grep -q "(1 ended since" "$OUT/w3.err"
check "scanner-ban-restored" listed 192.0.2.2
check "prefix-ban-restored" listed 203.0.113.0/24
check_not "expired-ban-not-restored" listed 192.0.2.3
check "reason-restored" sh -c "'$WARDEN' list --pin-path '$PIN' | grep '^192.0.2.2 ' | grep -q failures"
check "permanent-stays-permanent" sh -c "'$WARDEN' list --pin-path '$PIN' | grep '^203.0.113.0/24 ' | grep -q 'permanent prefix'"
check_not "banned-again-after-reboot" bad_ping
check "other-client-after-reboot" good_ping

# ---- a damaged snapshot: refused, said, nothing applied, warden goes on ----
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
W detach --all >/dev/null 2>&1
python3 - "$STATE/bans.snap" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for i in (len(b) // 2, len(b) - 3):
    b[i] ^= 0xFF
open(p, "wb").write(b)
EOF
if ! start_watch w4; then
	fail "watch-with-damaged-snapshot"; cat "$OUT/w4.err"; exit 1
fi
grep "snapshot" "$OUT/w4.err" | sed 's/^/  /'
check "damage-reported" grep -q "ban snapshot .* is damaged: checksum mismatch" "$OUT/w4.err"
check "nothing-applied-said" grep -q "nothing of it was restored" "$OUT/w4.err"
check "damaged-file-kept-aside" test -s "$STATE/bans.snap.corrupt"
sleep 1
check "warden-keeps-running" kill -0 "$WATCH_PID"
check "no-ban-applied" test "$(n_bans)" -eq 0
check "bad-client-not-banned-by-damage" bad_ping
# The offsets are intact: the old scanner lines are not read again.
check_not "old-lines-not-reread" grep -q "banned 192.0.2.2" "$OUT/w4.err"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "stop-after-damage" test $? -eq 0
finish
