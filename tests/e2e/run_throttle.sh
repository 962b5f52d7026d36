#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run_throttle.sh - warden run with throttling: a client opening connections
# in a tight loop is throttled at XDP and, having hit its throttle in
# --throttle-maxretry separate seconds, banned; a calm client and a priority
# peer (given by host name, resolved from the hosts file) are untouched.
source "$(dirname "$0")/../lib.sh"

SRV=wtsrv-$TEST_ID C1=wtc1-$TEST_ID C2=wtc2-$TEST_ID
make_pin_root
PIN=$PIN_ROOT/warden
OUT=$(mktemp -d)
on_exit "rm -rf '$OUT'"
for ns in "$SRV" "$C1" "$C2"; do
	ip netns add "$ns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
done
ip link add va netns "$SRV" type veth peer name eth0 netns "$C1"
ip link add vb netns "$SRV" type veth peer name eth0 netns "$C2"
ip -n "$SRV" addr add 192.0.2.1/24 dev va
ip -n "$C1" addr add 192.0.2.2/24 dev eth0
ip -n "$SRV" addr add 198.51.100.1/24 dev vb
ip -n "$C2" addr add 198.51.100.2/24 dev eth0
ip -n "$C2" addr add 198.51.100.3/24 dev eth0
for l in "$SRV va" "$SRV vb" "$C1 eth0" "$C2 eth0"; do set -- $l; ip -n "$1" link set "$2" up; done
on_exit "nsenter --net=/run/netns/'$SRV' '$WARDEN' detach --all --pin-path '$PIN'"
# A hosts file naming the priority peer, seen only by warden (private mount namespace).
echo "198.51.100.3 trusted-peer.test" >"$OUT/hosts"

nsenter --net=/run/netns/"$SRV" unshare --mount sh -c "mount --bind '$OUT/hosts' /etc/hosts && exec '$WARDEN' run \
	--iface va --iface vb --pin-path '$PIN' --state-dir '$OUT/state' --http 127.0.0.1:9471 --control '$OUT/ctl.sock' \
	--throttle-conn-rate 2/s --throttle-conn-burst 4 --throttle-maxretry 3 --findtime 1m \
	--priority trusted-peer.test -- /usr/bin/python3 '$TOP/tests/apps/e2e/app.py'" >"$OUT/run.out" 2>"$OUT/run.err" &
PID=$!
on_exit "kill $PID"
get() { nsenter --net=/run/netns/"$1" curl -s -m "${T:-1}" -o /dev/null -w '%{http_code}' --interface "$2" "http://$3:8080/"; }
calm_ok() { [ "$(get "$C2" 198.51.100.2 198.51.100.1)" = 200 ]; }
wait_for up 20 calm_ok || { fail "app-up" "$(tail -5 "$OUT/run.err")"; exit 1; }
pass "app-up"
check "priority-name-resolved" grep -q "trusted-peer.test" "$OUT/run.err"

# The tight loop, for a few seconds: most connections fail, the client ends up banned.
ok=0 bad=0
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ]; do
	if [ "$(T=0.3 get "$C1" 192.0.2.2 192.0.2.1)" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
echo "  tight loop: $ok connected, $bad failed"
check "tight-loop-throttled" test "$bad" -gt "$ok"
drops=$("$WARDEN" stats --json --pin-path "$PIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["throttle"]["dropped_conn"])')
check "throttle-drops-counted" test "${drops:-0}" -gt 0
# /metrics carries every verdict, throttling included, with the counts warden stats gives.
stats_vs_metrics() {
	local s m
	s=$("$WARDEN" stats --json --pin-path "$PIN" | python3 -c 'import json,sys; p=json.load(sys.stdin)["packets"]; print(p["dropped_throttle_conn"], p["passed"])')
	m=$(nsenter --net=/run/netns/"$SRV" curl -s -m 2 http://127.0.0.1:9471/metrics |
		awk '/^warden_xdp_packets_total\{verdict="dropped_throttle_conn"\}/ {d=$2} /^warden_xdp_packets_total\{verdict="passed"\}/ {p=$2} END {print d, p}')
	echo "  stats: $s, /metrics: $m"
	[ -n "$s" ] && [ "$s" = "$m" ]
}
if wait_for stats-metrics-agree 10 stats_vs_metrics; then pass "stats-and-metrics-agree"; else fail "stats-and-metrics-agree"; fi
check "metrics-name-throttle-verdicts" sh -c "nsenter --net=/run/netns/'$SRV' curl -s -m 2 http://127.0.0.1:9471/metrics | grep -q 'warden_xdp_packets_total{verdict=\"dropped_shed\"}'"
banned() { "$WARDEN" list --pin-path "$PIN" | grep -q "^192.0.2.2 .*throttled"; }
if wait_for escalated 10 banned; then pass "throttled-client-banned"; else fail "throttled-client-banned" "$(grep warden "$OUT/run.err" | tail -3)"; fi

# The calm client and the priority peer, at their own pace, all through.
n=0
for i in 1 2 3 4 5 6; do calm_ok && n=$((n + 1)); sleep 0.6; done
check "calm-client-untouched" test "$n" -eq 6
n=0
for i in $(seq 1 12); do [ "$(get "$C2" 198.51.100.3 198.51.100.1)" = 200 ] && n=$((n + 1)); done
check "priority-peer-never-throttled" test "$n" -eq 12
check "priority-peer-in-allowlist" sh -c "'$WARDEN' list --allow --pin-path '$PIN' | grep -q '^198.51.100.3 '"
kill -TERM $PID; wait $PID
finish
