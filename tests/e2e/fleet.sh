#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fleet.sh - five warden watch agents share their bans through a real Redis (Debian's
# redis-server, on loopback, with an ACL user and AOF): a scanner banned by one is dropped
# at XDP by all; an unban propagates; with Redis stopped local bans go on and reach the
# others once it is back, published once; an agent killed with SIGKILL and restarted loads
# the live set and lifts what was unbanned meanwhile; malformed, over-rate, too-short and
# locally-refused messages are refused and counted.
source "$(dirname "$0")/../lib.sh"

N=5
command -v redis-server >/dev/null || { fail "redis-server" "not installed (tools/install-deps.sh)"; exit 1; }
make_pin_root
WORK=$(mktemp -d /tmp/warden-fleet.XXXXXX)
[ -n "${KEEP_OUT:-}" ] || on_exit "rm -rf '$WORK'"
RPORT=$((20000 + $$ % 10000))
HPORT=$((30000 + $$ % 10000))
PFX=wt$TEST_ID
PW=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

# ---- Redis, as a fleet would run it: an ACL user per fleet, AOF so a restart keeps the stream.
mkdir -p "$WORK/redis"
# The ACL the README gives: the fleet's keys and the commands its script uses, nothing else.
printf 'user fleet on >%s resetkeys ~%s:* resetchannels -@all +eval +xread +ping +select +time +zadd +zrem +zrangebyscore +hset +hget +hdel +xadd +xrange +xrevrange\nuser default off\n' \
	"$PW" "$PFX" >"$WORK/redis/users.acl"
cat >"$WORK/redis/redis.conf" <<EOF
port $RPORT
bind 127.0.0.1
dir $WORK/redis
appendonly yes
appendfsync always
save ""
aclfile $WORK/redis/users.acl
EOF
start_redis() {
	redis-server "$WORK/redis/redis.conf" >"$WORK/redis/out.log" 2>&1 &
	REDIS_PID=$!
	on_exit "kill $REDIS_PID"
	wait_for redis-up 10 rcli PING
}
rcli() { redis-cli -p "$RPORT" --user fleet --pass "$PW" --no-auth-warning "$@"; }
echo "$PW" >"$WORK/pw"
chmod 600 "$WORK/pw"
URL="redis://fleet@127.0.0.1:$RPORT"
if ! start_redis; then
	fail "redis-up"; cat "$WORK/redis/out.log"; exit 1
fi
pass "redis-up"

# ---- Bad input: refused with a reason and exit status 2, before anything changes.
check_exit2() { # NAME CMD...: exit status 2 and nothing pinned
	local name=$1; shift
	"$@" >/dev/null 2>"$WORK/bad.err"
	if [ $? = 2 ] && [ -s "$WORK/bad.err" ] && [ ! -e "$PIN_ROOT/bad" ]; then pass "$name"
	else fail "$name" "$(cat "$WORK/bad.err")"; fi
}
check_exit2 "bad-fleet-port" "$WARDEN" watch --follow "$WORK/none/*.log" --http off \
	--pin-path "$PIN_ROOT/bad" --fleet redis://127.0.0.1:0
check_exit2 "tls-url-refused" "$WARDEN" watch --follow "$WORK/none/*.log" --http off \
	--pin-path "$PIN_ROOT/bad" --fleet "rediss://127.0.0.1:$RPORT"
check_exit2 "missing-password-file" "$WARDEN" watch --follow "$WORK/none/*.log" --http off \
	--pin-path "$PIN_ROOT/bad" --fleet "$URL" --fleet-password-file "$WORK/nope"
check_exit2 "ban-bad-fleet-changes-nothing" "$WARDEN" ban 203.0.113.5 --pin-path "$PIN_ROOT/bad" \
	--fleet redis://h:99999

# ---- Five hosts: each a namespace with its XDP program on the maps of its agent, and a
# client namespace whose 203.0.113.7 is the scanner.
for i in $(seq 1 $N); do
	ip netns add "fh$i-$TEST_ID"; on_exit "ip netns del 'fh$i-$TEST_ID'"
	ip netns add "fc$i-$TEST_ID"; on_exit "ip netns del 'fc$i-$TEST_ID'"
	ip link add veth0 netns "fh$i-$TEST_ID" type veth peer name veth1 netns "fc$i-$TEST_ID"
	ip -n "fh$i-$TEST_ID" addr add 192.0.2.1/24 dev veth0
	ip -n "fc$i-$TEST_ID" addr add 192.0.2.2/24 dev veth1
	ip -n "fc$i-$TEST_ID" addr add 203.0.113.7/32 dev veth1
	ip -n "fh$i-$TEST_ID" link set veth0 up
	ip -n "fc$i-$TEST_ID" link set veth1 up
	ip -n "fh$i-$TEST_ID" route add 203.0.113.7/32 dev veth0
	nsenter --net=/run/netns/"fh$i-$TEST_ID" "$WARDEN" attach veth0 --mode generic \
		--pin-path "$PIN_ROOT/a$i" >/dev/null
	on_exit "nsenter --net=/run/netns/fh$i-$TEST_ID '$WARDEN' detach --all --pin-path '$PIN_ROOT/a$i'"
	mkdir -p "$WORK/log$i" "$WORK/state$i"
	: >"$WORK/log$i/app.log"
