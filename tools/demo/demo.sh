#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# demo.sh - warden's main job on the bundled demo app, between network namespaces.
#
#   user (198.51.100.2) ──veth── server (runs: warden run -- python3 app.py) ──veth── scanner (192.0.2.2)
#
# The user browses the shop, the scanner runs dirb. warden learns the app's
# routes from tools/demo/app.py, reads its log through a pipe, bans the
# scanner in the XDP program, and the user is never touched. Everything the
# demo creates is removed at the end, also on Ctrl-C.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WARDEN=$TOP/build/warden
PIN=/sys/fs/bpf/warden-demo
SRV=warden-demo-srv SCAN=warden-demo-scan USER=warden-demo-user
LOG=$(mktemp /tmp/warden-demo.XXXXXX)
STATE=$(mktemp -d /tmp/warden-demo-state.XXXXXX)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

cleanup() {
	[ -n "${WARDEN_PID:-}" ] && kill "$WARDEN_PID" 2>/dev/null && wait "$WARDEN_PID" 2>/dev/null
	in_ns "$SRV" "$WARDEN" detach --all --pin-path "$PIN" >/dev/null 2>&1
	for ns in "$SRV" "$SCAN" "$USER"; do ip netns del "$ns" 2>/dev/null; done
	rm -f "$LOG"
	rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces and attaches XDP)"; exit 1; }
[ -x "$WARDEN" ] || { echo "demo: build first: make"; exit 1; }
cleanup 2>/dev/null

say "Network: a server namespace with a user and a scanner on two veth links"
for ns in "$SRV" "$SCAN" "$USER"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add v-scan netns "$SRV" type veth peer name eth0 netns "$SCAN"
ip link add v-user netns "$SRV" type veth peer name eth0 netns "$USER"
ip -n "$SRV" addr add 192.0.2.1/24 dev v-scan
ip -n "$SRV" addr add 198.51.100.1/24 dev v-user
ip -n "$SCAN" addr add 192.0.2.2/24 dev eth0
ip -n "$USER" addr add 198.51.100.2/24 dev eth0
for l in "$SRV v-scan" "$SRV v-user" "$SCAN eth0" "$USER eth0"; do set -- $l; ip -n "$1" link set "$2" up; done
echo "scanner 192.0.2.2, user 198.51.100.2, server 192.0.2.1 / 198.51.100.1"

say "warden run --iface v-scan --iface v-user -- /usr/bin/python3 tools/demo/app.py"
# nsenter execs warden: $! is warden itself, so that the cleanup stops it.
nsenter --net=/run/netns/"$SRV" "$WARDEN" run --iface v-scan --iface v-user --pin-path "$PIN" \
	--state-dir "$STATE" --control "$STATE/warden.sock" \
	--maxretry 5 --findtime 1m --bantime 10m -- /usr/bin/python3 "$TOP/tools/demo/app.py" >"$LOG" 2>&1 &
WARDEN_PID=$!
for _ in $(seq 100); do
	in_ns "$USER" curl -s -o /dev/null http://198.51.100.1:8080/health && break
	sleep 0.1
done
grep '^warden' "$LOG"

say "The user browses the shop (including a product that does not exist and a bad login)"
for path in / /api/v1/products /api/v1/products/2 /api/v1/products/99 /health; do
	printf '  GET %-22s -> %s\n' "$path" "$(in_ns "$USER" curl -s -o /dev/null -w '%{http_code}' "http://198.51.100.1:8080$path")"
done
printf '  POST %-21s -> %s\n' /api/v1/login "$(in_ns "$USER" curl -s -o /dev/null -w '%{http_code}' -d password=wrong http://198.51.100.1:8080/api/v1/login)"

say "The scanner runs dirb against the server"
in_ns "$SCAN" timeout 20 dirb http://192.0.2.1:8080/ /usr/share/dirb/wordlists/small.txt -S -r -z 10 2>&1 | tail -n 4

say "warden's decision (from its own log)"
grep -E 'banned|ban ' "$LOG" | head -5

say "warden list (the pinned maps, no daemon needed)"
"$WARDEN" list --pin-path "$PIN"

say "The scanner is now dropped at XDP; the user still gets through"
if in_ns "$SCAN" curl -s -m 2 -o /dev/null http://192.0.2.1:8080/; then echo "  scanner: connected (unexpected)"; else echo "  scanner: no connection (dropped)"; fi
printf '  user:    GET / -> %s\n' "$(in_ns "$USER" curl -s -m 2 -o /dev/null -w '%{http_code}' http://198.51.100.1:8080/)"

say "warden stats"
"$WARDEN" stats --pin-path "$PIN"

say "warden status (the running warden run, through its status socket)"
"$WARDEN" status --control "$STATE/warden.sock"

say "A few of warden's Prometheus metrics (http://127.0.0.1:9470/metrics in the server namespace)"
in_ns "$SRV" curl -s http://127.0.0.1:9470/metrics | grep -E '^warden_(http_requests_total|bans_total|failures_total\{kind="unknown_url"\}|xdp_packets_total\{verdict="dropped_exact"\})' | head -12

say "bpftool map dump pinned $PIN/warden_ban4"
bpftool map dump pinned "$PIN/warden_ban4" | head -20
say "Done: stopping warden and removing the namespaces, the XDP program and the maps"