done
scanner_ping() { nsenter --net=/run/netns/"fc$1-$TEST_ID" ping -c1 -W1 -I 203.0.113.7 192.0.2.1; }

declare -A APID
start_agent() { # I [extra options]
	local i=$1; shift
	"$WARDEN" watch --follow "$WORK/log$i/*.log" --pin-path "$PIN_ROOT/a$i" \
		--state-dir "$WORK/state$i" --http "127.0.0.1:$((HPORT + i))" \
		--fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
		--fleet-name "a$i" --fleet-rate 5 --fleet-min-prefix4 20 \
		--fail-status 404 --maxretry 3 --bantime 1h --verbose "$@" 2>>"$WORK/a$i.err" &
	APID[$i]=$!
	on_exit "kill -9 ${APID[$i]}"
}
agent_opts() { [ "$1" = 4 ] && echo "--ignoreip 198.51.100.0/24"; }
connected() {
	curl -s "http://127.0.0.1:$((HPORT + $1))/z/health" | python3 -c \
		'import json, sys; sys.exit(json.load(sys.stdin)["components"]["fleet"]["status"] != "UP")'
}
metric() { # I NAME: the value of a series of agent I
	curl -s "http://127.0.0.1:$((HPORT + $1))/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
listed() { "$WARDEN" list --pin-path "$PIN_ROOT/a$1" | grep -q "^$2 "; }
everywhere() { local i; for i in $(seq 1 $N); do listed "$i" "$1" || return 1; done; }
nowhere() { local i; for i in $(seq 1 $N); do ! listed "$i" "$1" || return 1; done; }
scan() { # I IP: three 404s of IP in agent I's CRI log
	local k ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	for k in 1 2 3; do
		printf '%s stderr F %s - - [21/Nov/2026 04:18:25] "GET /wp-login%s.php HTTP/1.1" 404 -\n' \
			"$ts" "$2" "$k" >>"$WORK/log$1/app.log"
	done
}

for i in $(seq 1 $N); do
	# shellcheck disable=SC2046
	start_agent "$i" $(agent_opts "$i")
done
ok=1
for i in $(seq 1 $N); do
	wait_for "agent-$i" 30 connected "$i" || { ok=0; fail "agent-$i-connected"; tail -5 "$WORK/a$i.err"; }
done
[ $ok = 1 ] && pass "five-agents-connected"
[ $ok = 1 ] || exit 1
# A sixth in the other mode: warden run with its own Flask app, on the same fleet.
APORT=$((40000 + $$ % 10000))
HOST=127.0.0.1 PORT=$APORT "$WARDEN" run --pin-path "$PIN_ROOT/a6" --state-dir "$WORK/state6" \
	--http "127.0.0.1:$((HPORT + 6))" --control "$WORK/ctl6.sock" --watcher off \
	--fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" --fleet-name r6 \
	-- /usr/bin/python3 "$TOP/tests/apps/e2e/app.py" >"$WORK/r6.out" 2>"$WORK/r6.err" &
RUN_PID=$!
on_exit "kill -9 $RUN_PID"
wait_for run-connected 30 connected 6 && pass "run-mode-connected" || { fail "run-mode-connected"; tail -5 "$WORK/r6.err"; }

# ---- 1. A scanner banned by agent 1's detector is dropped at XDP on every host.
ok=1
for i in $(seq 1 $N); do scanner_ping "$i" >/dev/null 2>&1 || ok=0; done
[ $ok = 1 ] && pass "scanner-reaches-all-before" || fail "scanner-reaches-all-before"
scan 1 203.0.113.7
if wait_for ban-everywhere 10 everywhere 203.0.113.7; then pass "ban-propagates-to-all-maps"
else fail "ban-propagates-to-all-maps"; for i in $(seq 1 $N); do "$WARDEN" list --pin-path "$PIN_ROOT/a$i"; done; fi
ok=1
for i in $(seq 1 $N); do
	scanner_ping "$i" >/dev/null 2>&1 && ok=0
	drops=$("$WARDEN" list --pin-path "$PIN_ROOT/a$i" | awk '$1 == "203.0.113.7" { print $3 }')
	[ "${drops:-0}" -ge 1 ] || ok=0
done
[ $ok = 1 ] && pass "scanner-dropped-at-xdp-everywhere" || fail "scanner-dropped-at-xdp-everywhere"
wait_for run-mode-applies 10 listed 6 203.0.113.7 && pass "run-mode-applies" || fail "run-mode-applies"
"$WARDEN" status --control "$WORK/ctl6.sock" >"$WORK/status6" 2>&1
grep -q "^fleet .* as r6, connected; 0 published (0 pending), [1-9][0-9]* received, [1-9][0-9]* applied" \
	"$WORK/status6" && pass "status-shows-fleet" || { fail "status-shows-fleet"; cat "$WORK/status6"; }
kill "$RUN_PID"; wait "$RUN_PID" 2>/dev/null
check "fleet-reason-shown" sh -c "'$WARDEN' list --pin-path '$PIN_ROOT/a3' | grep -q 'fleet a1:'"
[ "$(metric 1 warden_fleet_published_total)" = 1 ] && pass "published-counted" ||
	fail "published-counted" "$(metric 1 warden_fleet_published_total)"
[ "$(metric 2 warden_fleet_received_total)" -ge 1 ] && pass "received-counted" || fail "received-counted"
[ "$(metric 2 warden_fleet_lag_seconds_count)" -ge 1 ] && pass "lag-measured" || fail "lag-measured"

# ---- 2. An unban propagates, and the scanner gets through again.
"$WARDEN" unban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name ops --pin-path "$PIN_ROOT/a2" 203.0.113.7 >/dev/null
if wait_for unban-everywhere 10 nowhere 203.0.113.7; then pass "unban-propagates"; else fail "unban-propagates"; fi
if wait_for scanner-back 10 scanner_ping 5; then pass "scanner-passes-after-unban"; else fail "scanner-passes-after-unban"; fi

# ---- 3. Redis stopped: local bans go on; they reach the others once it is back, published once.
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
not_connected() { ! connected "$1"; }
if wait_for fleet-down 15 not_connected 2; then pass "health-shows-link-down"; else fail "health-shows-link-down"; fi
scan 2 203.0.113.8
if wait_for local-ban 10 listed 2 203.0.113.8; then pass "local-ban-while-redis-down"; else fail "local-ban-while-redis-down"; fi
listed 3 203.0.113.8 && fail "not-shared-while-down" || pass "not-shared-while-down"
[ "$(metric 2 warden_fleet_pending)" = 1 ] && pass "pending-counted" || fail "pending-counted" "$(metric 2 warden_fleet_pending)"
start_redis
if wait_for ban-after-redis-back 30 everywhere 203.0.113.8; then pass "queued-ban-reaches-all-after-redis-back"
else fail "queued-ban-reaches-all-after-redis-back"; fi
for i in $(seq 1 $N); do wait_for "reconnect-$i" 15 connected "$i"; done
n=$(rcli XRANGE "$PFX:log" - + | grep -c '^203\.0\.113\.8$')
[ "$n" = 1 ] && pass "published-once" || fail "published-once" "$n entries"

# ---- 4. An agent killed with SIGKILL and restarted loads the live set and lifts what was
# unbanned meanwhile.
"$WARDEN" ban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name ops --pin-path "$PIN_ROOT/a1" --for 2h 198.51.100.77 >/dev/null
wait_for ban-77 10 listed 3 198.51.100.77 && pass "cli-ban-propagates" || fail "cli-ban-propagates"
listed 4 198.51.100.77 && fail "ignoreip-wins" || pass "ignoreip-wins"
wait_for refused-local 10 test "$(metric 4 'warden_fleet_refused_total{reason="local_rule"}')" = 1 &&
	pass "local-refusal-counted" || fail "local-refusal-counted"
kill -9 "${APID[3]}"; wait "${APID[3]}" 2>/dev/null
"$WARDEN" ban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name ops --pin-path "$PIN_ROOT/a1" --for 2h 203.0.113.9 >/dev/null
"$WARDEN" unban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name ops --pin-path "$PIN_ROOT/a1" 198.51.100.77 >/dev/null
wait_for ban-9-others 10 listed 2 203.0.113.9
listed 3 198.51.100.77 && pass "dead-agent-kept-its-maps" || fail "dead-agent-kept-its-maps"
start_agent 3
if wait_for restarted 20 connected 3; then pass "restarted-agent-connects"; else fail "restarted-agent-connects"; fi
listed 3 203.0.113.9 && pass "restart-loads-live-set" || fail "restart-loads-live-set"
listed 3 203.0.113.8 && pass "restart-keeps-earlier-bans" || fail "restart-keeps-earlier-bans"
listed 3 198.51.100.77 && fail "restart-lifts-unbanned" || pass "restart-lifts-unbanned"

# ---- 5. Bad messages: malformed, too short, over the origin's rate: refused and counted.
rcli XADD "$PFX:log" '*' op ban target not-an-address exp 0 origin evil at 1 >/dev/null
rcli XADD "$PFX:log" '*' op nuke target 203.0.113.50 exp 0 origin evil at 1 >/dev/null
rcli XADD "$PFX:log" '*' op ban target 198.51.0.0/16 exp 0 origin evil at "$(date +%s000)" >/dev/null
# IPv6: /29 is shorter than the default /32.
rcli XADD "$PFX:log" '*' op ban target 2001:db8::/29 exp 0 origin evil at "$(date +%s000)" >/dev/null
malformed() { [ "$(metric "$1" 'warden_fleet_refused_total{reason="malformed"}')" = 2 ]; }
short() { [ "$(metric "$1" 'warden_fleet_refused_total{reason="short_prefix"}')" = 2 ]; }
ok=1
for i in $(seq 1 $N); do
	wait_for "malformed-$i" 10 malformed "$i" || ok=0
	wait_for "short-$i" 10 short "$i" || { ok=0; echo "agent $i: malformed $(metric "$i" \
		'warden_fleet_refused_total{reason="malformed"}'), short $(metric "$i" \
		'warden_fleet_refused_total{reason="short_prefix"}')"; }
done
[ $ok = 1 ] && pass "malformed-and-short-refused-counted-everywhere" || fail "malformed-and-short-refused-counted-everywhere"
nowhere 198.51.0.0/16 && nowhere 2001:db8::/29 && pass "short-prefix-not-applied" ||
	fail "short-prefix-not-applied"
# An unban decided before the ban here (a stale or replayed message) lifts nothing.
stale0=$(metric 2 'warden_fleet_refused_total{reason="stale"}')
rcli XADD "$PFX:log" '*' op unban target 203.0.113.9 exp 0 origin evil at 1000 >/dev/null
stale() { [ "$(metric "$1" 'warden_fleet_refused_total{reason="stale"}')" -gt "${stale0:-0}" ]; }
wait_for stale-unban 10 stale 2 && everywhere 203.0.113.9 && pass "stale-unban-refused-counted" ||
	fail "stale-unban-refused-counted"
flood=""
for k in $(seq 100 107); do flood="$flood 203.0.113.$k"; done
# shellcheck disable=SC2086
"$WARDEN" ban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name flooder --pin-path "$PIN_ROOT/a1" --for 1h $flood >/dev/null
rate_done() { # applied + refused == 8 at agent I
	local r a=0 k
	r=$(metric "$1" 'warden_fleet_refused_total{reason="rate"}')
	for k in $(seq 100 107); do listed "$1" "203.0.113.$k" && a=$((a + 1)); done
	[ $((a + ${r:-0})) = 8 ] && [ "${r:-0}" -ge 2 ]
}
ok=1
for i in $(seq 2 $N); do wait_for "rate-$i" 10 rate_done "$i" || { ok=0; echo "agent $i: rate $(metric "$i" 'warden_fleet_refused_total{reason="rate"}')"; }; done
[ $ok = 1 ] && pass "over-rate-refused-counted" || fail "over-rate-refused-counted"
grep -q "flooder is over 5 changes a minute" "$WORK/a2.err" && pass "over-rate-reported" || fail "over-rate-reported"
# A storm from one member: counted one by one, logged a few lines a second and then summed up.
flood=""
for k in $(seq 1 100); do flood="$flood 2001:db8:f100::$k"; done
# shellcheck disable=SC2086
"$WARDEN" ban --fleet "$URL" --fleet-password-file "$WORK/pw" --fleet-prefix "$PFX" \
	--fleet-name stormer --pin-path "$PIN_ROOT/a1" --for 1h $flood >/dev/null
storm_counted() { [ "$(metric 2 'warden_fleet_refused_total{reason="rate"}')" -ge $((95 + 2)) ]; }
summed_up() { grep -q "more refused (warden_fleet_refused_total by reason)" "$WORK/a2.err"; }
wait_for storm-counted 10 storm_counted && pass "storm-refusals-counted" || fail "storm-refusals-counted"
wait_for storm-summary 10 summed_up && [ "$(grep -c "stormer is over" "$WORK/a2.err")" -lt 60 ] &&
	pass "storm-logged-in-summary" || fail "storm-logged-in-summary" "$(grep -c "stormer is over" "$WORK/a2.err") lines"

# Every agent ran the sanitizers' build without a report.
for i in $(seq 1 $N); do kill "${APID[$i]}" 2>/dev/null; done
for i in $(seq 1 $N); do wait "${APID[$i]}" 2>/dev/null; done
if grep -l "ERROR: AddressSanitizer\|runtime error" "$WORK"/a*.err "$WORK/r6.err"; then fail "sanitizers-clean"; else pass "sanitizers-clean"; fi
finish
